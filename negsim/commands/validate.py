"""``negsim validate FILE``: check a scenario and report every problem at once."""

from __future__ import annotations

import argparse

from .common import add_scenario_options

HELP = "check a scenario file; report every problem with file, line, field and value"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help=HELP, description=HELP + " (exit status 2 if any).")
    add_scenario_options(p)
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from .common import load_from_args

    sc = load_from_args(args)
    n_add = sum(1 for e in sc.events if e.add)
    print(f"ok: {args.file}: {sc.title!r}: {len(sc.actors)} actors"
          + (f" (+{n_add} joining later)" if n_add else "")
          + f", {len(sc.issues)} issue{'s' if len(sc.issues) != 1 else ''}, "
          f"{len(sc.events)} event{'s' if len(sc.events) != 1 else ''}; rule {sc.model.rule}")
    return 0
