"""Start a sweep's shards on a launcher, then watch the shared sweep folder until they end.

    values = regnet.params.resolve(["params/sweep_course.yaml"])
    done = launch(values, "runs/sweep", "submitit")   # prints each model as it lands
    done.table, done.failed                            # results.csv, and a line per dead shard

A shard is `sweep.run_shard(values, out, i, k)`: jobs i, i+k, ... of the sweep, trained into
OUT, which every shard must see (a shared file system). The launcher only starts shards;
which models a shard trains, what counts as finished and how a crashed model starts again
belong to the sweep, so the table is the same whoever starts the shards. Shards with nothing
left to train are not started, so running the same command again resumes. Jobs receive
plain data (the flat parameters as a dict, paths as strings), which any launcher pickles.

- submitit: one array job of SWEEP_SHARDS tasks through `submitit.AutoExecutor`: SLURM where
  `sbatch` exists, else submitit's local executor (the same pickled jobs as local processes).
  SWEEP_GPUS (whole), SWEEP_CPUS, SWEEP_PARTITION and SWEEP_TIME_LIMIT make the request;
  each task's output is in OUT/submitit/<job id>_<task>_log.{out,err}.
- ray: one task per shard, num_gpus=SWEEP_GPUS (a fraction lets shards share a GPU) and
  num_cpus=SWEEP_CPUS, on a new Ray instance on this machine, or on a running cluster given
  by `address` (or RAY_ADDRESS); each task's output is in OUT/logs/shard-I-of-K.log. A shard
  is not retried by Ray: a rerun resumes it, as under SLURM.
"""
from __future__ import annotations

import importlib
import os
import re
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import pandas as pd

from .. import lock
from ..arch.designspace import Sample, space_names
from ..errors import ParamError
from ..params import check_all
from .sweep import RESULT, default_train, is_done, plan, read_result, regime_of, run_dir, \
    run_shard, shard_lock, write_table

EXTRAS = {"submitit": "slurm", "ray": "ray"}  # pyproject's optional dependencies
POLL_SECONDS = 2.0  # how often the waiting process looks for finished models


class Ended(NamedTuple):
    """A shard that ended: why it failed (None: it finished), and whether its process died
    (killed, out of time or memory, its node lost) rather than raised an error."""
    shard: int
    why: str | None = None
    died: bool = False


@dataclass(frozen=True)
class Launched:
    """What a launch left: the whole results table and one line per shard that failed."""
    table: pd.DataFrame
    failed: list[str]


def require(launcher: str):
    """The launcher's package, or one line that says how to install it."""
    try:
        return importlib.import_module(launcher)
    except ImportError:
        raise ParamError(f"--launcher {launcher} needs the {launcher} package: pip install "
                         f"'regnet-lab[{EXTRAS[launcher]}]' (or pip install {launcher})") \
            from None


# --- what is left ------------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    """A sweep in k shards: its folder, its jobs in order (shard i: jobs i, i+k, ...), k."""
    out: Path
    jobs: list[Sample]
    k: int

    def shard(self, i: int) -> list[Sample]:
        return self.jobs[i::self.k]


def split(values: Mapping[str, Any], out: Path) -> tuple[Split, list[Sample], list[int]]:
    """The sweep in SWEEP_SHARDS shards, its unfinished jobs, and the shards that hold any."""
    jobs = plan(space_names(values["SWEEP_SPACES"]), values["SWEEP_SAMPLES"],
                values["SWEEP_SEED"], regime_of(values))
    k = values["SWEEP_SHARDS"]
    # before anything starts: a folder of another sweep is refused here, in one line
    todo = {n: s for n, s in enumerate(jobs) if not is_done(out, s, values)}
    return Split(out, jobs, k), list(todo.values()), sorted({n % k for n in todo})


class Landing:
    """Prints each unfinished model once its result.json appears: space, index, accuracy, s."""

    def __init__(self, out: Path, total: int, todo: Sequence[Sample],
                 log: Callable[[str], None]):
        self.waiting = [run_dir(out, s) / RESULT for s in todo]
        self.done, self.total, self.log = total - len(todo), total, log

    def __call__(self) -> None:
        for path in [p for p in self.waiting if p.is_file()]:
            self.waiting.remove(path)
            row = read_result(path)["row"]
            self.done += 1
            self.log(f"{row['space']} {row['index']:04d}: accuracy {100 - row['error']:.2f}%, "
                     f"{row['seconds']:.1f} s  [{self.done}/{self.total}]")


def free_locks(split: Split, i: int) -> None:
    """Remove the lock files that a dead shard left (its own and its models'), unless a live
    process holds one: its rerun may land on another machine, which could not check them."""
    lock.remove_stale(split.out, shard_lock(i, split.k))
    for s in split.shard(i):
        lock.remove_stale(run_dir(split.out, s))


# --- what a shard runs -------------------------------------------------------------------

def shard_log(out: str | Path, i: int, k: int) -> Path:
    """OUT/logs/shard-I-of-K.log: where a Ray shard's output goes."""
    return Path(out) / "logs" / f"shard-{i}-of-{k}.log"


def shard_job(values: dict, out: str, i: int, k: int, train_fn: Callable = default_train,
              log_file: str | None = None) -> int:
    """What a launcher runs: `run_shard` on SWEEP_CPUS threads, its output appended to
    `log_file` when given (Ray keeps a task's output elsewhere; submitit keeps it itself)."""
    import torch  # here, in the shard's process: the waiting process never needs torch
    torch.set_num_threads(values["SWEEP_CPUS"])  # a local executor's shards share the cores
    if log_file is None:
        return run_shard(values, out, i, k, train_fn)
    Path(log_file).parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "a", buffering=1) as f, redirect_stdout(f), redirect_stderr(f):
        try:
            return run_shard(values, out, i, k, train_fn)
        except BaseException:
            traceback.print_exc()
            raise


# --- submitit ----------------------------------------------------------------------------

_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*$")


def last_raised(text: str) -> str:
    """The `SomeError: message` line of a traceback (else its first line): why it failed."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    raised = [line for line in lines if _RAISED.match(line)]
    if raised:
        return raised[-1]
    return lines[0] if lines else "no message"


class SubmititShards:
    """An array job of shards through submitit.AutoExecutor; logs in OUT/submitit/."""

    def __init__(self, values: dict, out: Path, shards: Sequence[int], k: int,
                 train_fn: Callable, cluster: str | None = None):
        submitit = require("submitit")
        executor = submitit.AutoExecutor(folder=out / "submitit", cluster=cluster)
        executor.update_parameters(
            name="regnet-sweep", nodes=1, tasks_per_node=1,
            gpus_per_node=int(values["SWEEP_GPUS"]),
            cpus_per_task=values["SWEEP_CPUS"], timeout_min=values["SWEEP_TIME_LIMIT"],
            slurm_partition=values["SWEEP_PARTITION"])  # None: the cluster's default
        self.where = f"submitit ({executor.cluster})"
        n = len(shards)
        jobs = executor.map_array(partial(shard_job, train_fn=train_fn), [values] * n,
                                  [str(out)] * n, list(shards), [k] * n)
        self.jobs = dict(zip(shards, jobs))
        self.running = dict(self.jobs)

    @staticmethod
    def check(values: Mapping[str, Any]) -> None:
        """What SLURM cannot give, in one line before anything starts."""
        if not float(values["SWEEP_GPUS"]).is_integer():
            raise ParamError(f"SWEEP_GPUS={values['SWEEP_GPUS']:g}: SLURM gives a task whole "
                             "GPUs; shards that share a GPU need --launcher ray")

    def wait(self, seconds: float) -> list[Ended]:
        """The shards that ended since the last call."""
        ended = [i for i, job in self.running.items() if job.done()]
        if not ended:
            time.sleep(seconds)
        return [self._ended(i, self.running.pop(i)) for i in ended]

    @staticmethod
    def _ended(i: int, job) -> Ended:
        if not job.paths.result_pickle.exists() and job.state != "COMPLETED":
            return Ended(i, f"stopped without a result (submitit state {job.state})", True)
        error = job.exception()  # on SLURM this waits a little for a result still in flight
        return Ended(i, None if error is None else last_raised(str(error)))

    def log_of(self, i: int) -> Path:
        return self.jobs[i].paths.stderr

    def close(self) -> None:
        """Nothing to do: SLURM jobs outlive this process, and so do local ones."""


# --- ray ---------------------------------------------------------------------------------

def unmet(values: Mapping[str, Any], have: Mapping[str, float]) -> list[str]:
    """What one shard asks of Ray that the cluster does not have (`ray.cluster_resources()`)."""
    return [f"{name}={values[name]:g} per shard, but Ray has {have.get(key, 0):g} {key}s"
            for name, key in (("SWEEP_GPUS", "GPU"), ("SWEEP_CPUS", "CPU"))
            if values[name] > have.get(key, 0)]


class RayShards:
    """One Ray task per shard; logs in OUT/logs/."""

    def __init__(self, values: dict, out: Path, shards: Sequence[int], k: int,
                 train_fn: Callable, address: str | None = None):
        self.ray = ray = require("ray")
        self.started = not ray.is_initialized()  # a notebook's own ray.init() is reused
        # a new instance on this machine has all the resources it will ever have
        fixed = self.started and not (address or os.environ.get("RAY_ADDRESS"))
        if self.started:  # address None: RAY_ADDRESS if set, else a new instance here
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self.where = f"ray at {ray.get_runtime_context().gcs_address}"
        self._check_resources(values, fixed)
        task = ray.remote(shard_job).options(
            num_gpus=values["SWEEP_GPUS"], num_cpus=values["SWEEP_CPUS"], max_retries=0)
        self.out, self.k = out, k
        out.mkdir(parents=True, exist_ok=True)
        self.running = {task.remote(values, str(out), i, k, train_fn,
                                    str(shard_log(out, i, k))): i for i in shards}

    def _check_resources(self, values: dict, fixed: bool) -> None:
        """A shard no node can take waits for ever: an error on a machine of our own, a
        note on a cluster (an autoscaler may add the nodes)."""
        for why in unmet(values, self.ray.cluster_resources()):
            if fixed:
                self.close()
                raise ParamError(f"{why} on this machine; ask for less")
            self.where += f"; {why} now: the shards wait until nodes with more join"

    def wait(self, seconds: float) -> list[Ended]:
        """The shards that ended since the last call."""
        ready, _ = self.ray.wait(list(self.running), num_returns=1, timeout=seconds)
        return [self._ended(self.running.pop(ref), ref) for ref in ready]

    def _ended(self, i: int, ref) -> Ended:
        try:
            self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as e:  # the shard raised
            cause = getattr(e, "cause", None)
            error = cause if isinstance(cause, BaseException) else e
            return Ended(i, f"{type(error).__name__}: {last_raised(str(error))}")
        except self.ray.exceptions.RayError as e:  # its worker or node went away
            return Ended(i, f"{type(e).__name__}: {last_raised(str(e))}", True)
        return Ended(i)

    def log_of(self, i: int) -> Path:
        return shard_log(self.out, i, self.k)

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()


# --- the launch --------------------------------------------------------------------------

def launch(values: Mapping[str, Any], out: str | Path, launcher: str, *,
           address: str | None = None, cluster: str | None = None,
           train_fn: Callable = default_train, poll: float = POLL_SECONDS,
           log: Callable[[str], None] = print) -> Launched:
    """Start the unfinished shards on `launcher`, print each model as it lands, wait for the
    shards to end, and return the table (`results.csv`) with a line per failed shard.

    `address` is Ray's (default: RAY_ADDRESS, else a new instance here); `cluster` is
    submitit's (default: slurm where sbatch exists, else local). `train_fn` must be
    importable by name in the shards' processes.
    """
    if launcher not in EXTRAS:
        raise ParamError(f"--launcher {launcher!r}: launch() starts submitit or ray shards; "
                         "local sweeps run with sweep.run_sweep")
    values, out = dict(check_all(values)), Path(out)
    # the mistakes first, each one line before any folder is made or anything starts
    require(launcher)
    if launcher == "submitit":
        SubmititShards.check(values)
    parts, todo, shards = split(values, out)
    total, k = len(parts.jobs), parts.k
    log(f"{total - len(todo)} of {total} models already done, {len(todo)} to train in "
        f"{len(shards)} of {k} shards")
    if shards:
        if launcher == "submitit":
            running = SubmititShards(values, out, shards, k, train_fn, cluster)
        else:
            running = RayShards(values, out, shards, k, train_fn, address)
        log(f"started on {running.where}")
        failed = watch(running, parts, Landing(out, total, todo, log), poll, log)
    else:
        failed = []
    return Launched(write_table(out), failed)


def watch(running, parts: Split, landing: Landing, poll: float,
          log: Callable[[str], None]) -> list[str]:
    """Print models as they land and shards as they fail, until no shard runs."""
    failed = []
    try:
        while running.running:
            ended = running.wait(poll)
            landing()  # a shard's models before the line that says it failed
            for i, why, died in ended:
                if died:
                    free_locks(parts, i)
                if why:
                    failed.append(f"shard {i}/{parts.k} failed: {why} "
                                  f"(log: {running.log_of(i)})")
                    log(failed[-1])
    finally:
        running.close()
    landing()  # a result that landed as the last shard ended
    return failed
