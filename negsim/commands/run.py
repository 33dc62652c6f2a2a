"""``negsim run FILE``: run a scenario and report, per issue, whether and where it converged."""

from __future__ import annotations

import argparse

from .common import add_scenario_options

HELP = "run a scenario and print which issues converge, when and where"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help=HELP, description=HELP + ".")
    add_scenario_options(p)
    p.add_argument("--out", metavar="DIR",
                   help="write per-round records (CSV and Parquet), summary.json and the "
                        "scenario as run to DIR")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document (with per-round trajectories) instead of tables")
    p.add_argument("--explain", type=int, nargs="?", const=5, default=0, metavar="N",
                   help="also narrate the N largest moves and the offers behind them (default 5)")
    p.add_argument("--pairs", action="store_true",
                   help="also record the rule's pairwise diagnostics every round (for the "
                        "expected-utility rule: every actor's view of every other; with --out)")
    p.add_argument("--plot", action="store_true",
                   help="also draw every chart from the stored records into DIR/figures "
                        "(needs --out; see 'negsim plot')")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..model import NegotiationModel
    from .common import command_line, load_from_args, print_json

    if getattr(args, "plot", False) and not args.out:
        from ..errors import InputError, Problem

        raise InputError([Problem("--plot", "", "needs --out DIR: charts are drawn from the "
                                  "run's stored records (DIR/figures)")])
    scenario = load_from_args(args)
    model = NegotiationModel(case=scenario, record_pairs=bool(args.pairs or args.out),
                             datacollector=False)
    result = model.run()
    result.command = command_line(args)
    if args.out:
        result.save(args.out)
    if getattr(args, "plot", False):
        from .common import note
        from .plot import plot_run_dir

        notes: list[str] = []
        figures = plot_run_dir(args.out, notes)
        for line in notes:
            note(line)
        note(f"wrote {len(figures)} figures to {args.out}/figures/")
    if args.json:
        doc = result.to_dict()
        if args.explain:
            doc["largest_moves"] = result.moves()[: args.explain]
        print_json(doc)
        return 0
    print_summary(result)
    if args.explain:
        print_narrative(result, args.explain)
    if args.out:
        from .common import note

        note(f"wrote {args.out}/ (summary.json, issue_rounds.*, actor_rounds.*, scenario.yaml"
             + (", pairs.parquet" if result.pair_info else "") + ")")
    return 0


def print_summary(result) -> None:
    from rich.table import Table

    from .common import console

    con = console()
    stop = result.settings["stop"]
    if stop != "auto":
        why = "fixed number of rounds"
    elif result.settings.get("rule_finished"):
        why = f"the {result.rule} rule's own stopping rule"
    elif result.rounds_run < result.settings["max_rounds"]:
        why = "all issues settled"
    else:
        why = "round limit reached"
    con.print(f"[bold]{result.scenario.title}[/bold]")
    con.print(f"model {result.rule}, seed {result.seed}, {result.rounds_run} rounds "
              f"(stop {stop}: {why}); forecast = {result.forecast_label}")
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for col, just in [("issue", "left"), ("status", "left"), ("since", "right"),
                      ("forecast", "right"), ("", "left"), ("mean", "right"),
                      ("dispersion", "right"), ("moved most", "left")]:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    style = {"consensus": "green", "deadlock": "yellow", "unsettled": "red"}
    for k, iid in enumerate(result.issue_ids):
        st = result.statuses[k]
        issue = result.scenario.issues[iid]
        mm = result.moved_most(iid)
        moved = "-" if mm is None or abs(mm[1]) <= 0 else \
            f"{result.actor_name(mm[0])} {mm[1]:+.3g}"
        status = st.status + (f": {st.detail}" if st.detail else "")
        table.add_row(
            f"{iid} {issue.label}", f"[{style[st.status]}]{status}[/]",
            "-" if st.since is None else str(st.since),
            f"{result.forecast_series[-1, k]:.4g}",
            result.nearest_label(iid, float(result.forecast_series[-1, k])),
            f"{result.mean[-1, k]:.4g}",
            f"{result.dispersion[0, k]:.3g} -> {result.dispersion[-1, k]:.3g}", moved)
    con.print(table)
    if result.events:
        con.print("events: " + "; ".join(f"round {t}: {text}" for t, text in result.events))


def print_narrative(result, limit: int) -> None:
    from .common import console

    con = console()
    lines = result.narrative(limit)
    con.print(f"\n[bold]Largest moves[/bold] ({len(result.moves())} accepted offers in all)")
    for line in lines or ["no actor moved"]:
        con.print("  " + line)
