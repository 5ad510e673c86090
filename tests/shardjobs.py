"""Trainers that the launcher tests hand to shard processes (importable there by name)."""
import os
import signal
from unittest import mock

from regnet.study import sweep


def killed_once(marker, values, out=None, *, dataset=None, spec=None, progress=None):
    """The real training, except that the first model anywhere to finish an epoch kills its
    own process there (kill -9), once per `marker` file: a shard that dies mid-model."""
    def die(line):
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:  # one death per marker: every other model trains on
            return
        os.kill(os.getpid(), signal.SIGKILL)
    with mock.patch("regnet.progress.note", die):  # called after each epoch's metrics land
        return sweep.default_train(values, out, dataset=dataset, spec=spec, progress=progress)


def broken(values, out=None, *, dataset=None, spec=None, progress=None):
    """A trainer whose machine goes away at once."""
    raise RuntimeError("the machine went away")
