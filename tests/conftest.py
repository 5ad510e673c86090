"""Shared test settings: CPU only, one thread per worker (the suite runs two workers)."""
import os

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture
def values():
    """The default parameter values, resolved and checked, as a dict a test may change."""
    from regnet.params import resolve
    return dict(resolve())
