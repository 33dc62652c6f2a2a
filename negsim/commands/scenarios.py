"""``negsim scenarios``: the scenarios shipped with negsim, runnable by name."""

from __future__ import annotations

import argparse

HELP = "list the shipped scenarios (run one by name: negsim run nato_russia_2022)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenarios", help=HELP, description=HELP + ".")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..catalog import shipped
    from ..errors import InputError
    from ..scenario import load_scenario
    from .common import console, print_json

    rows = []
    for name, path in shipped().items():
        try:
            sc = load_scenario(path)
            rows.append({"name": name, "title": sc.title, "actors": len(sc.actor_ids),
                         "issues": len(sc.issue_ids), "rule": sc.model.rule, "file": str(path)})
        except InputError:      # a shipped file that does not validate is a bug: show it
            rows.append({"name": name, "title": "(does not validate)", "actors": None,
                         "issues": None, "rule": None, "file": str(path)})
    if args.json:
        print_json(rows)
        return 0
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for col in ("name", "title", "actors", "issues", "rule"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["title"], str(r["actors"]), str(r["issues"]), str(r["rule"]))
    con = console()
    con.print(table)
    con.print("run one by name (negsim run NAME) or copy it to edit: negsim init NAME DIR")
    return 0
