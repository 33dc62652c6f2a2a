"""``negsim agree FILE``: which issues can agree at all, statically and exactly.

For every issue: the status quo, the zone of agreement (the outcomes every required party,
under its decision rule, prefers to the status quo), who blocks it when it is empty, who sets its
edge when it is not, and whether linkage withholds it; for every package, whether it can pass as
a whole. See :mod:`negsim.institutions` and ``docs/institutions.md``.
"""

from __future__ import annotations

import argparse

HELP = "show which issues can be agreed: status quo, zone of agreement, vetoes and packages"


def register(sub: argparse._SubParsersAction) -> None:
    from .common import add_scenario_options

    p = sub.add_parser("agree", help=HELP, description=HELP + ".")
    add_scenario_options(p, model=False)
    p.add_argument("--json", action="store_true", help="print one JSON document instead")
    p.set_defaults(handler=main)


def analyse_scenario(scenario):
    """The agreement analysis of a scenario's start state (round-0 events applied)."""
    import numpy as np

    from ..institutions import Institutions, analyse

    arrays = scenario.arrays()
    pos, act = arrays.positions.copy(), arrays.active.copy()
    sal, cap = arrays.salience.copy(), arrays.capability.copy()
    slot = {a: i for i, a in enumerate(arrays.actor_ids)}
    kidx = {k: n for n, k in enumerate(arrays.issue_ids)}
    for ev in scenario.events:
        if ev.round != 0:
            continue
        if ev.remove is not None:
            act[:, slot[ev.remove]] = False
        elif ev.actor is not None:
            ks = [kidx[ev.issue]] if ev.issue else list(range(len(kidx)))
            for k in ks:
                for arr, v in ((pos, ev.position), (sal, ev.salience), (cap, ev.capability)):
                    if v is not None:
                        arr[k, slot[ev.actor]] = v
                if ev.position is not None and ev.salience is not None:
                    act[k, slot[ev.actor]] = ev.actor in scenario.actors
    inst = Institutions.from_scenario(scenario, arrays.actor_ids)
    return inst, analyse(inst, pos, act, cap, np.asarray(sal))


def document(scenario) -> dict:
    _, agreement = analyse_scenario(scenario)
    doc = agreement.to_dict()
    return {"scenario": scenario.title, "scenario_file": scenario.source, **doc}


def main(args: argparse.Namespace) -> int:
    from .common import console, load_from_args, print_json

    scenario = load_from_args(args)
    doc = document(scenario)
    if args.json:
        print_json(doc)
        return 0
    print_table(scenario, doc)
    return 0


def _names(scenario, ids, most: int = 5) -> str:
    names = [scenario.party_name(i) for i in ids]
    return ", ".join(names[:most]) + (f" +{len(names) - most}" if len(names) > most else "")


def print_table(scenario, doc) -> None:
    from rich.table import Table

    from .common import console

    con = console()
    con.print(f"[bold]{scenario.title}[/bold]: which issues can be agreed")
    con.print("zone = the outcomes every party whose consent is needed prefers to the status quo "
              "(the win-set); the status quo stands where there is none")
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for col, just in [("issue", "left"), ("status quo", "right"), ("zone", "left"),
                      ("agreement", "left"), ("why", "left")]:
        table.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    style = {"possible": "green", "none": "red", "blocked by linkage": "yellow",
             "no status quo": "dim"}
    for iid, a in doc["issues"].items():
        issue = scenario.issues[iid]
        zone = "-" if a["zone"] is None else f"{a['zone'][0]:g} - {a['zone'][1]:g}"
        if a["agreement"] == "possible":
            why = f"edge set by {_names(scenario, a['decisive'])}"
        elif a["agreement"] == "none":
            ends = issue.ends
            lo_end = f"toward '{ends.low}'" if ends else "down"
            hi_end = f"toward '{ends.high}'" if ends else "up"
            parts = [f"{where} vetoed by {_names(scenario, a['blocking'][key], 4)}"
                     for key, where in (("toward_low", lo_end), ("toward_high", hi_end))
                     if a["blocking"].get(key)]
            why = "; ".join(parts) if parts else "the zone lies beyond the scale"
        elif a["agreement"] == "blocked by linkage":
            why = f"in {a['package']}"
        else:
            why = "give the issue a status_quo"
        table.add_row(f"{iid} {issue.label}", "-" if a["status_quo"] is None
                      else f"{a['status_quo']:g}", zone,
                      f"[{style[a['agreement']]}]{a['agreement']}[/]", why)
    con.print(table)
    for pkg in doc["packages"]:
        verdict = "[green]can pass as a whole[/]" if pkg["can_pass"] else \
            "[red]cannot pass as a whole[/]"
        conds = "; ".join(f"{c['issue']} " + (f"<= {c['at_most']:g}" if c["at_most"] is not None
                                              else f">= {c['at_least']:g}")
                          for c in pkg["conditions"])
        con.print(f"\n[bold]{pkg['label']}[/bold] ({scenario.actor_name(pkg['actor'])}: "
                  f"{', '.join(pkg['issues'])}" + (f"; red lines {conds}" if conds else "")
                  + f"): {verdict}")
        line = pkg["why"]
        if pkg.get("blocked_by"):
            line += ": " + _names(scenario, pkg["blocked_by"], 8)
        con.print("  " + line)
