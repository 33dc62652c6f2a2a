"""Running many independent tasks: in this process, on a local process pool, or on a
dask.distributed cluster, through one ``concurrent.futures`` interface.

Sweeps and back-tests use :func:`executor` to obtain an executor and :func:`as_completed_bounded`
to stream results back while keeping at most a few tasks in flight per worker, so memory stays
flat however many tasks there are. Results never depend on which worker ran a task or in which
order tasks finished: every task carries its own inputs (and seed), and callers key results by
task, not by arrival.

Workers die with their driver. A driver killed outright (``kill -9``, the OOM killer) runs no
clean-up, and its pool's workers would live on, orphaned, computing runs nobody collects. Each
worker therefore asks Linux to send it SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``, through ``ctypes``), and, on every system, runs a watchdog thread
that exits the process when it has been re-parented (its parent is gone). Workers started by a
fork server are the fork server's children; it exits when the driver does, so they follow.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["InlineExecutor", "executor", "as_completed_bounded", "default_workers",
           "die_with_parent"]

#: How often (seconds) a worker's watchdog checks that its parent still lives.
WATCHDOG_INTERVAL = 0.5
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

#: Modules the fork server imports before forking workers (numpy, pandas, Mesa, the rules).
PRELOAD = ["negsim.model", "negsim.rules.eum", "negsim.rules.baselines", "negsim.sweeps.execute",
           "pyarrow"]


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class InlineExecutor(cf.Executor):
    """Runs each task at submission, in this process (``--workers 1``): no pickling, easy to
    debug, and exactly the same results as a pool."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def executor(workers: int | None = None, scheduler: str | None = None,
             dask_local: bool = False) -> Iterator[cf.Executor]:
    """An executor for ``workers`` processes (1: inline), or for a dask cluster.

    ``scheduler`` is a dask scheduler address (``tcp://host:8786``); ``dask_local`` starts a
    ``LocalCluster`` with ``workers`` single-threaded worker processes for the duration.
    """
    n = default_workers() if workers is None else max(1, int(workers))
    if scheduler or dask_local:
        from distributed import Client, LocalCluster

        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    if n == 1:
        yield InlineExecutor()
        return
    ctx = _context()
    pool = cf.ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=die_with_parent,
                                  initargs=(os.getpid() if ctx.get_start_method() == "fork"
                                            else None,))
    with warnings.catch_warnings():
        # Python warns about forking whenever the OS reports more than one thread. With one
        # Python thread, the others are idle native pools (BLAS, Arrow) that install fork
        # handlers; start every worker now, before any task, so nothing is mid-flight.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded",
                                DeprecationWarning)
        pool.submit(int).result()
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def die_with_parent(parent: int | None = None) -> None:
    """Make this (worker) process exit when its parent process dies (see the module docstring).

    ``parent`` is the pid the parent had when it started this process, if known: a worker
    whose parent died before this ran exits at once."""
    import signal
    import threading
    import time

    if os.uname().sysname == "Linux":
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the watchdog
            pass
    ppid = os.getppid()
    if parent is not None and ppid != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_INTERVAL)
            if os.getppid() != ppid:
                os._exit(1)

    threading.Thread(target=watch, name="negsim-watchdog", daemon=True).start()


def _context():
    """How to start workers. A single-threaded process forks: workers start at once with
    everything already imported, and a user's script is not re-run in them (spawn and
    forkserver re-import ``__main__``, which runs an unguarded script again). A process with
    other threads (a notebook kernel, a dask client) must not fork; it uses a fork server that
    has imported the heavy modules once."""
    import multiprocessing
    import threading

    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def as_completed_bounded(pool: cf.Executor, fn: Callable[[Any], Any], tasks: Iterable[Any],
                         in_flight: int) -> Iterator[tuple[Any, cf.Future]]:
    """Submit ``fn(task)`` for each task, at most ``in_flight`` at a time, and yield
    ``(task, future)`` pairs as they complete (the future is done; call ``.result()``)."""
    it = iter(tasks)
    pending: dict[cf.Future, Any] = {}

    def fill() -> None:
        while len(pending) < in_flight:
            try:
                task = next(it)
            except StopIteration:
                return
            pending[pool.submit(fn, task)] = task

    fill()
    while pending:
        done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
        for fut in done:
            yield pending.pop(fut), fut
        fill()
