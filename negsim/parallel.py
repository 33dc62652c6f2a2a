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
Workers ignore SIGTERM: SLURM sends it to every process of a job (``scancel``, walltime), and the
driver, which handles it like SIGINT (its finished runs are written), then stops its workers
itself; a worker dying first would only turn that into a broken pool.

On dask, the driver watches the cluster (:func:`dask_workers`): a lost scheduler cancels every
future at once, so the client's reconnection attempts (30 s by default) would only delay the
exit; the client gives up after :data:`DASK_RECONNECT` seconds instead, and its log (a long
traceback) is silenced when the driver reports the loss itself (:func:`quiet_dask`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

__all__ = ["InlineExecutor", "executor", "as_completed_bounded", "default_workers",
           "die_with_parent", "dask_workers", "scheduler_lost", "quiet_dask"]

#: How often (seconds) a worker's watchdog checks that its parent still lives.
WATCHDOG_INTERVAL = 0.5
#: Seconds a dask client keeps trying to reach a lost scheduler (its futures are gone anyway).
DASK_RECONNECT = 2.0
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

#: Modules the fork server imports before forking workers (numpy, pandas, Mesa, the rules).
#: (Callers that run their own modules in workers add them with ``executor(preload=...)``: this
#: ground-floor module names nothing above it.)
PRELOAD = ["numpy", "negsim.engine", "negsim.rules.eum", "negsim.rules.baselines", "pyarrow"]


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
             dask_local: bool = False, preload: Sequence[str] = ()) -> Iterator[cf.Executor]:
    """An executor for ``workers`` processes (1: inline), or for a dask cluster.

    ``scheduler`` is a dask scheduler address (``tcp://host:8786``); ``dask_local`` starts a
    ``LocalCluster`` with ``workers`` single-threaded worker processes for the duration.
    ``preload``: modules a fork server imports once before starting workers (when workers
    cannot be forked from this process directly).
    """
    n = default_workers() if workers is None else max(1, int(workers))
    if scheduler or dask_local:
        from distributed import Client, LocalCluster

        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            import logging

            # the cluster's own processes log only what is critical: the driver reports lost
            # workers and interruptions itself, in one line
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.CRITICAL)
            client = Client(cluster)
        if isinstance(getattr(client, "_timeout", None), (int, float)):
            client._timeout = DASK_RECONNECT     # the reconnection budget (module docstring)
        pool = client.get_executor(pure=False)
        pool.negsim_client = client  # type: ignore[attr-defined]
        handlers = _filter_dask_logs()
        try:
            yield pool
        finally:
            # An interrupted sweep (SIGINT, SIGTERM) or a lost scheduler tears the cluster
            # down mid-conversation: its comms report closing, with tracebacks. The driver has
            # said what happened in one line, so the teardown stays silent; the filters come
            # off only once the client and the cluster are closed.
            if scheduler_lost(pool) or sys.exc_info()[0] is not None:
                quiet_dask()
            with contextlib.suppress(Exception):
                client.close(timeout=DASK_RECONNECT)
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close()
            for h in handlers:
                h.removeFilter(_DASK_LOG_FILTER)
        return
    if n == 1:
        yield InlineExecutor()
        return
    ctx = _context(preload)
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
    except BaseException:
        # interrupted (SIGINT, SIGTERM, an error): the runs in flight are not wanted, and a
        # worker mid-batch would otherwise hold up the exit until its batch ends
        for proc in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True, cancel_futures=True)


def dask_workers(pool: cf.Executor) -> int | None:
    """How many workers the dask cluster behind ``pool`` has (as the client last heard from
    its scheduler); None if ``pool`` is not a dask executor."""
    client = getattr(pool, "negsim_client", None)
    if client is None:
        return None
    try:
        info = client.scheduler_info(n_workers=0)   # the totals only: cheap on a big cluster
    except Exception:  # noqa: BLE001 - a client without a scheduler: no workers
        return 0
    n = info.get("n_workers")
    return int(n) if isinstance(n, int) else len(info.get("workers", {}))


def scheduler_lost(pool: cf.Executor) -> bool:
    """Whether ``pool`` is a dask executor whose client has lost its scheduler."""
    client = getattr(pool, "negsim_client", None)
    return client is not None and str(getattr(client, "status", "running")) not in (
        "running", "newly-created")


class _DaskLogFilter:
    """distributed's log during a sweep: one line per record (no traceback), and nothing about
    a connection closing (the driver reports a lost scheduler itself, in one line)."""

    QUIET = ("CommClosedError", "StreamClosedError", "CancelledError", "ConnectionRefusedError",
             "ConnectionResetError", "BrokenPipeError")

    def filter(self, record: Any) -> bool:
        if not record.name.startswith("distributed"):
            return True
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and (type(exc).__name__ in self.QUIET
                                or type(exc.__cause__).__name__ in self.QUIET):
            return False
        record.exc_info = record.exc_text = record.stack_info = None
        return True


_DASK_LOG_FILTER = _DaskLogFilter()


def _filter_dask_logs() -> list[Any]:
    """Attach the filter to every handler distributed's records reach; return those."""
    import logging

    handlers = list(logging.getLogger("distributed").handlers) + list(logging.root.handlers)
    for h in handlers:
        h.addFilter(_DASK_LOG_FILTER)
    # asyncio reports a comm task that died with its connection ("Task exception was never
    # retrieved", with a traceback) through logging's last-resort handler, which no filter
    # reaches: during a sweep, that is distributed's business and the driver's report covers it
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    return handlers


def quiet_dask() -> None:
    """Silence distributed's loggers (its report of a lost scheduler is a long traceback)."""
    import logging

    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)


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
    with contextlib.suppress(ValueError, OSError):   # SIGTERM is the driver's to handle
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(WATCHDOG_INTERVAL)
            if os.getppid() != ppid:
                os._exit(1)

    threading.Thread(target=watch, name="negsim-watchdog", daemon=True).start()


def _context(preload: Sequence[str] = ()):
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
    ctx.set_forkserver_preload(PRELOAD + [m for m in preload if m not in PRELOAD])
    return ctx


def as_completed_bounded(pool: cf.Executor, fn: Callable[[Any], Any], tasks: Iterable[Any],
                         in_flight: int, poll: float | None = None,
                         on_wait: Callable[[], None] | None = None
                         ) -> Iterator[tuple[Any, cf.Future]]:
    """Submit ``fn(task)`` for each task, at most ``in_flight`` at a time, and yield
    ``(task, future)`` pairs as they complete (the future is done; call ``.result()``).

    With ``poll``, ``on_wait()`` is called every ``poll`` seconds while nothing completes (a
    watch on the cluster; it may raise to stop)."""
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
        done, _ = cf.wait(list(pending), timeout=poll, return_when=cf.FIRST_COMPLETED)
        if on_wait is not None:
            on_wait()
        for fut in done:
            yield pending.pop(fut), fut
        fill()
