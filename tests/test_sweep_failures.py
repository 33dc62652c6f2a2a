"""Sweeps under failure (issue 14, points 2, 4 and 6): a driver killed alone takes its workers
with it and the store resumes at once; SIGTERM writes the finished runs and prints how to
resume (process pool and dask); dask clusters losing their workers or their scheduler."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from negsim.sweeps.store import SweepStore

from .conftest import NATO, ROOT


def rows(path: Path) -> pd.DataFrame:
    return SweepStore(path).results().sort_values(["run_id", "issue"]).reset_index(drop=True)


def _cmd(out: Path, *extra: str, samples: int = 30) -> list[str]:
    return [sys.executable, "-m", "negsim", "sweep", str(NATO),
            "--param", "actors.*.issues.I3.salience=noise:0.05", "--samples", str(samples),
            "--seed", "9", "--chunk-size", "2", "--rounds", "30", "--verbose", "--quiet",
            "--out", str(out), *extra]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The rows of an uninterrupted run of _cmd, in this process (1 worker)."""
    from negsim.cli import main

    out = tmp_path_factory.mktemp("ref") / "full"
    assert main(_cmd(out, "--workers", "1")[3:]) == 0
    return rows(out)


class Lines:
    """A process's stderr lines, read in a thread (so a test can wait with a deadline)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.seen, self.q = proc, [], queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with self.proc.stderr:
            for line in self.proc.stderr:
                self.q.put(line)
        self.q.put(None)

    def wait_for(self, text: str, timeout: float = 60) -> float:
        """Seconds until a line containing ``text`` arrived."""
        start = time.monotonic()
        while True:
            left = timeout - (time.monotonic() - start)
            try:
                line = self.q.get(timeout=max(0.01, left))
            except queue.Empty:
                line = ""
            if line is None or left <= 0:
                raise AssertionError(f"never saw {text!r}: {''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return time.monotonic() - start

    def rest(self) -> str:
        self.proc.wait(timeout=60)
        while (line := self.q.get(timeout=10)) is not None:
            self.seen.append(line)
        return "".join(self.seen)


def _resume(out: Path, *extra: str) -> None:
    again = subprocess.run(_cmd(out, *extra), cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr


def test_kill_9_of_the_driver_alone_takes_its_workers_and_a_resume_works_at_once(tmp_path,
                                                                                 reference):
    out = tmp_path / "killed"
    proc = _start(_cmd(out, "--workers", "2"))
    lines = Lines(proc)
    try:
        lines.wait_for("part-000002")
        workers = _children(proc.pid)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)          # the driver only, as the OOM killer does
        proc.wait()
        # resume at once: the workers hold no lock (and are gone within the watchdog period)
        again = subprocess.run(_cmd(out, "--workers", "2"), cwd=ROOT, capture_output=True,
                               text=True)
        assert again.returncode == 0, again.stderr
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    a = rows(out)
    assert sorted(a["run_id"].unique()) == list(range(30))
    assert not a.duplicated(["run_id", "issue"]).any()
    pd.testing.assert_frame_equal(a, reference)


def test_sigterm_writes_the_finished_runs_and_prints_how_to_resume(tmp_path, reference):
    out = tmp_path / "term"
    proc = _start(_cmd(out, "--workers", "2"))
    lines = Lines(proc)
    try:
        lines.wait_for("part-000002")
        os.killpg(proc.pid, signal.SIGTERM)       # as SLURM does: every process of the job
        text = lines.rest()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, text
    last = text.strip().splitlines()[-1]
    st = SweepStore(out).status()
    assert st["done"] >= 4 and st["pending"] > 0
    assert last.startswith(f"negsim: SIGTERM: {st['done']} of 30 runs are in {out}; resume "
                           "with: negsim sweep ")
    assert "Traceback" not in text
    _resume(out, "--workers", "2")
    pd.testing.assert_frame_equal(rows(out), reference)


# -- dask: a scheduler in this process, workers as processes that the test kills -----------------

@pytest.fixture
def scheduler():
    distributed = pytest.importorskip("distributed")
    clusters = []

    def start():
        cluster = distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp",
                                           dashboard_address=None,
                                           scheduler_kwargs={"dashboard": False})
        clusters.append(cluster)
        return cluster

    yield start
    for c in clusters:
        c.close()


@pytest.fixture
def dask_worker():
    procs = []

    def start(address: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                 "--nthreads", "1", "--no-nanny", "--no-dashboard"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        procs.append(proc)
        return proc

    yield start
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def test_dask_losing_every_worker_is_reported_and_sigterm_writes_the_runs(
        tmp_path, reference, scheduler, dask_worker):
    cluster = scheduler()
    address = cluster.scheduler_address
    first = dask_worker(address)
    out = tmp_path / "dask"
    args = ("--scheduler", address, "--dask-idle-warning", "1")
    proc = _start(_cmd(out, *args))
    lines = Lines(proc)
    try:
        lines.wait_for("part-000002")
        os.killpg(first.pid, signal.SIGKILL)      # the cluster's only worker
        waited = lines.wait_for("no dask worker has been connected for 1 s", timeout=30)
        # within the configured time plus the client's view of the cluster (2 s) and a poll
        assert waited < 1 + 2 + 1 + 3
        dask_worker(address)
        lines.wait_for("connected again", timeout=60)
        lines.wait_for("wrote results/part-", timeout=60)
        os.kill(proc.pid, signal.SIGTERM)
        text = lines.rest()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, text
    assert "resume with: negsim sweep" in text and "Traceback" not in text
    assert 0 < SweepStore(out).status()["done"] < 30
    _resume(out, *args)
    pd.testing.assert_frame_equal(rows(out), reference)


def test_dask_losing_its_scheduler_is_one_line_and_a_rerun_resumes(tmp_path, reference,
                                                                   scheduler, dask_worker):
    cluster = scheduler()
    worker = dask_worker(cluster.scheduler_address)
    out = tmp_path / "lost"
    proc = _start(_cmd(out, "--scheduler", cluster.scheduler_address))
    lines = Lines(proc)
    try:
        lines.wait_for("part-000002")
        cluster.close()
        os.killpg(worker.pid, signal.SIGKILL)
        started = time.monotonic()
        text = lines.rest()
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 1, text
    assert "Traceback" not in text and "CancelledError" not in text
    (last,) = [line for line in text.splitlines() if line.startswith("negsim:")]
    done = SweepStore(out).status()["done"]
    assert last.startswith("negsim: error: lost the connection to the dask scheduler at "
                           f"{cluster.scheduler_address}; {done} of 30 runs are in {out}; run "
                           "the same command again to resume")
    assert took < 15
    again = scheduler()
    dask_worker(again.scheduler_address)
    _resume(out, "--scheduler", again.scheduler_address)
    pd.testing.assert_frame_equal(rows(out), reference)


def test_sigterm_under_dask_local_writes_the_runs_and_prints_how_to_resume(tmp_path, reference):
    out = tmp_path / "dask-local"
    proc = _start(_cmd(out, "--dask", "local", "--workers", "2"))
    lines = Lines(proc)
    try:
        lines.wait_for("part-000002")
        os.killpg(proc.pid, signal.SIGTERM)       # the driver and the cluster's processes
        text = lines.rest()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, text
    done = SweepStore(out).status()["done"]
    assert 4 <= done < 30
    assert f"negsim: SIGTERM: {done} of 30 runs are in {out}; resume with: negsim sweep" in text
    assert "Traceback" not in text
    _resume(out, "--workers", "1")            # any executor: the same rows
    pd.testing.assert_frame_equal(rows(out), reference)
