"""``negsim plot RUN_DIR``: draw charts from a stored run (or a compare directory); with
``--baseline BASE_DIR``, the what-if charts of RUN_DIR against BASE_DIR."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "draw convergence, strip and quadrant charts from a run directory (never re-simulates)"
KINDS = ("convergence", "multiples", "strip", "quadrant", "compare", "all")
FORMATS = ("png", "svg", "pdf")
#: negsim.plots._style.DEFAULT_DPI and FIGSIZE, repeated here so that building the command
#: line imports no matplotlib (tests/test_plots.py checks that they agree).
DEFAULT_DPI = 125
FIGSIZE = (12.8, 7.2)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help=HELP, description=HELP + ". RUN_DIR is written by "
                       "'negsim run FILE --out DIR' (or 'negsim compare ... --out DIR', which "
                       "gives the comparison chart). With --baseline BASE_DIR (another run "
                       "of the same scenario), the what-if charts: RUN_DIR drawn over "
                       "BASE_DIR.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory (or compare directory)")
    p.add_argument("--baseline", metavar="BASE_DIR",
                   help="draw RUN_DIR as a what-if over this run of the same scenario "
                        "(files whatif-*.png)")
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
    p.add_argument("--highlight", metavar="IDS",
                   help="comma-separated actors to colour and name (germany,hungary); every "
                        "other actor is drawn in grey")
    p.add_argument("--format", choices=FORMATS, default="png", help="file format (default png)")
    p.add_argument("--out", metavar="FIGDIR",
                   help="where to write the figures (default: RUN_DIR/figures)")
    w, h = FIGSIZE
    p.add_argument("--dpi", type=int, default=DEFAULT_DPI, metavar="N",
                   help=f"resolution of PNG figures (default {DEFAULT_DPI}: "
                        f"{round(w * DEFAULT_DPI)} x {round(h * DEFAULT_DPI)} pixels, 16:9)")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from .common import note

    notes: list[str] = []
    paths = write_figures(args.run_dir, kind=args.kind, issue=args.issue, actor=args.actor,
                          rnd=args.round, fmt=args.format, out=args.out, dpi=args.dpi,
                          notes=notes, highlight=args.highlight, baseline=args.baseline)
    for line in notes:
        note(line)
    for path in paths:
        print(path)
    if paths:
        note(f"wrote {len(paths)} figure{'s' if len(paths) != 1 else ''} to "
             f"{paths[0].parent}/")
    return 0


def safe_name(name: str) -> str:
    from ..plots.batch import safe_name as safe

    return safe(name)


def write_figures(run_dir: str | Path, *, kind: str = "all", issue: str | None = None,
                  actor: str | None = None, rnd: int | None = None, fmt: str = "png",
                  out: str | Path | None = None, dpi: int | None = None,
                  notes: list[str] | None = None, highlight=None,
                  baseline: str | Path | None = None) -> list[Path]:
    """Draw the requested charts of a run or compare directory and write them to ``out``
    (default ``RUN_DIR/figures``). Every argument is checked before anything is written.
    Returns the paths written; ``notes`` collects charts left out and why. ``highlight``: actor
    ids (a list or one comma-separated string) to colour and name; ``baseline``: draw the
    what-if charts of ``run_dir`` against this run directory."""
    from ..errors import InputError, Problem
    from ..plots import is_compare_dir, load_run, plot_comparison, save_figure
    from ..plots._style import check_highlight
    from ..plots.batch import render, run_charts, whatif_charts
    from ..plots.whatif import check_pair

    dpi = DEFAULT_DPI if dpi is None else dpi
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
        if baseline is not None or highlight:
            raise InputError([Problem("--baseline" if baseline is not None else "--highlight",
                                      "", "does not apply to a compare directory")])
        fig = plot_comparison(run_dir)
        return [save_figure(fig, figdir / f"compare.{fmt}", dpi)]
    if kind == "compare":
        raise InputError([Problem("--kind", "", f"{run_dir} is not a compare directory (no "
                                  "compare.json); write one with: negsim compare ... --out DIR",
                                  kind)])

    result = load_run(run_dir)
    hl = check_highlight(result, highlight)
    if baseline is not None:
        if kind == "quadrant" or actor is not None or rnd is not None:
            raise InputError([Problem("--baseline", "", "what-if charts are convergence, "
                                      "multiples and strip (no --kind quadrant, --actor or "
                                      "--round)")])
        base = load_run(baseline)
        check_pair(base, result)
        from ..plots.runs import check_issue

        issues = [check_issue(result, issue)] if issue else None
        kinds = ("convergence", "multiples", "strip") if kind == "all" else (kind,)
        charts = whatif_charts(result, issues, kinds)
        return render(charts, result, base, highlight=hl, dpi=dpi, fmt=fmt,  # type: ignore
                      figdir=figdir, run_dir=run_dir, base_dir=baseline)
    charts = run_charts(result, kind=kind, issue=issue, actor=actor, rnd=rnd, notes=notes)
    return render(charts, result, highlight=hl, dpi=dpi, fmt=fmt, figdir=figdir,  # type: ignore
                  run_dir=run_dir)


def plot_run_dir(run_dir: str | Path, notes: list[str] | None = None, *,
                 highlight=None) -> list[Path]:
    """``negsim run --plot``: every chart of the run just written to ``run_dir``, drawn from
    the stored records into ``run_dir/figures`` (``highlight``: ``negsim run --highlight``)."""
    return write_figures(run_dir, kind="all", notes=notes, highlight=highlight)


def plot_whatif_dirs(base_dir: str | Path, whatif_dir: str | Path,
                     out_dir: str | Path | None = None, *, highlight=None,
                     fmt: str = "png", dpi: int | None = None) -> list[Path]:
    """The what-if charts of ``whatif_dir`` over ``base_dir`` (see
    :func:`negsim.plots.batch.plot_whatif_dirs`)."""
    from ..plots.batch import plot_whatif_dirs as draw

    return draw(base_dir, whatif_dir, out_dir, highlight=highlight, fmt=fmt,
                dpi=DEFAULT_DPI if dpi is None else dpi)
