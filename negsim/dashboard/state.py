"""What one dashboard session has chosen, and how that becomes a model, a baseline and a table.

No web framework here: the page (:mod:`negsim.dashboard.app`) keeps one :class:`Setup` per
browser session and turns it into keyword arguments of :class:`~negsim.model.NegotiationModel`
with :func:`model_kwargs`, which Mesa's ``ModelController`` passes on Reset
(``type(model)(**params)``).

Interpretive choices (documented in ``docs/dashboard.md``):

* **Saliences are on 0-1 everywhere on the page**, the scale of a validated scenario, whatever
  the file used (KTAB files write 0-100). Edits become overrides of the *validated* scenario
  (``Scenario.replace``, which writes saliences on 0-1), never of the file.
* **A cell edit** (actor x issue) is an override: ``actors.A.issues.I.position`` /
  ``.salience``, and capability on that issue only, ``actors.A.capability_by_issue.I``. An actor
  that takes no part in an issue joins it when both a position and a salience are given (the
  scenario format's rule for events).
* **Added events** are appended to the scenario's own ``events:`` (which are kept).
* **The baseline** is the unchanged scenario (its own events included, the page's edits and
  events left out) run with the same rule, parameters, seed and settings. The table compares
  the current run with the baseline *at the same round* (the baseline's last round once it has
  stopped), so a difference is the edit's effect and not the passing of time.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..model import NegotiationModel
from .serve import ENV_FILE

if TYPE_CHECKING:  # pragma: no cover
    from ..result import RunResult
    from ..scenario import Scenario

__all__ = ["ENV_FILE", "DEFAULT_SOURCE", "FIELDS", "Setup", "Cell", "LiveModel",
           "scenario_choices", "open_setup", "initial_setup", "rule_defaults", "with_rule",
           "with_param", "with_seed", "cell", "with_edit", "describe_edits", "overrides",
           "model_kwargs", "baseline_kwargs", "problems", "make_event", "with_event", "without_event",
           "describe_event", "issue_rows", "table_columns", "story_lines", "baseline_round",
           "fmt"]

#: The scenario a session starts on when no file is given: the flagship.
DEFAULT_SOURCE = "nato_russia_2022"
#: What a cell of the actor x issue grid holds.
FIELDS = ("position", "salience", "capability")
#: Where edits and events are said to come from in error messages.
ORIGIN = "dashboard"


@dataclass(frozen=True)
class Setup:
    """Everything a session has chosen; a new Setup for every change (the page compares them)."""

    source: str                           #: what the user picked or typed (name or path)
    scenario: "Scenario"                  #: the scenario as loaded (saliences on 0-1)
    rule: str
    params: Mapping[str, Any]             #: every parameter of the rule, resolved
    seed: int
    #: (actor id, issue id) -> {field: value}; fields from :data:`FIELDS`
    edits: Mapping[tuple[str, str], Mapping[str, float]] = field(default_factory=dict)
    #: events added on the page, in the scenario file's layout (saliences on 0-1)
    events: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Cell:
    """One actor on one issue: the scenario's values and the page's edits (None: unchanged)."""

    actor: str
    issue: str
    takes_part: bool
    position: float | None                #: the scenario's (None when it takes no part)
    salience: float | None
    capability: float
    low: float                            #: the issue's scale
    high: float
    edits: Mapping[str, float]

    def value(self, name: str) -> float | None:
        """The value in force for the next run: the edit if any, else the scenario's."""
        return self.edits.get(name, getattr(self, name))


class LiveModel(NegotiationModel):
    """A :class:`NegotiationModel` that the page can step from a play thread and read from the
    render thread: steps and snapshots hold one lock, and a step after the run has stopped does
    nothing (Mesa's Step button may still be enabled after the page finished the run)."""

    def __init__(self, **kwargs: Any) -> None:
        self.lock = threading.RLock()
        #: the keyword arguments the model was built with (the baseline is derived from them)
        self.kwargs: dict[str, Any] = dict(kwargs)
        super().__init__(**kwargs)
        mesa_step = self.step            # Mesa's wrapper: advances time, then runs the round

        def step() -> None:
            with self.lock:
                if self.running:
                    mesa_step()

        self.step = step  # type: ignore[method-assign]

    # Mesa's Reset reads the model's signature to decide which keywords to pass: a bare
    # ``**kwargs`` would make it add its own ``scenario=`` (which NegotiationModel does not take)
    __init__.__signature__ = inspect.signature(NegotiationModel.__init__)  # type: ignore

    def snapshot(self) -> "RunResult":
        """The run so far, consistent even while another thread steps."""
        with self.lock:
            return self.result()

    def finish(self) -> None:
        """Step until the stopping rule says so."""
        while self.running:
            self.step()


# -- scenarios -------------------------------------------------------------------------------
def scenario_choices() -> dict[str, str]:
    """Shipped scenario name -> file (``nato_russia_2022``, ``ktab/dummyData_3Dim``, ...)."""
    from ..catalog import shipped

    return {name: str(path) for name, path in shipped().items()}


def open_setup(source: str) -> Setup:
    """Load a shipped scenario (by name) or a file (by path); raises InputError."""
    from ..catalog import resolve_path
    from ..scenario import load_scenario

    source = source.strip()
    path = Path(resolve_path(source)).resolve()
    for name, shipped in scenario_choices().items():
        if Path(shipped).resolve() == path:
            source = name           # a shipped file is shown by its name, however it was given
    scenario = load_scenario(path)
    rule = scenario.model.rule
    return Setup(source=source, scenario=scenario, rule=rule,
                 params=rule_defaults(scenario, rule), seed=int(scenario.model.seed))


def initial_setup(environ: Mapping[str, str] | None = None) -> Setup:
    """The setup a new session starts with: the file given to ``negsim dashboard`` (through
    :data:`ENV_FILE`) or the flagship."""
    environ = os.environ if environ is None else environ
    return open_setup(environ.get(ENV_FILE) or DEFAULT_SOURCE)


# -- the rule ----------------------------------------------------------------------------------
def rule_defaults(scenario: "Scenario", rule: str) -> dict[str, Any]:
    """Every parameter of ``rule``: the scenario's values when it is the scenario's own rule,
    else the rule's defaults (as ``NegotiationModel`` resolves them)."""
    from ..rules import get_rule

    r = get_rule(rule)
    given = dict(scenario.model.params) if rule == scenario.model.rule else {}
    params, errors = r.resolve(given)
    if errors:  # the scenario was validated, so this is the scenario's own problem
        from ..errors import Problem

        raise InputError([Problem(scenario.source, f"model.params.{k}", msg, v)
                          for k, v, msg in errors])
    return dict(params)


def with_rule(setup: Setup, rule: str) -> Setup:
    return dataclasses.replace(setup, rule=rule, params=rule_defaults(setup.scenario, rule))


def with_param(setup: Setup, name: str, value: Any) -> Setup:
    return dataclasses.replace(setup, params={**setup.params, name: value})


def with_seed(setup: Setup, seed: int) -> Setup:
    return dataclasses.replace(setup, seed=int(seed))


# -- cells -----------------------------------------------------------------------------------
def cell(setup: Setup, actor: str, issue: str) -> Cell:
    """The scenario's values of ``actor`` on ``issue`` and the page's edits of them."""
    sc = setup.scenario
    spec = sc.actors[actor]
    stance = spec.issues.get(issue)
    scale = sc.issues[issue].scale
    return Cell(actor=actor, issue=issue, takes_part=stance is not None,
                position=None if stance is None else float(stance.position),
                salience=None if stance is None else float(stance.salience),
                capability=float(spec.capability_by_issue.get(issue, spec.capability)),
                low=float(scale.low), high=float(scale.high),
                edits=dict(setup.edits.get((actor, issue), {})))


def with_edit(setup: Setup, actor: str, issue: str, name: str, value: float | None) -> Setup:
    """Set (or with None, drop) one edit; an edit equal to the scenario's value is dropped."""
    if name not in FIELDS:
        raise ValueError(f"unknown field {name!r}")
    base = cell(setup, actor, issue)
    edits = {k: dict(v) for k, v in setup.edits.items()}
    mine = edits.setdefault((actor, issue), {})
    if value is None or (base.takes_part and value == getattr(base, name)):
        mine.pop(name, None)
    else:
        mine[name] = float(value)
    if not mine:
        del edits[(actor, issue)]
    return dataclasses.replace(setup, edits=edits)


def describe_edits(setup: Setup) -> list[str]:
    """Every cell edit in words: ``Germany on I6: salience 0.85 -> 0.10``, one per field."""
    lines = []
    for (actor, issue), edit in setup.edits.items():
        c = cell(setup, actor, issue)
        for name in FIELDS:
            if name in edit:
                lines.append(f"{setup.scenario.actor_name(actor)} on {issue}: {name} "
                             f"{fmt(getattr(c, name))} -> {fmt(edit[name])}")
    return lines


def overrides(setup: Setup) -> dict[str, Any]:
    """The page's edits and events as ``--set``-style overrides of the validated scenario."""
    out: dict[str, Any] = {}
    for (actor, issue), edit in setup.edits.items():
        stance = setup.scenario.actors[actor].issues.get(issue)
        if stance is None and ("position" in edit or "salience" in edit):
            # joining an issue needs both; a half stance is left to validation to report
            out[f"actors.{actor}.issues.{issue}"] = {k: edit[k] for k in ("position", "salience")
                                                     if k in edit}
        else:
            for name in ("position", "salience"):
                if name in edit:
                    out[f"actors.{actor}.issues.{issue}.{name}"] = edit[name]
        if "capability" in edit:
            out[f"actors.{actor}.capability_by_issue.{issue}"] = edit["capability"]
    if setup.events:
        own = setup.scenario.to_document().get("events", [])
        out["events"] = [*own, *(dict(e) for e in setup.events)]
    return out


def model_kwargs(setup: Setup) -> dict[str, Any]:
    """Keyword arguments of the current run (what Mesa's Reset passes to the model)."""
    return {"case": setup.scenario, "rule": setup.rule, "rule_params": dict(setup.params),
            "overrides": overrides(setup) or None, "rng": setup.seed, "datacollector": False}


def baseline_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The baseline of a run: the same arguments without the page's edits and events."""
    return {**kwargs, "overrides": None}


def problems(setup: Setup) -> list[str]:
    """Everything wrong with the setup, one line each (empty: Reset will build it)."""
    from ..rules import get_rule

    lines: list[str] = []
    _, errors = get_rule(setup.rule).resolve(dict(setup.params))
    lines += [f"{ORIGIN}: rule parameter {k}: {msg} (got {v!r})" for k, v, msg in errors]
    over = overrides(setup)
    if over:
        try:
            setup.scenario.replace(over, origin=ORIGIN)
        except InputError as exc:
            lines += [p.format() for p in exc.problems]
    if not lines:
        # a dry build (a few ms) catches what only the model checks, so that Reset, which
        # Mesa's controller does not guard, never fails
        try:
            NegotiationModel(**model_kwargs(setup))
        except InputError as exc:
            lines += [p.format() for p in exc.problems]
        except (ValueError, KeyError, TypeError) as exc:
            lines.append(f"{ORIGIN}: {type(exc).__name__}: {exc}")
    return lines


# -- events ----------------------------------------------------------------------------------
def make_event(round_: int, actor: str, *, remove: bool = False, issue: str | None = None,
               position: float | None = None, salience: float | None = None,
               capability: float | None = None) -> dict[str, Any]:
    """An event in the scenario file's layout (``docs/scenario-format.md``, ``events:``)."""
    if remove:
        return {"round": int(round_), "remove": actor}
    ev: dict[str, Any] = {"round": int(round_), "actor": actor}
    if issue:
        ev["issue"] = issue
    for name, value in (("position", position), ("salience", salience),
                        ("capability", capability)):
        if value is not None:
            ev[name] = float(value)
    return ev


def with_event(setup: Setup, event: Mapping[str, Any]) -> Setup:
    return dataclasses.replace(setup, events=(*setup.events, dict(event)))


def without_event(setup: Setup, index: int) -> Setup:
    events = list(setup.events)
    del events[index]
    return dataclasses.replace(setup, events=tuple(events))


def describe_event(setup: Setup, event: Mapping[str, Any]) -> str:
    """``round 3: Germany on I6: salience 0.95`` (the scenario's own wording of an event)."""
    from ..scenario import EventSpec

    try:
        spec = EventSpec.model_validate(dict(event))
    except Exception:  # noqa: BLE001 - shown as typed; validation reports the problem
        return f"round {event.get('round')}: {dict(event)}"
    return f"round {spec.round}: {spec.describe(setup.scenario)}"


# -- the table -------------------------------------------------------------------------------
def fmt(value: float | None) -> str:
    """Numbers on the page: two decimals; a dash for none (never NaN)."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    return f"{float(value):.2f}"


def baseline_round(result: "RunResult", baseline: "RunResult") -> int:
    """The baseline round the current round is compared with."""
    return min(result.rounds_run, baseline.rounds_run)


def table_columns(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(key, heading) of the columns of the per-issue table: the outcome fields present in the
    records (``agreement`` and ``zone`` only for scenarios with institutions)."""
    keys = set().union(*(r.keys() for r in records)) if records else set()
    cols = [("issue", "Issue"), ("status", "Status"), ("converged_round", "Since round")]
    if "agreement" in keys:
        cols.append(("agreement", "Agreement"))
    if "zone" in keys:
        cols.append(("zone", "Zone"))
    cols += [("forecast", "Forecast"), ("baseline", "Baseline forecast"), ("mean", "Mean"),
             ("final_dispersion", "Dispersion"), ("moved_most", "Moved most")]
    return [(k, h) for k, h in cols
            if k in ("issue", "baseline") or k in keys]


def issue_rows(result: "RunResult", baseline: "RunResult") -> list[dict[str, str]]:
    """One row of text per issue (keys of :func:`table_columns`, plus ``id`` and ``changed``:
    "yes" when the forecast or the mean differs from the baseline's at the same round)."""
    tb = baseline_round(result, baseline)
    rows = []
    for k, rec in enumerate(result.issue_records()):
        iid = rec["issue"]
        issue = result.scenario.issues[iid]
        base_forecast = float(baseline.forecast_series[tb, k])
        status = rec.get("status", "")
        if rec.get("detail"):
            status = f"{status} ({rec['detail']})"
        row = {"issue": f"{iid} {issue.short or issue.name}", "status": status,
               "converged_round": "-" if rec.get("converged_round") is None
               else str(rec["converged_round"]),
               "forecast": fmt(rec.get("forecast")), "baseline": fmt(base_forecast),
               "mean": fmt(rec.get("mean")), "final_dispersion": fmt(rec.get("final_dispersion"))}
        mm = rec.get("moved_most")
        row["moved_most"] = "-" if not mm or float(mm["change"]) == 0.0 else \
            f"{result.actor_name(mm['actor'])} {float(mm['change']):+.2f}"
        if "agreement" in rec:
            row["agreement"] = str(rec["agreement"] or "-")
        if "zone" in rec:
            z = rec["zone"]
            row["zone"] = "-" if not z else f"{fmt(z[0])}-{fmt(z[1])}"
        changed = row["forecast"] != row["baseline"] or \
            row["mean"] != fmt(float(baseline.mean[tb, k]))
        row["changed"] = "yes" if changed else "no"
        row["id"] = iid
        rows.append(row)
    return rows


# -- the story -------------------------------------------------------------------------------
def story_lines(result: "RunResult", actor: str, issue: str | None, limit: int = 500
                ) -> list[str]:
    """Why ``actor`` moved: ``RunResult.actor_story`` when the result has it, else the run's
    largest moves that name the actor (``RunResult.narrative``)."""
    if hasattr(result, "actor_story"):
        try:
            return list(result.actor_story(actor, issue))[:limit]
        except KeyError:
            return []
    name = result.actor_name(actor)
    lines = [s for s in result.narrative(200) if name in s]
    return lines[:limit] or [f"{name}: no move among the run's largest"]
