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


@pytest.fixture
def evaluated_crops(monkeypatch):
    """The crops each call of the crop study's evaluation measured, in order (the study's
    evaluation still runs: this only records what it was asked for)."""
    from regnet.study import experiments
    seen = []
    real = experiments._evaluate_crops

    def counting(values, ckpt, ds, crops):
        seen.append(list(crops))
        return real(values, ckpt, ds, crops)
    monkeypatch.setattr(experiments, "_evaluate_crops", counting)
    return seen
