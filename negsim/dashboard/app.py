"""The dashboard page: ``negsim dashboard [FILE]`` serves it (``solara run negsim.dashboard.app``).

One :func:`Page` per browser session: the session's setup (scenario, rule, parameters, edits,
events), its model and its baseline live in the page's hooks, never at module level, so every tab
has its own. Mesa's ``ModelController`` gives Step, Play and Reset; as in Mesa's ``SolaraViz``,
the controls take effect on Reset (``type(model)(**params)`` with the page's parameters), except
opening another scenario, which builds its model at once.
"""

from __future__ import annotations

import json
from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import force_update, update_counter

from negsim.dashboard import components as ui
from negsim.dashboard import state
from negsim.errors import InputError

#: Milliseconds between rounds while playing (each round also redraws the charts).
PLAY_INTERVAL = 150


def _first_setup() -> tuple[state.Setup, list[str]]:
    """The file given on the command line, or the flagship if that cannot be read."""
    try:
        return state.initial_setup(), []
    except InputError as exc:
        lines = [p.format() for p in exc.problems]
        return state.open_setup(state.DEFAULT_SOURCE), lines


def _baseline_key(kwargs: dict[str, Any]) -> tuple[Any, ...]:
    return (id(kwargs["case"]), kwargs["rule"],
            json.dumps(kwargs["rule_params"], sort_keys=True, default=str), kwargs["rng"])


def _run_baseline(kwargs: dict[str, Any]):
    model = state.LiveModel(**state.baseline_kwargs(kwargs))
    model.finish()
    return model.snapshot()


@solara.component
def Page():
    update_counter.get()                      # redraw after Mesa's controller steps the model
    first, first_problems = solara.use_memo(_first_setup, [])
    setup = solara.use_reactive(first)
    params = solara.use_reactive(solara.use_memo(lambda: state.model_kwargs(first), []))
    model = solara.use_reactive(solara.use_memo(lambda: state.LiveModel(**params.value), []))
    actor = solara.use_reactive(first.scenario.actor_ids[0])
    issue = solara.use_reactive(first.scenario.issue_ids[0])
    problems = solara.use_reactive(first_problems)
    # Mesa's controller reads these as reactive values
    play_ms = solara.use_reactive(PLAY_INTERVAL)
    every = solara.use_reactive(1)
    threads = solara.use_reactive(False)

    def change(new: state.Setup) -> None:
        setup.set(new)
        found = state.problems(new)
        problems.set(found)
        if not found:
            params.set(state.model_kwargs(new))

    def open_(source: str) -> list[str]:
        try:
            new = state.open_setup(source)
        except InputError as exc:
            return [p.format() for p in exc.problems]
        kwargs = state.model_kwargs(new)
        setup.set(new)
        params.set(kwargs)
        problems.set([])
        actor.set(new.scenario.actor_ids[0])
        issue.set(new.scenario.issue_ids[0])
        model.set(state.LiveModel(**kwargs))
        force_update()
        return []

    def finish() -> None:
        model.value.finish()
        force_update()

    live = model.value
    result = solara.use_memo(live.snapshot, [live, live.round, live.running])
    baseline = solara.use_memo(lambda: _run_baseline(live.kwargs), list(_baseline_key(
        live.kwargs)))
    # the charts and the story show the model's own scenario; the controls the chosen one
    shown_issue = issue.value if issue.value in result.issue_ids else result.issue_ids[0]
    shown_actor = actor.value if actor.value in result.actor_ids else result.actor_ids[0]
    pending = live.kwargs != params.value

    solara.Title("negsim dashboard")
    solara.Style(ui.CSS)
    with solara.AppBar():
        solara.AppBarTitle(f"negsim: {live.case.title}")
    with solara.Sidebar():
        with solara.Card("Scenario"):
            ui.ScenarioPicker(setup.value, open_)
        with solara.Card("Run"):
            ModelController(model, model_parameters=params, play_interval=play_ms,
                            render_interval=every, use_threads=threads)
            with solara.Row():
                solara.Button("Run to the end", on_click=finish, outlined=True,
                              disabled=not live.running, classes=["negsim-finish"])
            solara.Text(f"round {live.round} (at most {live.max_rounds}); "
                        + ("running" if live.running else f"stopped: {live.stop_reason}"),
                        classes=["negsim-round"])
            solara.SliderInt("Play: milliseconds between rounds", value=play_ms, min=0,
                             max=1000, step=50)
            if pending:
                solara.Warning("Changes not applied yet: press Reset.", dense=True,
                               classes=["negsim-pending"])
        with solara.Card("Rule"):
            ui.RuleControls(setup.value, change)

    for line in problems.value:
        solara.Error(line, dense=True)
    with solara.Columns([1, 1]):
        with solara.Card("What if? One actor on one issue"):
            ui.CellControls(setup.value, actor, issue, change)
        with solara.Card("Events"):
            ui.EventControls(setup.value, change, actor.value)
    with solara.Card("Convergence (grey: the baseline, the unchanged scenario)"):
        ui.Charts(result, baseline, shown_issue, shown_actor)
    with solara.Card(f"Per issue after round {result.rounds_run}"):
        ui.IssueTable(result, baseline, edited=bool(live.kwargs.get("overrides")))
    with solara.Card(f"Why {result.actor_name(shown_actor)} moved"):
        ui.Story(result, shown_actor, shown_issue)
