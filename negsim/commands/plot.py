"""``negsim plot RUN_DIR``: draw charts from a stored run (or a compare directory)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
HELP = "draw convergence, strip and quadrant charts from a run directory (never re-simulates)"
KINDS = ("convergence", "multiples", "strip", "quadrant", "compare", "all")
FORMATS = ("png", "svg", "pdf")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help=HELP, description=HELP + ". RUN_DIR is written by "
                       "'negsim run FILE --out DIR' (or 'negsim compare ... --out DIR', which "
                       "gives the comparison chart).")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory (or compare directory)")
    p.add_argument("--kind", choices=KINDS, default="all",
                   help="convergence: one chart per issue; multiples: all issues on one "
                        "figure, ordered by status; strip: where each actor ends; quadrant: "
                        "the expected-utility 'view from an actor'; compare: each model's "
                        "forecast (compare directories); all (default): every chart that "
                        "applies")
    p.add_argument("--issue", metavar="ID", help="only this issue (convergence, quadrant)")
    p.add_argument("--actor", metavar="ID",
                   help="focal actor of the quadrant chart (default: the actor with the "
                        "largest capability x salience on the issue)")
    p.add_argument("--round", type=int, metavar="N", dest="round",
                   help="round of the quadrant chart (default 1) and the strip chart "
                        "(default: the last)")
    p.add_argument("--format", choices=FORMATS, default="png", help="file format (default png)")
    p.add_argument("--out", metavar="FIGDIR",
                   help="where to write the figures (default: RUN_DIR/figures)")
    p.add_argument("--dpi", type=int, default=150, metavar="N",
                   help="resolution of PNG figures (default 150)")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    paths = write_figures(args.run_dir, kind=args.kind, issue=args.issue, actor=args.actor,
                          rnd=args.round, fmt=args.format, out=args.out, dpi=args.dpi)
    for path in paths:
        print(path)
    return 0


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "x"


def write_figures(run_dir: str | Path, *, kind: str = "all", issue: str | None = None,
                  actor: str | None = None, rnd: int | None = None, fmt: str = "png",
                  out: str | Path | None = None, dpi: int = 150,
                  notes: list[str] | None = None) -> list[Path]:
    """Draw the requested charts of a run or compare directory and write them to ``out``
    (default ``RUN_DIR/figures``). Every argument is checked before anything is written.
    Returns the paths written; ``notes`` collects charts left out and why."""
    from ..errors import InputError, Problem
    from ..plots import (is_compare_dir, load_run, plot_comparison, plot_convergence,
                         plot_final_strip, plot_quadrant, plot_small_multiples, save_figure)
    from ..plots.quadrant import view_from
    from ..plots.runs import check_issue, check_round

    if not 20 <= dpi <= 1200:
        raise InputError([Problem("--dpi", "", "must be between 20 and 1200", dpi)])
    run_dir = Path(run_dir)
    figdir = Path(out) if out is not None else run_dir / "figures"
    notes = notes if notes is not None else []

    if is_compare_dir(run_dir) and not (run_dir / "summary.json").is_file():
        if kind not in ("compare", "all"):
            raise InputError([Problem("--kind", "", f"{run_dir} is a compare directory: "
                                      "use --kind compare, or plot one model's run "
                                      f"directory ({run_dir}/<model>)", kind)])
        fig = plot_comparison(run_dir)
        return [save_figure(fig, figdir / f"compare.{fmt}", dpi)]
    if kind == "compare":
        raise InputError([Problem("--kind", "", f"{run_dir} is not a compare directory (no "
                                  "compare.json); write one with: negsim compare ... --out DIR",
                                  kind)])

    result = load_run(run_dir)
    issues = [check_issue(result, issue)] if issue else list(result.issue_ids)
    if kind in ("strip", "all"):
        check_round(result, rnd, result.rounds_run)
    jobs: list[tuple[str, object]] = []
    if kind in ("convergence", "all"):
        jobs += [(f"convergence-{_safe(i)}", lambda r, i=i: plot_convergence(r, i))
                 for i in issues]
    if kind in ("multiples", "all"):
        jobs.append(("multiples", plot_small_multiples))
    if kind in ("strip", "all"):
        jobs.append(("strip", lambda r: plot_final_strip(r, rnd)))
    if kind in ("quadrant", "all"):
        try:
            views = [view_from(result, actor, i, rnd) for i in issues]
        except InputError as exc:
            if kind == "quadrant" or actor is not None or rnd is not None:
                raise
            notes.extend(f"no quadrant chart: {p.message}" for p in exc.problems)
            views = []
        for focal, iid, r, _ in views:
            jobs.append((f"quadrant-{_safe(focal)}-{_safe(iid)}-r{r}",
                         lambda res, f=focal, i=iid, r=r: plot_quadrant(res, f, i, r)))
    written = []
    for name, make in jobs:
        fig = make(result)  # type: ignore[operator]
        written.append(save_figure(fig, figdir / f"{name}.{fmt}", dpi))
    return written


def plot_run_dir(run_dir: str | Path, notes: list[str] | None = None) -> list[Path]:
    """``negsim run --plot``: every chart of the run just written to ``run_dir``, drawn from
    the stored records into ``run_dir/figures``."""
    return write_figures(run_dir, kind="all", notes=notes)
