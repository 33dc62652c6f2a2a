"""``negsim report RUN_DIR``: one self-contained HTML file of a stored run."""

from __future__ import annotations

import argparse

HELP = "write a self-contained HTML report of a run directory (charts embedded)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help=HELP, description=HELP + ": the scenario's metadata and "
                       "sources, the per-issue summary, the charts, the largest moves and the "
                       "command and seed that reproduce the run. One file, no external "
                       "requests: fit to email.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory written by "
                   "'negsim run FILE --out DIR'")
    p.add_argument("--out", metavar="FILE.html",
                   help="where to write the report (default: RUN_DIR/report.html)")
    p.add_argument("--actor", metavar="ID", help="focal actor of the 'view from an actor' "
                   "chart (expected-utility runs; default: the heaviest actor)")
    p.add_argument("--issue", metavar="ID", help="issue of that chart (default: the first)")
    p.add_argument("--dpi", type=int, default=110, metavar="N",
                   help="resolution of the embedded charts (default 110)")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..errors import InputError, Problem
    from ..report import write_report

    if not 20 <= args.dpi <= 600:
        raise InputError([Problem("--dpi", "", "must be between 20 and 600", args.dpi)])
    path = write_report(args.run_dir, args.out, actor=args.actor, issue=args.issue,
                        dpi=args.dpi)
    print(path)
    return 0
