"""``negsim sweep SCENARIO --param PATH=SPEC ... --out DIR``: batch runs into a resumable store."""

from __future__ import annotations

import argparse

HELP = "run a parameter sweep (Monte Carlo, factorial, LHS, Sobol, Morris) into a result store"

EPILOG = """\
PATH is a dotted scenario path as for --set, with * wildcards; SPEC is VALUE (fixed),
A:B (range), A:B:N (N levels), V1,V2,... (levels), noise:SIGMA (file value + normal noise,
clipped), scale:A:B (one multiplier for all matched fields) or scale-each:A:B (one per field).
Example:
  negsim sweep scenarios/nato_russia_2022.yaml --param 'actors.*.issues.*.salience=noise:0.05' \\
      --design montecarlo --samples 300 --seed 7 --workers 2 --out runs/noise
Re-running the same command resumes: finished runs are skipped (also after Ctrl-C, SIGTERM,
kill -9 or a lost dask scheduler). A Monte Carlo sweep grows when re-run with more --samples or
--replications; --retry-failed with a larger --time-limit rescues timed-out runs. See
docs/sweeps.md."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help=HELP, description=HELP + ".", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="SCENARIO", help="scenario file (YAML or CSV)")
    p.add_argument("--param", dest="sweep_params", action="append", default=[],
                   metavar="PATH=SPEC", help="a swept or fixed parameter (repeatable)")
    p.add_argument("--design", default="montecarlo",
                   choices=("montecarlo", "factorial", "lhs", "sobol", "morris"),
                   help="how parameter rows are chosen (default montecarlo)")
    p.add_argument("--samples", type=int, default=100, metavar="N",
                   help="rows (montecarlo, lhs), base samples (sobol: N x (D+2) rows) or "
                        "trajectories (morris: N x (D+1) rows); ignored by factorial")
    p.add_argument("--replications", type=int, default=1, metavar="R",
                   help="runs per row, each with its own seed (default 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="master seed: the design and every run's seed derive from it")
    p.add_argument("--out", required=True, metavar="DIR", help="the result store (resumable)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes (default: all cores; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a dask.distributed cluster, e.g. tcp://host:8786")
    p.add_argument("--dask", choices=("local",),
                   help="'local': start a dask LocalCluster with --workers processes")
    p.add_argument("--dask-idle-warning", type=float, metavar="SECONDS",
                   help="with dask: say so when no worker has been connected for this long "
                        "(default 60)")
    p.add_argument("--trajectories", nargs="?", const="issues", choices=("issues", "actors"),
                   help="also store per-round records (issue statistics, or actor positions)")
    p.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help="record a run as failed if it takes longer than this")
    p.add_argument("--chunk-size", type=int, metavar="RUNS",
                   help="runs per Parquet part (default 250)")
    p.add_argument("--retry-failed", action="store_true", help="run failed runs again")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE",
                   help="fixed override of the base scenario (repeatable)")
    p.add_argument("--model", metavar="RULE", help="bargaining rule for every run")
    p.add_argument("--rounds", type=int, metavar="N", help="round limit of every run")
    p.add_argument("--stop", choices=("auto", "never"), help="stopping rule of every run")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="log every part written (stderr)")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    import time

    from ..readers import apply_overrides, read_document
    from ..errors import InputError, Problem
    from ..sweeps.execute import SweepAborted, Terminated, run_sweep
    from .common import command_line, note

    problems = []
    if args.scheduler and args.dask:
        problems.append(Problem("--dask", "", "give either --scheduler or --dask local", "both"))
    if problems:
        raise InputError(problems)
    doc = read_document(args.file)
    sets = list(args.sets)
    if args.model:
        section = doc.data.get("model")
        if isinstance(section, dict) and section.get("rule", "eum") != args.model:
            section.pop("params", None)
        sets.append(f"model.rule={args.model}")
    if args.rounds is not None:
        sets.append(f"model.max_rounds={args.rounds}")
    if args.stop:
        sets.append(f"model.stop={args.stop}")
    doc.problems.extend(apply_overrides(doc, sets))
    if not args.sweep_params:
        note("note: no --param given: every run uses the same scenario (replications only)")
    started = time.perf_counter()
    try:
        store = run_sweep(doc, args.sweep_params, design=args.design, samples=args.samples,
                          replications=args.replications, seed=args.seed, out=args.out,
                          workers=args.workers, scheduler=args.scheduler,
                          dask_local=args.dask == "local", trajectories=args.trajectories,
                          time_limit=args.time_limit, chunk_size=args.chunk_size,
                          progress=not args.quiet, retry_failed=args.retry_failed,
                          command=command_line(args), log=note if args.verbose else None,
                          note=note, dask_idle_warning=args.dask_idle_warning)
    except KeyboardInterrupt as exc:     # SIGINT, or SIGTERM (Terminated)
        what = "SIGTERM" if isinstance(exc, Terminated) else "interrupted"
        note(f"negsim: {what}: {_so_far(args.out)}; resume with: {command_line(args)}")
        return 143 if isinstance(exc, Terminated) else 130
    except SweepAborted as exc:
        note(f"negsim: error: {exc}; {_so_far(args.out)}; run the same command again to resume "
             f"(once the cluster is back): {command_line(args)}")
        return 1
    elapsed = time.perf_counter() - started
    st = store.status()
    print(f"{args.out}: {st['done']} of {st['runs']} runs done ({st['ok']} ok, {st['failed']} "
          f"failed, {st['pending']} pending) in {st['parts']} parts; this call took "
          f"{elapsed:.1f} s")
    for error, count in st["errors"]:
        print(f"  failed x{count}: {error}")
    if any(e.startswith("RunTimeout") for e, _ in st["errors"]):
        print("  timed-out runs run again with --retry-failed and a larger --time-limit")
    print(f"next: negsim analyze {args.out}")
    return 0


def _so_far(out: str) -> str:
    """How many runs the store holds (for a message after an interruption)."""
    from ..errors import InputError
    from ..sweeps.store import SweepStore

    try:
        st = SweepStore(out).status()
    except (InputError, OSError):
        return "no run was written"
    return f"{st['done']} of {st['runs']} runs are in {out}"
