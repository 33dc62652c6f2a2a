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
    p.add_argument("--explain-actor", metavar="ACTOR",
                   help="tell one actor's story round by round, in plain words (with --issue "
                        "ID, on one issue)")
    p.add_argument("--issue", metavar="ID", help="the issue for --explain-actor")
    p.add_argument("--remove", action="append", default=[], metavar="ACTOR",
                   help="remove an actor before bargaining (repeatable; the same as "
                        "--set actors.ACTOR=null)")
    p.add_argument("--pairs", action="store_true",
                   help="also record the rule's pairwise diagnostics every round (for the "
                        "expected-utility rule: every actor's view of every other; with --out)")
    p.add_argument("--plot", action="store_true",
                   help="also draw every chart from the stored records into DIR/figures "
                        "(needs --out; see 'negsim plot')")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..engine import Negotiation as NegotiationModel
    from .common import command_line, load_from_args, print_json

    if getattr(args, "plot", False) and not args.out:
        from ..errors import InputError, Problem

        raise InputError([Problem("--plot", "", "needs --out DIR: charts are drawn from the "
                                  "run's stored records (DIR/figures)")])
    if args.issue and not args.explain_actor:
        from ..errors import InputError, Problem

        raise InputError([Problem("--issue", "", "goes with --explain-actor", args.issue)])
    if args.out:
        from ..files import check_output_dir

        check_output_dir(args.out)       # before simulating: a bad path fails at once
    args.sets = list(args.sets) + [f"actors.{a}=null" for a in args.remove]
    scenario = load_from_args(args)
    _check_explain_actor(args, scenario)
    model = NegotiationModel(case=scenario, record_pairs=bool(args.pairs or args.out))
    result = run_with_progress(model)
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
    if args.explain_actor:
        print_story(result, args.explain_actor, args.issue)
    if args.out:
        from .common import note

        note(f"wrote {args.out}/ (summary.json, issue_rounds.*, actor_rounds.*, scenario.yaml"
             + (", pairs.parquet" if result.pair_info else "") + ")")
    return 0


def _check_explain_actor(args: argparse.Namespace, scenario) -> None:
    from ..errors import InputError, Problem

    problems = []
    if args.explain_actor and args.explain_actor not in scenario.all_actor_ids \
            and args.explain_actor not in scenario.blocs:
        problems.append(Problem("--explain-actor", "", "unknown actor id (known: "
                                + ", ".join(scenario.all_actor_ids) + ")", args.explain_actor))
    if args.issue and args.issue not in scenario.issues:
        problems.append(Problem("--issue", "", "unknown issue id (known: "
                                + ", ".join(scenario.issue_ids) + ")", args.issue))
    if problems:
        raise InputError(problems)


def run_with_progress(model):
    """Run the model; a long run (over 2 s) shows a progress bar on a terminal's stderr."""
    import sys
    import time

    start = time.perf_counter()
    bar = None
    try:
        while model.running:
            model.step()
            if bar is None and time.perf_counter() - start > 2.0 and sys.stderr.isatty():
                from tqdm import tqdm

                bar = tqdm(total=model.max_rounds, initial=model.round, unit="round",
                           desc="negsim run", file=sys.stderr, leave=False)
            elif bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return model.result()


def print_story(result, actor: str, issue: str | None) -> None:
    from ..narrative import LEGEND
    from .common import console

    con = console()
    where = f" on {result.scenario.issues[issue].label}" if issue else ""
    con.print(f"\n[bold]{result.scenario.party_name(actor)}{where}, round by round[/bold]")
    lines = result.actor_story(actor, issue)
    for line in lines:
        con.print("  " + line)
    _legend(con, LEGEND, lines)


def _legend(con, legend, lines) -> None:
    """The terms the printed lines use, explained (numbers second, words first)."""
    text = " ".join(lines)
    used = {k: v for k, v in legend.items()
            if (k.split("(")[0] + "(" if "(" in k else k) in text
            or (k == "caucus" and "inside " in text) or (k == "zone" and "zone" in text)}
    if used:
        con.print("\n[dim]terms: " + "; ".join(f"{k}: {v}" for k, v in used.items()) + "[/]")


def stop_reason(result) -> str:
    """Why the run ended (recorded by the model; worked out for runs saved before it was)."""
    reason = result.settings.get("stop_reason")
    if reason:
        return reason
    stop = result.settings["stop"]
    if stop != "auto":
        return "fixed number of rounds"
    if result.settings.get("rule_finished"):
        return f"the {result.rule} rule's own stopping rule"
    if result.rounds_run < result.settings["max_rounds"]:
        return "all issues settled"
    return "round limit reached"


def print_summary(result) -> None:
    from rich.table import Table

    from .common import console

    con = console()
    inst = result.agreement is not None
    con.print(f"[bold]{result.scenario.title}[/bold]")
    forecast = result.forecast_label + (" where agreed, else the status quo" if inst else "")
    con.print(f"model {result.rule}, seed {result.seed}, {result.rounds_run} rounds "
              f"(stop {result.settings['stop']}: {stop_reason(result)}); forecast = {forecast}")
    if result.plenary is not None:
        blocs = [result.scenario.party_name(i) for i, b in zip(result.plenary.ids,
                                                               result.plenary.is_bloc) if b]
        con.print("two levels: each bloc (" + ", ".join(blocs) + ") bargains inside first, "
                  "then the blocs and the other actors; mean and dispersion are the plenary's")
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    cols = [("issue", "left"), ("status", "left"), ("since", "right")]
    if inst:
        cols += [("agreement", "left")]
    cols += [("forecast", "right"), ("", "left"), ("mean", "right"), ("dispersion", "right"),
             ("moved most", "left")]
    for col, just in cols:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    style = {"consensus": "green", "deadlock": "yellow", "unsettled": "red"}
    astyle = {"agreed": "green", "blocked by linkage": "yellow"}
    for k, rec in enumerate(result.issue_records()):
        iid = rec["issue"]
        st = result.statuses[k]
        issue = result.scenario.issues[iid]
        mm = rec["moved_most"]
        moved = "-" if mm is None or abs(mm["change"]) <= 0 else \
            f"{result.scenario.party_name(mm['actor'])} {mm['change']:+.3g}"
        status = st.status + (f": {st.detail}" if st.detail else "")
        if st.cycle_start is not None:
            status += f" from round {st.cycle_start}"
        row = [f"{iid} {issue.label}", f"[{style[st.status]}]{status}[/]",
               "-" if st.since is None else str(st.since)]
        if inst:
            label = rec["agreement"] or "-"
            row.append(f"[{astyle.get(label, 'red')}]{label}[/]")
        value = rec["forecast"]
        row += [f"{value:.4g}", result.nearest_label(iid, value), f"{rec['mean']:.4g}",
                f"{rec['initial_dispersion']:.3g} -> {rec['final_dispersion']:.3g}", moved]
        table.add_row(*row)
    con.print(table)
    if result.events:
        con.print("events: " + "; ".join(f"round {t}: {text}" for t, text in result.events))
    for line in notes(result):
        con.print(line)


def notes(result) -> list[str]:
    """What a reader needs to make sense of a strange-looking result, in words."""
    from ..narrative import agreement_lines

    out = []
    if result.agreement is not None:
        out += ["why: " + line for line in agreement_lines(result)]
    cycling = [iid for iid, st in zip(result.issue_ids, result.statuses)
               if st.detail.startswith("cycle")]
    if cycling and result.rule == "eum":
        out.append("note: under the published expected-utility rule, small actors accept "
                   "capitulation offers and jump between extreme positions, so "
                   + ", ".join(cycling) + " go round a cycle; the end forecast of a cycling issue "
                   "is where the cycle stood, not a settled outcome (see --explain, and "
                   "docs/eum.md for --param capitulation=false or q=0.5)")
    return out


def print_narrative(result, limit: int) -> None:
    from .common import console

    con = console()
    lines = result.narrative(limit)
    con.print(f"\n[bold]Largest moves[/bold] ({len(result.moves())} accepted offers in all)")
    inst = [line for line in lines if not line.startswith("round ")]
    for line in [ln for ln in lines if ln.startswith("round ")] or ["no actor moved"]:
        con.print("  " + line)
    del inst  # the agreement lines are printed with the table
    from ..narrative import LEGEND

    _legend(con, LEGEND, lines)
