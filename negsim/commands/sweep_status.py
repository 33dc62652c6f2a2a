"""``negsim sweep-status DIR``: how far a sweep has got."""

from __future__ import annotations

import argparse

HELP = "summarise a sweep store: runs done, failed and pending"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep-status", help=HELP, description=HELP + ".")
    p.add_argument("dir", metavar="DIR", help="a directory written by negsim sweep")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..sweeps.store import SweepStore
    from .common import print_json

    store = SweepStore(args.dir)
    m = store.manifest
    st = store.status()
    if args.json:
        print_json({**st, "errors": [{"error": e, "runs": n} for e, n in st["errors"]],
                    "design": m["design"], "seed": m["seed"], "scenario": m["scenario"]})
        return 0
    print(f"{args.dir}: {m['scenario']['title']} ({m['design']}, {m['rows']} rows x "
          f"{m['replications']} replications, seed {m['seed']})")
    print(f"  runs {st['runs']}: done {st['done']} (ok {st['ok']}, failed {st['failed']}), "
          f"pending {st['pending']}; {st['parts']} parts")
    for error, count in st["errors"]:
        print(f"  failed x{count}: {error}")
    if any(e.startswith("RunTimeout") for e, _ in st["errors"]):
        print("  timed-out runs run again with --retry-failed and a larger --time-limit")
    if st["pending"]:
        print(f"  resume with the same command: {m.get('command') or 'negsim sweep ...'}")
    return 0
