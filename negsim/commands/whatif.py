"""``negsim whatif FILE --set ... --event ... --remove ...``: a what-if against its baseline.

Runs the scenario as it is and with the changes (same rule, parameters, settings and seed) and
prints, per issue, status, agreement and forecast before and after, and the actors whose end
positions changed most. ``--out DIR`` writes both runs (``DIR/baseline``, ``DIR/whatif``),
``whatif.json`` and ``differences.csv``; ``--plot`` adds the what-if charts to
``DIR/figures``; ``negsim report DIR/whatif --baseline DIR/baseline`` makes the two-run report.
"""

from __future__ import annotations

import argparse

HELP = "run a what-if against the baseline (same seed) and show what changed"


def register(sub: argparse._SubParsersAction) -> None:
    from .common import add_scenario_options

    p = sub.add_parser("whatif", help=HELP, description=HELP + ".")
    add_scenario_options(p)
    p.add_argument("--event", dest="events", action="append", default=[],
                   metavar="KEY=VALUE,...",
                   help="add an event, e.g. round=8,actor=russia,issue=I3,position=30 "
                        "(round 0: before bargaining; repeatable)")
    p.add_argument("--remove", action="append", default=[], metavar="ACTOR",
                   help="remove an actor before bargaining (repeatable)")
    p.add_argument("--out", metavar="DIR", help="write both runs, whatif.json and "
                                                "differences.csv to DIR")
    p.add_argument("--plot", action="store_true",
                   help="also draw the what-if charts into DIR/figures (needs --out)")
    p.add_argument("--highlight", metavar="ACTORS", help="name and colour these actors in the "
                                                         "charts (comma-separated ids)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..errors import InputError, Problem
    from ..counterfactual import parse_event, whatif
    from .common import command_line, load_from_args, note, print_json

    if args.plot and not args.out:
        raise InputError([Problem("--plot", "", "needs --out DIR: charts are drawn from the "
                                  "stored runs")])
    if args.out:
        from ..files import check_output_dir

        check_output_dir(args.out)
    changes = list(args.sets)
    args.sets = []     # the baseline is the file as it is (with --model, --rounds, ...)
    base = load_from_args(args)
    events = [parse_event(e) for e in args.events]
    result = whatif(base, overrides=changes, events=events, remove=args.remove,
                    record_pairs=bool(args.out))
    result.command = command_line(args)
    if args.out:
        result.save(args.out)
    if args.plot:
        from ..plots.whatif import plot_whatif_dirs

        from pathlib import Path

        out = Path(args.out)
        figures = plot_whatif_dirs(out / "baseline", out / "whatif", out / "figures",
                                   highlight=[a.strip() for a in (args.highlight or "").split(",")
                                              if a.strip()])
        note(f"wrote {len(figures)} figures to {out / 'figures'}/")
    if args.json:
        print_json(result.to_dict())
        return 0
    print_whatif(result)
    if args.out:
        note(f"wrote {args.out}/ (baseline/, whatif/, whatif.json, differences.csv); the "
             f"two-run report: negsim report {args.out}/whatif --baseline {args.out}/baseline")
    return 0


def print_whatif(w) -> None:
    from rich.table import Table

    from .common import console

    con = console()
    b = w.baseline
    con.print(f"[bold]{b.scenario.title}[/bold]: what-if against the baseline (model {b.rule}, "
              f"seed {b.seed}, the same for both)")
    con.print("changes: " + "; ".join(c for c in w.changes if not c.startswith("(")))
    for c in w.changes:
        if c.startswith("("):
            con.print(c[1:-1])
    diff = w.differences()
    has_agreement = (diff["measure"] == "agreement").any()
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    cols = ["issue", "status: baseline -> what-if"]
    if has_agreement:
        cols.append("agreement")
    cols += ["forecast", "change", "moved most (baseline -> what-if)"]
    for col in cols:
        table.add_column(col, justify="right" if col in ("forecast", "change") else "left")
    for iid in b.issue_ids:
        sub = {r["measure"]: r for r in diff[diff["issue"] == iid].to_dict("records")}
        label = f"{iid} {b.scenario.issues[iid].label}"

        def pair(m: str) -> str:
            r = sub[m]
            text = f"{r['baseline']} -> {r['whatif']}" if r["changed"] else f"{r['baseline']}"
            return f"[bold]{text}[/]" if r["changed"] else f"[dim]{text}[/]"

        f = sub["forecast"]
        row = [label, pair("status")]
        if has_agreement:
            row.append(pair("agreement"))
        row += [f"{f['baseline']:.4g} -> {f['whatif']:.4g}" if f["changed"]
                else f"{f['baseline']:.4g}",
                "-" if not f["changed"] else f"{f['difference']:+.3g}"]
        moved = w.actor_changes(iid, 3)
        row.append(", ".join(f"{b.scenario.party_name(a)} {x:.3g} -> {y:.3g}".replace("nan",
                                                                                  "out")
                             for a, x, y in moved) or "-")
        table.add_row(*row)
    con.print(table)
    changed = diff[diff["changed"]]
    if changed.empty:
        con.print("nothing changed: the what-if gives the baseline's outcome on every issue")
