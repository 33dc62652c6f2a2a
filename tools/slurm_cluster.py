"""Start a dask cluster on SLURM for ``negsim sweep --scheduler`` (the recipe of
docs/sweeps.md, "On a cluster with dask-jobqueue", as a script).

Run it on the login node and keep it running during the sweep::

    python tools/slurm_cluster.py --account myproject --jobs 64 --walltime 04:00:00 \\
        --interface ib0 --python /path/to/venv/bin/python

It prints the scheduler's address; pass it to ``negsim sweep --scheduler``. ``--dry-run``
prints the SLURM job script instead and exits (what the tests check).

Choices, and why:

- one single-threaded worker per job (``cores=1, processes=1``): sweep runs are independent
  and single-threaded, so jobs are small and start soon;
- ``interface=`` for the workers and ``scheduler_options={"interface": ..., "port": ...}`` for
  the scheduler: the network every node can reach (a node's default may not be), on a fixed port
  so the sweep command stays the same when the cluster is restarted;
- ``cluster.adapt(minimum_jobs, maximum_jobs)`` rather than ``scale``: each worker retires
  (``--lifetime``) some minutes before its job's walltime, staggered, and adapt submits
  replacements, so a sweep longer than a walltime goes on; runs a retiring worker held are
  rescheduled by dask, and results never depend on which worker ran a run.

The login node, the workers and the driver must run the same versions of negsim, dask and
distributed (``pip install dask-jobqueue`` in one environment shared by all).
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any


def parse_walltime(text: str) -> int:
    """Seconds in a SLURM walltime ``[D-]HH:MM:SS`` (or ``MM:SS``)."""
    days, _, rest = text.rpartition("-")
    parts = [int(p) for p in rest.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    h, m, s = parts
    return ((int(days) if days else 0) * 24 + h) * 3600 + m * 60 + s


def cluster_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of ``dask_jobqueue.SLURMCluster`` for these options."""
    wall = parse_walltime(args.walltime)
    # retire a worker before SLURM kills it: 10 minutes, or a tenth of a short walltime
    margin = min(600, max(60, wall // 10))
    lifetime = max(60, wall - margin)
    directives = [f"--account={args.account}"] if args.account else []
    opts: dict[str, Any] = {
        "cores": 1, "processes": 1, "memory": args.memory, "walltime": args.walltime,
        "job_extra_directives": directives, "python": args.python,
        "worker_extra_args": ["--lifetime", f"{lifetime}s", "--lifetime-stagger",
                              f"{margin // 2}s"],
        "scheduler_options": {"port": args.port, "dashboard_address": None},
    }
    if args.queue:
        opts["queue"] = args.queue
    if args.interface:
        opts["interface"] = args.interface
        opts["scheduler_options"]["interface"] = args.interface
    return opts


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--account", help="SLURM account (--account=)")
    p.add_argument("--queue", help="SLURM partition")
    p.add_argument("--jobs", type=int, default=16, help="most worker jobs at once (adapt)")
    p.add_argument("--min-jobs", type=int, default=1, help="fewest worker jobs (adapt)")
    p.add_argument("--walltime", default="04:00:00", help="each job's walltime")
    p.add_argument("--memory", default="2GB", help="memory per job")
    p.add_argument("--interface", help="network interface nodes share (e.g. ib0)")
    p.add_argument("--port", type=int, default=8786, help="scheduler port (0: any free)")
    p.add_argument("--python", default=sys.executable,
                   help="the workers' Python (a venv with negsim installed)")
    p.add_argument("--dry-run", action="store_true", help="print the job script and exit")
    return p


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from dask_jobqueue import SLURMCluster

    cluster = SLURMCluster(**cluster_options(args))
    try:
        if args.dry_run:
            print(cluster.job_script())
            return 0
        cluster.adapt(minimum_jobs=args.min_jobs, maximum_jobs=args.jobs)
        print(cluster.scheduler_address, flush=True)
        print(f"negsim sweep ... --scheduler {cluster.scheduler_address} --out DIR",
              file=sys.stderr)
        print("press Enter (or send SIGTERM) to stop the cluster", file=sys.stderr)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            sys.stdin.readline()
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        cluster.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
