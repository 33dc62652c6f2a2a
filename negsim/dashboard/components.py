"""The Solara components of the dashboard page (:mod:`negsim.dashboard.app` puts them together).

Every component receives what it shows and a callback for what it changes (``on_setup`` takes
a new :class:`~negsim.dashboard.state.Setup`); none holds a model or any module-level state, so
each browser session's page is its own. Text the tests read (the per-issue table, the story) is
plain HTML with ``data-`` attributes; charts are inline SVG whose baseline artists keep their
ids (see :mod:`negsim.dashboard.charts`).
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import solara

from . import charts, state
from .state import Setup

if TYPE_CHECKING:  # pragma: no cover
    from ..result import RunResult

OnSetup = Callable[[Setup], None]
#: "every issue" in the issue pickers of events and the story
ALL_ISSUES = "all issues"

CSS = """
.negsim-table table { border-collapse: collapse; font-size: 13px; width: 100%; }
.negsim-table th, .negsim-table td { border-bottom: 1px solid #ddd; padding: 3px 6px;
  text-align: left; vertical-align: top; }
.negsim-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.negsim-table tr[data-changed="yes"] td { background: #fff3e0; }
.negsim-chart svg { width: 100%; height: auto; }
.negsim-story li { margin-bottom: 4px; font-size: 13px; }
.negsim-story.negsim-scroll { max-height: 340px; overflow-y: auto; }
.negsim-baseline { color: #666; font-size: 12px; white-space: nowrap; }
"""


# -- labels ------------------------------------------------------------------------------------
def actor_labels(setup: Setup) -> dict[str, str]:
    """Actor id -> the label its pickers show (the name; with the id when names repeat)."""
    sc = setup.scenario
    names = {aid: sc.actor_name(aid) for aid in sc.actor_ids}
    seen: dict[str, int] = {}
    for n in names.values():
        seen[n] = seen.get(n, 0) + 1
    return {aid: n if seen[n] == 1 else f"{n} ({aid})" for aid, n in names.items()}


def issue_labels(setup: Setup) -> dict[str, str]:
    sc = setup.scenario
    return {iid: f"{iid} {i.short or i.name}" for iid, i in sc.issues.items()}


@solara.component
def ActorPicker(label: str, labels: dict[str, str], value: str,
                on_value: Callable[[str], None], name: str):
    """An actor by name: type a few letters to find one of many (33 on the flagship)."""
    items = [{"text": text, "value": aid} for aid, text in labels.items()]
    solara.v.Autocomplete(label=label, items=items, v_model=value if value in labels else None,
                          on_v_model=lambda v: on_value(v) if v in labels else None,
                          auto_select_first=True, class_=f"negsim-{name}")


def _pick(labels: dict[str, str], label: str | None) -> str | None:
    for key, text in labels.items():
        if text == label:
            return key
    return None


# -- scenario ----------------------------------------------------------------------------------
@solara.component
def ScenarioPicker(setup: Setup, on_open: Callable[[str], list[str]]):
    """The shipped scenarios, or any file by path; ``on_open`` returns problems (or [])."""
    choices = state.scenario_choices()
    typed = solara.use_reactive("")
    errors = solara.use_reactive([])

    def open_(source: str | None) -> None:
        if source:
            errors.set(on_open(source))

    solara.Select("Scenario", values=list(choices),
                  value=setup.source if setup.source in choices else None,
                  on_value=open_, classes=["negsim-scenario"])
    with solara.Row(style={"align-items": "center"}):
        solara.InputText("or a file path", value=typed, classes=["negsim-path"])
        solara.Button("Open", on_click=lambda: open_(typed.value), outlined=True,
                      disabled=not typed.value.strip())
    for line in errors.value:
        solara.Error(line, dense=True)
    solara.Text(setup.scenario.title, style={"font-size": "12px", "color": "#555"})


# -- rule and parameters -----------------------------------------------------------------------
@solara.component
def ParamControl(param: Any, value: Any, on_value: Callable[[Any], None]):
    """One rule parameter: a checkbox, a choice, a slider (bounded) or a number."""
    label = param.name
    default = f"default {param.default!r}"
    if param.kind is bool:
        solara.Checkbox(label=f"{label} ({default})", value=bool(value), on_value=on_value)
    elif param.choices is not None:
        solara.Select(f"{label} ({default})", values=[str(c) for c in param.choices],
                      value=str(value),
                      on_value=lambda v: on_value(next(c for c in param.choices if str(c) == v)))
    elif param.kind in (int, float) and param.low is not None and param.high is not None:
        slider = solara.SliderInt if param.kind is int else solara.SliderFloat
        step = 1 if param.kind is int else (param.high - param.low) / 100
        slider(f"{label} ({param.low:g}-{param.high:g}, {default})", value=value,
               min=param.low, max=param.high, step=step, on_value=on_value)
    elif param.kind is int:
        solara.InputInt(f"{label} ({default})", value=int(value), on_value=on_value)
    elif param.kind is float:
        solara.InputFloat(f"{label} ({default})", value=float(value), on_value=on_value)
    else:
        solara.InputText(f"{label} ({default})", value=str(value), on_value=on_value)
    solara.Text(param.description, style={"font-size": "11px", "color": "#666"})


@solara.component
def RuleControls(setup: Setup, on_setup: OnSetup):
    """The bargaining rule, its parameters (with defaults, choices and bounds) and the seed."""
    from ..rules import get_rule, rule_names

    rule = get_rule(setup.rule)
    solara.Select("Rule", values=rule_names(), value=setup.rule,
                  on_value=lambda name: on_setup(state.with_rule(setup, name)),
                  classes=["negsim-rule"])
    solara.Text(rule.title, style={"font-size": "12px", "color": "#555"})
    for p in rule.params:
        ParamControl(p, setup.params.get(p.name, p.default),
                     lambda v, name=p.name: on_setup(state.with_param(setup, name, v)))
    solara.InputInt("Seed", value=setup.seed,
                    on_value=lambda v: on_setup(state.with_seed(setup, max(0, int(v)))))


# -- one actor on one issue ------------------------------------------------------------------
@solara.component
def FieldControl(cell: state.Cell, name: str, label: str, low: float, high: float,
                 on_value: Callable[[float | None], None]):
    """A slider and a number for one field of a cell, the scenario's value beside them."""
    current = cell.value(name)
    base = getattr(cell, name)
    shown = min(max(current if current is not None else (low + high) / 2, low), high)
    step = (high - low) / 200

    def slid(v: float) -> None:
        # the slider snaps a value off its step grid and reports the snapped value back:
        # that echo is no edit
        if abs(float(v) - shown) > step / 2:
            on_value(float(v))

    with solara.Row(style={"align-items": "center", "flex-wrap": "nowrap"}):
        with solara.Column(style={"flex": "3", "min-width": "120px"}):
            solara.SliderFloat("", value=shown, min=low, max=high, step=step, on_value=slid,
                               thumb_label=False)
        with solara.Column(style={"flex": "2", "min-width": "90px"}):
            solara.InputFloat(label, value=current, on_value=on_value, optional=True,
                              classes=[f"negsim-{name}"])
        edited = name in cell.edits
        solara.HTML(tag="span", unsafe_innerHTML=html.escape(
            f"scenario: {state.fmt(base) if base is not None else 'takes no part'}"
            + (" (changed)" if edited else "")),
            classes=["negsim-baseline"], attributes={"data-field": name,
                                                     "data-baseline": state.fmt(base)})


@solara.component
def CellControls(setup: Setup, actor: solara.Reactive[str], issue: solara.Reactive[str],
                 on_setup: OnSetup):
    """Pick an actor and an issue, then its position, salience and capability."""
    actors, issues = actor_labels(setup), issue_labels(setup)
    with solara.Row():
        ActorPicker("Actor", actors, actor.value, actor.set, "actor")
        solara.Select("Issue", values=list(issues.values()), value=issues.get(issue.value),
                      on_value=lambda v: issue.set(_pick(issues, v) or issue.value),
                      classes=["negsim-issue"])
    if actor.value not in actors or issue.value not in issues:
        return
    c = state.cell(setup, actor.value, issue.value)
    top = max([a.capability for a in setup.scenario.actors.values()]
              + [v for a in setup.scenario.actors.values()
                 for v in a.capability_by_issue.values()] + [1.0])

    def edit(name: str) -> Callable[[float | None], None]:
        return lambda v: on_setup(state.with_edit(setup, c.actor, c.issue, name, v))

    if not c.takes_part:
        solara.Info(f"{actors[c.actor]} takes no part in {c.issue}: give a position and a "
                    "salience to bring it in.", dense=True)
    FieldControl(c, "position", f"Position ({c.low:g}-{c.high:g})", c.low, c.high,
                 edit("position"))
    FieldControl(c, "salience", "Salience (0-1)", 0.0, 1.0, edit("salience"))
    FieldControl(c, "capability", "Capability", 0.0, round(2 * top, 2), edit("capability"))
    changes = state.describe_edits(setup)
    if changes:
        solara.HTML(tag="ul", classes=["negsim-edits"], unsafe_innerHTML="".join(
            f"<li>{html.escape(line)}</li>" for line in changes),
            attributes={"data-count": str(len(changes))})
        solara.Button("Undo all cell changes", text=True,
                      on_click=lambda: on_setup(dataclasses.replace(setup, edits={})))


# -- events ------------------------------------------------------------------------------------
@solara.component
def EventControls(setup: Setup, on_setup: OnSetup, default_actor: str):
    """Add a what-if event (a change in a round, or an actor leaving); list and drop them."""
    actors, issues = actor_labels(setup), issue_labels(setup)
    rnd = solara.use_reactive(1)
    kind = solara.use_reactive("change")
    who = solara.use_reactive(default_actor)
    where = solara.use_reactive(ALL_ISSUES)
    pos = solara.use_reactive(None)
    sal = solara.use_reactive(None)
    cap = solara.use_reactive(None)
    errors = solara.use_reactive([])
    chosen = who.value if who.value in actors else next(iter(actors))

    def add() -> None:
        issue = _pick(issues, where.value)
        if kind.value == "change" and pos.value is None and sal.value is None \
                and cap.value is None:
            errors.set(["give a position, a salience or a capability"])
            return
        ev = state.make_event(rnd.value, chosen, remove=kind.value == "remove",
                              issue=issue, position=pos.value, salience=sal.value,
                              capability=cap.value)
        new = state.with_event(setup, ev)
        found = state.problems(new)
        errors.set(found)
        if not found:
            on_setup(new)

    with solara.Row(style={"align-items": "center"}):
        solara.InputInt("Round", value=rnd, classes=["negsim-event-round"])
        solara.ToggleButtonsSingle(value=kind, values=["change", "remove"])
    with solara.Row():
        ActorPicker("Actor", actors, chosen, who.set, "event-actor")
        if kind.value == "change":
            solara.Select("Issue", values=[ALL_ISSUES, *issues.values()], value=where,
                          classes=["negsim-event-issue"])
    if kind.value == "change":
        with solara.Row():
            solara.InputFloat("Position", value=pos, optional=True,
                              classes=["negsim-event-position"])
            solara.InputFloat("Salience (0-1)", value=sal, optional=True,
                              classes=["negsim-event-salience"])
            solara.InputFloat("Capability", value=cap, optional=True,
                              classes=["negsim-event-capability"])
    solara.Button("Add event", on_click=add, color="primary", outlined=True)
    for line in errors.value:
        solara.Error(line, dense=True)
    for k, ev in enumerate(setup.events):
        with solara.Row(style={"align-items": "center"}):
            solara.Text(state.describe_event(setup, ev), classes=["negsim-event"])
            solara.Button("remove", text=True,
                          on_click=lambda k=k: on_setup(state.without_event(setup, k)))


# -- results -----------------------------------------------------------------------------------
@solara.component
def IssueTable(result: "RunResult", baseline: "RunResult", edited: bool):
    """The per-issue table of the run so far, as text, beside the baseline's forecast."""
    records = result.issue_records()
    cols = state.table_columns(records)
    rows = state.issue_rows(result, baseline)
    numeric = {"forecast", "baseline", "mean", "final_dispersion", "converged_round"}
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h in cols)
    body = []
    for row in rows:
        cells = "".join(
            f'<td data-field="{k}"{" class=num" if k in numeric else ""}>'
            f"{html.escape(row.get(k, '-'))}</td>" for k, _ in cols)
        body.append(f'<tr data-issue="{html.escape(row["id"])}" '
                    f'data-changed="{row["changed"]}">{cells}</tr>')
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    solara.HTML(tag="div", unsafe_innerHTML=table, classes=["negsim-table"],
                attributes={"data-round": str(result.rounds_run),
                            "data-edited": "yes" if edited else "no",
                            "data-running": "yes" if result.settings.get("stop_reason")
                            == "still running" else "no",
                            "aria-label": f"per-issue outcome after round {result.rounds_run}"})


@solara.component
def Chart(svg: str, name: str, baseline_ids: list[str], description: str):
    """An inline SVG chart that says in its attributes whether the baseline is drawn."""
    solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["negsim-chart", f"negsim-{name}"],
                attributes={"role": "img", "aria-label": description,
                            "data-baseline": "drawn" if baseline_ids else "none",
                            "data-baseline-ids": " ".join(baseline_ids)})


@solara.component
def Charts(result: "RunResult", baseline: "RunResult", issue_id: str, actor_id: str):
    """The chosen issue by round and every issue, each over the baseline (greyed)."""
    def draw() -> tuple[str, list[str], str, list[str]]:
        f1 = charts.issue_figure(result, baseline, issue_id, actor_id)
        f2 = charts.issues_figure(result, baseline)
        return charts.to_svg(f1), charts.baseline_ids(f1), charts.to_svg(f2), \
            charts.baseline_ids(f2)

    svg1, ids1, svg2, ids2 = solara.use_memo(
        draw, [id(result), result.rounds_run, id(baseline), issue_id, actor_id])
    name = result.actor_name(actor_id) if actor_id in result.actor_ids else actor_id
    with solara.Columns([1, 1]):
        Chart(svg1, "issue-chart", ids1,
              f"{issue_id} by round: every actor's position, {name} highlighted, the forecast; "
              "the baseline's forecast and its path of the actor greyed underneath")
        Chart(svg2, "issues-chart", ids2,
              "every issue by round: this run's forecast and mean plus or minus dispersion "
              "over the baseline's, greyed")


@solara.component
def Story(result: "RunResult", actor_id: str, issue_id: str):
    """Why the chosen actor moved (one issue or all), and the run's largest moves."""
    every = solara.use_reactive(False)
    name = result.actor_name(actor_id) if actor_id in result.actor_ids else actor_id
    solara.Checkbox(label="all issues", value=every)
    lines = state.story_lines(result, actor_id, None if every.value else issue_id)
    items = "".join(f"<li>{html.escape(s)}</li>" for s in lines)
    where = "every issue" if every.value else issue_id
    solara.HTML(tag="div", unsafe_innerHTML=f"<ol>{items}</ol>",
                classes=["negsim-story", "negsim-scroll"],
                attributes={"data-actor": actor_id,
                            "aria-label": f"why {name} moved on {where}"})
    if result.events:
        solara.HTML(tag="p", unsafe_innerHTML="<b>Events so far:</b> " + html.escape("; ".join(
            f"round {t}: {text}" for t, text in result.events)))
    top = result.narrative(5)
    if top:
        solara.HTML(tag="div", classes=["negsim-story"], unsafe_innerHTML=
                    "<b>Largest moves so far</b><ol>" + "".join(
            f"<li>{html.escape(s)}</li>" for s in top) + "</ol>")
