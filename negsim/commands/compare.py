"""``negsim compare FILE --models eum,smp,compromise,median,nash``: several rules side by side."""

from __future__ import annotations

import argparse

HELP = "run several bargaining rules on one scenario and compare their forecasts"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help=HELP, description=HELP + ".")
    p.add_argument("file", metavar="FILE", help="scenario file (YAML or CSV)")
    p.add_argument("--models", metavar="LIST",
                   help="comma-separated rules (default: every registered rule)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE",
                   help="override a scenario value (repeatable)")
    p.add_argument("--param", dest="rule_params", action="append", default=[],
                   metavar="RULE.NAME=VALUE", help="a rule's parameter, e.g. eum.q=0.5")
    p.add_argument("--rounds", type=int, metavar="N", help="round limit for dynamic rules")
    p.add_argument("--stop", choices=("auto", "never"), help="stopping rule (default: scenario's)")
    p.add_argument("--seed", type=int, metavar="S", help="seed for every model")
    p.add_argument("--out", metavar="DIR", help="write compare.json, compare.csv and one run "
                                                 "directory per model")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..comparison import compare
    from ..errors import InputError, Problem
    from ..rules import get_rule, rule_names
    from .common import command_line, load_from_args, print_json, rule_params

    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models \
        else rule_names()
    problems: list = []
    params = rule_params(args.rule_params, problems)
    args.model = None
    scenario = load_from_args(args)
    for rule_name, given in params.items():
        if rule_name in rule_names():
            for key, value, message in get_rule(rule_name).resolve(given)[1]:
                problems.append(Problem("--param", f"{rule_name}.{key}", message, value))
    if args.rounds is not None and args.rounds < 1:
        problems.append(Problem("--rounds", "", "must be at least 1", args.rounds))
    if problems:
        raise InputError(problems)
    result = compare(scenario, models, params, rounds=args.rounds, stop=args.stop,
                     seed=args.seed, record_pairs=bool(args.out))
    if args.out:
        result.save(args.out, command_line(args))
    if args.json:
        print_json(result.to_dict())
        return 0
    print_comparison(result)
    if args.out:
        from .common import note

        note(f"wrote {args.out}/ (compare.json, compare.csv, " +
             ", ".join(f"{m}/" for m in result.models) + ")")
    return 0


def print_comparison(result) -> None:
    from rich.table import Table

    from .common import console

    con = console()
    doc = result.to_dict()
    inst = any(r.agreement is not None for r in result.runs.values())
    con.print(f"[bold]{doc['scenario']}[/bold]: {len(doc['models'])} models, seed {doc['seed']}; "
              "forecast = each rule's forecast at the end of its run"
              + (" where agreed, else the status quo" if inst else ""))
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    table.add_column("issue")
    for m in doc["models"]:
        table.add_column(m, justify="right")
    table.add_column("spread", justify="right")
    style = {"consensus": "green", "deadlock": "yellow", "unsettled": "red"}
    from ..rules import get_rule

    one_shot = {m: get_rule(m).one_shot for m in doc["models"]}
    for iid, entry in doc["issues"].items():
        cells = []
        for m in doc["models"]:
            v = entry["models"][m]
            since = "" if v["converged_round"] is None else f" @{v['converged_round']}"
            if one_shot[m]:
                cell = f"{v['forecast']:.4g}\n[dim]one-shot[/]"
            else:
                cell = f"{v['forecast']:.4g}\n[{style[v['status']]}]{v['status']}{since}[/]"
            if v.get("agreement"):
                color = {"agreed": "green", "blocked by linkage": "yellow"}.get(v["agreement"],
                                                                               "red")
                cell += f"\n[{color}]{v['agreement'].replace('no agreement: ', '')}[/]"
            cells.append(cell)
        label = result.scenario.issues[iid].label
        table.add_row(f"{iid} {label}", *cells, f"{entry['spread']:.3g}")
    con.print(table)
    for m, how in doc["how"].items():
        con.print(f"  [bold]{m}[/bold]: {how}")
