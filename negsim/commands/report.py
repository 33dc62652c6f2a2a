"""``negsim report RUN_DIR``: one self-contained HTML file of a stored run; with
``--baseline BASE_DIR``, of RUN_DIR as a what-if against BASE_DIR."""

from __future__ import annotations

import argparse

HELP = "write a self-contained HTML report of a run directory (charts embedded)"


def register(sub: argparse._SubParsersAction) -> None:
    from .plot import DEFAULT_DPI

    p = sub.add_parser("report", help=HELP, description=HELP + ": the scenario's metadata and "
                       "sources, the per-issue summary, the charts, the largest moves and the "
                       "command and seed that reproduce the run. One file, no external "
                       "requests: fit to email. Charts that 'negsim plot' already drew for "
                       "these records (RUN_DIR/figures) are embedded, not drawn again.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory written by "
                   "'negsim run FILE --out DIR'")
    p.add_argument("--baseline", metavar="BASE_DIR",
                   help="report RUN_DIR as a what-if against this run of the same scenario: "
                        "what changed, every per-issue value before and after, the what-if "
                        "charts")
    p.add_argument("--out", metavar="FILE.html",
                   help="where to write the report (default: RUN_DIR/report.html)")
    p.add_argument("--actor", metavar="ID", help="focal actor of the 'view from an actor' "
                   "chart (expected-utility runs; default: the heaviest actor)")
    p.add_argument("--issue", metavar="ID", help="issue of that chart (default: the first)")
    p.add_argument("--highlight", metavar="IDS",
                   help="comma-separated actors to colour and name in every chart; the others "
                        "are grey")
    p.add_argument("--dpi", type=int, default=DEFAULT_DPI, metavar="N",
                   help=f"resolution of the embedded charts (default {DEFAULT_DPI}, as "
                        "'negsim plot')")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..errors import InputError, Problem
    from ..report import write_report
    from .common import note

    if not 20 <= args.dpi <= 600:
        raise InputError([Problem("--dpi", "", "must be between 20 and 600", args.dpi)])
    info: dict = {}
    path = write_report(args.run_dir, args.out, actor=args.actor, issue=args.issue,
                        dpi=args.dpi, baseline=args.baseline, highlight=args.highlight,
                        info=info)
    print(path)
    size = path.stat().st_size / 1e6
    reused = info.get("reused", 0)
    note(f"wrote the report to {path} ({size:.1f} MB, {info.get('charts', 0)} charts"
         + (f", {reused} of them from {args.run_dir}/figures" if reused else "") + ")")
    return 0
