"""Scenarios: what is negotiated (issues), by whom (actors), how (model settings), and what-ifs
(events). Loading, validation and the initial arrays a run starts from.

Validation reports every problem at once (see :mod:`negsim.errors`): field checks by pydantic,
section by section so that one bad actor does not hide another, then cross-checks (unknown issue
ids, positions off an issue's scale, saliences out of range, too few actors, rule parameters).

Units: positions are on each issue's own scale (default 0-100). Saliences are stored on 0-1;
a file may give them on 0-100 (``salience_scale: percent``, or ``auto``, the default, which reads
the whole file as 0-100 as soon as one salience exceeds 1). Capabilities are any non-negative
numbers; only ratios matter.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .documents import Document, PathT, apply_overrides, read_document
from .errors import InputError, Problem

__all__ = [
    "Scenario", "IssueSpec", "ActorSpec", "StanceSpec", "ModelSpec", "EventSpec", "Metadata",
    "ScenarioArrays", "load_scenario", "validate_document", "scenario_from_dict",
]

Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Spec):
    key: str | None = None
    citation: str
    url: str | None = None
    urls: list[str] = []


class Metadata(_Spec):
    title: str
    date: str | None = None
    description: str = ""
    sources: list[Source | str] = []
    notes: str = ""
    authors: list[str] = []


class Scale(_Spec):
    low: Finite = 0.0
    high: Finite = 100.0
    unit: str = ""


class Ends(_Spec):
    """What the two ends of an issue's scale mean (short labels for tables and charts)."""

    low: str
    high: str


class IssueSpec(_Spec):
    name: str
    short: str | None = None
    description: str = ""
    scale: Scale = Scale()
    ends: Ends | None = None
    #: Labelled intermediate points of the scale, e.g. ``{50: "status quo"}``.
    anchors: dict[float, str] = {}
    #: Where the issue stands if no agreement is reached (the reversion point), if known.
    status_quo: Finite | None = None
    notes: str = ""

    @property
    def label(self) -> str:
        return self.short or self.name


class StanceSpec(_Spec):
    position: Finite
    salience: NonNegative
    note: str = ""


class ActorSpec(_Spec):
    name: str | None = None
    bloc: str | None = None
    capability: NonNegative
    capability_by_issue: dict[str, NonNegative] = {}
    issues: dict[str, StanceSpec] = {}
    flag: str | None = None
    notes: str = ""
    sources: list[str] = []


class AddedActorSpec(ActorSpec):
    id: str


class ModelSpec(_Spec):
    rule: str = "eum"
    params: dict[str, Any] = {}
    max_rounds: Annotated[int, Field(ge=1, le=100_000)] = 100
    stop: Literal["auto", "never"] = "auto"
    #: Consensus when the weighted standard deviation of positions is within this fraction of
    #: the issue's scale width.
    tolerance: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.01
    #: An actor "moved" when its position changed by more than this fraction of the scale width.
    move_tolerance: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 1e-6
    #: Rounds a status must hold before it counts.
    patience: Annotated[int, Field(ge=1, le=10_000)] = 3
    seed: Annotated[int, Field(ge=0)] = 0


class EventSpec(_Spec):
    """A what-if applied at the start of ``round``, before that round's bargaining."""

    round: Annotated[int, Field(ge=1)]
    label: str | None = None
    actor: str | None = None
    issue: str | None = None
    position: Finite | None = None
    salience: NonNegative | None = None
    capability: NonNegative | None = None
    remove: str | None = None
    add: AddedActorSpec | None = None

    @property
    def kind(self) -> str:
        return "add" if self.add is not None else "remove" if self.remove is not None else "set"

    def describe(self, scenario: "Scenario | None" = None) -> str:
        if self.label:
            return self.label
        if self.add is not None:
            return f"{self.add.name or self.add.id} joins"
        if self.remove is not None:
            return f"{self.remove} leaves"
        parts = [f"{k} {getattr(self, k):g}" for k in ("position", "salience", "capability")
                 if getattr(self, k) is not None]
        where = f" on {self.issue}" if self.issue else ""
        return f"{self.actor}{where}: " + ", ".join(parts)


_TOP_LEVEL = ("negsim", "metadata", "salience_scale", "issues", "actors", "model", "events")


class Scenario(_Spec):
    """A validated scenario; saliences are on 0-1 whatever the file used."""

    metadata: Metadata
    issues: dict[str, IssueSpec]
    actors: dict[str, ActorSpec]
    model: ModelSpec = ModelSpec()
    events: list[EventSpec] = []
    source: str = "<memory>"
    _salience_unit: float = PrivateAttr(default=1.0)

    @property
    def salience_unit(self) -> float:
        """What a salience of 1 (0-1 scale) was written as in the source: 1 or 100."""
        return self._salience_unit

    # -- identities ------------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.metadata.title

    @property
    def issue_ids(self) -> list[str]:
        return list(self.issues)

    @property
    def actor_ids(self) -> list[str]:
        """Actors present at the start, in scenario order."""
        return list(self.actors)

    @property
    def all_actor_ids(self) -> list[str]:
        """Actors at the start followed by actors that events add, in order."""
        added = [e.add.id for e in sorted(self.events, key=lambda e: e.round) if e.add]
        return self.actor_ids + added

    def actor_spec(self, actor_id: str) -> ActorSpec:
        if actor_id in self.actors:
            return self.actors[actor_id]
        for e in self.events:
            if e.add is not None and e.add.id == actor_id:
                return e.add
        raise KeyError(actor_id)

    def actor_name(self, actor_id: str) -> str:
        return self.actor_spec(actor_id).name or actor_id

    # -- conversions -----------------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """The scenario in the file layout (saliences on 0-1), ready for YAML."""
        data = self.model_dump(mode="json", exclude_defaults=False, exclude={"source"})
        data["salience_scale"] = "unit"
        order = ["metadata", "salience_scale", "issues", "actors", "model", "events"]
        return {k: data[k] for k in order if k in data}

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_document(), sort_keys=False, allow_unicode=True, width=100)

    def replace(self, overrides: Mapping[str, Any] | Iterable[str], origin: str = "--set"
                ) -> "Scenario":
        """A new scenario with ``path=value`` overrides applied and re-validated."""
        doc = Document(self.to_document(), self.source, "yaml")
        doc.problems.extend(apply_overrides(doc, overrides if isinstance(overrides, Mapping)
                                            else list(overrides), origin))
        return validate_document(doc)

    def arrays(self) -> "ScenarioArrays":
        return ScenarioArrays.from_scenario(self)


@dataclass(frozen=True)
class ScenarioArrays:
    """The initial state of a scenario as arrays (issues x actor slots).

    Actor slots cover every actor that ever takes part: those present at the start, then those
    added by events (inactive until they join).
    """

    issue_ids: list[str]
    actor_ids: list[str]
    positions: np.ndarray
    salience: np.ndarray
    capability: np.ndarray
    active: np.ndarray
    low: np.ndarray
    high: np.ndarray
    status_quo: np.ndarray   #: (m,), NaN where the scenario gives none

    @classmethod
    def from_scenario(cls, sc: Scenario) -> "ScenarioArrays":
        issue_ids = sc.issue_ids
        actor_ids = sc.all_actor_ids
        m, n = len(issue_ids), len(actor_ids)
        pos = np.zeros((m, n))
        sal = np.zeros((m, n))
        cap = np.zeros((m, n))
        act = np.zeros((m, n), dtype=bool)
        for i, aid in enumerate(actor_ids):
            spec = sc.actor_spec(aid)
            present = aid in sc.actors
            for k, iid in enumerate(issue_ids):
                cap[k, i] = spec.capability_by_issue.get(iid, spec.capability)
                stance = spec.issues.get(iid)
                if stance is not None:
                    pos[k, i] = stance.position
                    sal[k, i] = stance.salience
                    act[k, i] = present
        low = np.array([sc.issues[i].scale.low for i in issue_ids], dtype=float)
        high = np.array([sc.issues[i].scale.high for i in issue_ids], dtype=float)
        sq = np.array([np.nan if sc.issues[i].status_quo is None else sc.issues[i].status_quo
                       for i in issue_ids], dtype=float)
        return cls(issue_ids, actor_ids, pos, sal, cap, act, low, high, sq)


# ------------------------------------------------------------------------------------------
# validation

_FRIENDLY = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown field (check the spelling; see docs/scenario-format.md)",
    "finite_number": "must be a finite number (NaN and infinity are not allowed)",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be text",
    "dict_type": "must be a mapping (key: value lines)",
    "list_type": "must be a list",
    "model_type": "must be a mapping (key: value lines)",
}


def _pydantic_problems(doc: Document, prefix: PathT, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = tuple(str(p) if not isinstance(p, int) else p for p in err["loc"])
        # Unions report one error per branch; keep the location, drop the branch names.
        loc = tuple(p for p in loc if p not in ("Source", "str", "float", "int", "function-after"))
        message = _FRIENDLY.get(err["type"], err["msg"])
        if err["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            message = err["msg"].replace("Input should be", "must be")
        value = err.get("input") if err["type"] != "missing" else None
        if err["type"] == "missing":
            out.append(doc.problem(prefix + loc, message))
        else:
            out.append(doc.problem(prefix + loc, message, value))
    return out


def _check_model(doc: Document, prefix: PathT, spec_cls: type[BaseModel], data: Any,
                 problems: list[Problem]) -> Any:
    try:
        return spec_cls.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(doc, prefix, exc))
        return None


def _str_keys(doc: Document, prefix: PathT, data: Any, what: str,
              problems: list[Problem]) -> dict[str, Any] | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(doc.problem(prefix, f"{what} must be a mapping from id to its fields",
                                    type(data).__name__))
        return None
    return {str(k): v for k, v in data.items()}


def _salience_unit(raw_saliences: list[float], declared: str) -> float:
    if declared == "percent":
        return 100.0
    if declared == "unit":
        return 1.0
    finite = [s for s in raw_saliences if isinstance(s, (int, float)) and math.isfinite(s)]
    return 100.0 if any(s > 1.0 for s in finite) else 1.0


def validate_document(doc: Document) -> Scenario:
    """Validate plain scenario data; return a :class:`Scenario` or raise :class:`InputError`."""
    problems: list[Problem] = list(doc.problems)
    data = doc.data
    for key in data:
        if key not in _TOP_LEVEL:
            problems.append(doc.problem((str(key),), "unknown top-level section "
                                        f"(known: {', '.join(_TOP_LEVEL[1:])})"))

    meta = _check_model(doc, ("metadata",), Metadata, _coerce_meta(data.get("metadata")), problems) \
        if "metadata" in data else None
    if "metadata" not in data:
        problems.append(doc.problem(("metadata",), "required section is missing (needs a title)"))

    declared = data.get("salience_scale", "auto")
    if declared not in ("auto", "unit", "percent"):
        problems.append(doc.problem(("salience_scale",), "must be auto, unit (0-1) or percent "
                                    "(0-100)", declared))
        declared = "auto"

    issues_raw = _str_keys(doc, ("issues",), data.get("issues"), "issues", problems)
    issues: dict[str, IssueSpec] = {}
    if issues_raw is None and "issues" not in data:
        problems.append(doc.problem(("issues",), "required section is missing"))
    for iid, body in (issues_raw or {}).items():
        spec = _check_model(doc, ("issues", iid), IssueSpec, body, problems)
        if spec is None:
            continue
        if not spec.scale.low < spec.scale.high:
            problems.append(doc.problem(("issues", iid, "scale"), "scale low must be below high",
                                        f"{spec.scale.low:g}..{spec.scale.high:g}"))
            continue
        if spec.status_quo is not None and not spec.scale.low <= spec.status_quo <= spec.scale.high:
            problems.append(doc.problem(("issues", iid, "status_quo"), "status quo lies off the "
                                        f"issue's scale {spec.scale.low:g}-{spec.scale.high:g}",
                                        spec.status_quo))
        for point in spec.anchors:
            if not spec.scale.low <= point <= spec.scale.high:
                problems.append(doc.problem(("issues", iid, "anchors", str(point)),
                                            "anchor lies off the issue's scale "
                                            f"{spec.scale.low:g}-{spec.scale.high:g}", point))
        issues[iid] = spec
    if issues_raw is not None and not issues_raw:
        problems.append(doc.problem(("issues",), "a scenario needs at least one issue"))

    actors_raw = _str_keys(doc, ("actors",), data.get("actors"), "actors", problems)
    if actors_raw is None and "actors" not in data:
        problems.append(doc.problem(("actors",), "required section is missing"))
    actors: dict[str, ActorSpec] = {}
    stances_ok: dict[str, dict[str, StanceSpec]] = {}
    for aid, body in (actors_raw or {}).items():
        if not isinstance(body, dict):
            problems.append(doc.problem(("actors", aid), "an actor must be a mapping of its fields",
                                        body))
            continue
        # Validate the stances one by one, apart from the actor's other fields, so that a bad
        # capability does not hide a bad position (and vice versa).
        raw_stances = body.get("issues", {})
        stances: dict[str, StanceSpec] = {}
        if isinstance(raw_stances, dict):
            for iid, st_body in raw_stances.items():
                st = _check_model(doc, ("actors", aid, "issues", str(iid)), StanceSpec, st_body,
                                  problems)
                if st is not None:
                    stances[str(iid)] = st
        else:
            problems.append(doc.problem(("actors", aid, "issues"), "must be a mapping from issue "
                                        "id to {position, salience}", raw_stances))
        stances_ok[aid] = stances
        spec = _check_model(doc, ("actors", aid), ActorSpec, {**body, "issues": {}}, problems)
        if spec is not None:
            actors[aid] = spec.model_copy(update={"issues": stances})

    model = ModelSpec()
    if "model" in data:
        model = _check_model(doc, ("model",), ModelSpec, data["model"], problems) or model

    events: list[EventSpec] = []
    events_raw = data.get("events", [])
    if events_raw is None:
        events_raw = []
    if not isinstance(events_raw, list):
        problems.append(doc.problem(("events",), "events must be a list", type(events_raw).__name__))
        events_raw = []
    event_ok: list[tuple[int, EventSpec]] = []
    for idx, body in enumerate(events_raw):
        ev = _check_model(doc, ("events", idx), EventSpec, body, problems)
        if ev is not None:
            event_ok.append((idx, ev))

    # -- salience scale -------------------------------------------------------------------
    # "auto" reads the file's own saliences: a --set value must not flip the whole file's scale.
    def from_file(path: PathT) -> bool:
        return not any(path[:d] in doc.origins for d in range(1, len(path) + 1))

    all_sal = [st.salience for aid, sts in stances_ok.items() for iid, st in sts.items()
               if from_file(("actors", aid, "issues", iid, "salience"))]
    all_sal += [e.salience for idx, e in event_ok if e.salience is not None
                and from_file(("events", idx, "salience"))]
    all_sal += [st.salience for idx, e in event_ok if e.add and from_file(("events", idx))
                for st in e.add.issues.values()]
    unit = _salience_unit(all_sal, declared)
    sal_note = ("0-100 (the file's salience_scale)" if declared == "percent" else "0-1"
                if declared == "unit" else "0-1, or 0-100 for the whole file")

    def check_stance(path: PathT, iid: str, st: StanceSpec) -> None:
        if iid not in issues:
            if issues_raw is not None and iid not in issues_raw:
                problems.append(doc.problem(path, "unknown issue id (known: "
                                            + ", ".join(issues_raw) + ")", iid))
            return
        sc = issues[iid].scale
        if not sc.low <= st.position <= sc.high:
            problems.append(doc.problem(path + ("position",),
                                        f"position lies off the issue's scale {sc.low:g}-{sc.high:g}",
                                        st.position))
        if st.salience > unit:
            problems.append(doc.problem(path + ("salience",), f"salience must be within {sal_note}",
                                        st.salience))

    for aid, stances in stances_ok.items():
        for iid, st in stances.items():
            check_stance(("actors", aid, "issues", iid), iid, st)
    for aid, spec in actors.items():
        for iid in spec.capability_by_issue:
            if iid not in issues and (issues_raw is None or iid not in issues_raw):
                problems.append(doc.problem(("actors", aid, "capability_by_issue", iid),
                                            "unknown issue id", iid))

    if actors_raw is not None and len(actors_raw) < 2:
        problems.append(doc.problem(("actors",), "a negotiation needs at least two actors",
                                    len(actors_raw)))

    # -- events ---------------------------------------------------------------------------
    known = set(actors_raw or {})
    has_stance = {(aid, iid) for aid, sts in stances_ok.items() for iid in sts}
    by_round = sorted(event_ok, key=lambda pair: (pair[1].round, pair[0]))
    present = set(known)
    for idx, ev in by_round:
        path: PathT = ("events", idx)
        forms = [ev.add is not None, ev.remove is not None,
                 any(getattr(ev, f) is not None for f in ("position", "salience", "capability"))]
        if sum(forms) != 1:
            problems.append(doc.problem(path, "an event must do exactly one thing: set position/"
                                        "salience/capability of an actor, remove an actor, or "
                                        "add one"))
            continue
        if ev.round > model.max_rounds:
            problems.append(doc.problem(path + ("round",), "event falls after the last round "
                                        f"(max_rounds {model.max_rounds})", ev.round))
        if ev.add is not None:
            new = ev.add
            if new.id in known:
                problems.append(doc.problem(path + ("add", "id"), "duplicate actor id", new.id))
                continue
            known.add(new.id)
            present.add(new.id)
            has_stance.update((new.id, iid) for iid in new.issues)
            for iid, st in new.issues.items():
                check_stance(path + ("add", "issues", iid), iid, st)
            continue
        if ev.remove is not None:
            if ev.remove not in known:
                problems.append(doc.problem(path + ("remove",), "unknown actor id", ev.remove))
            elif ev.remove not in present:
                problems.append(doc.problem(path + ("remove",), "actor has already left", ev.remove))
            present.discard(ev.remove)
            continue
        if ev.actor is None:
            problems.append(doc.problem(path + ("actor",), "which actor? (required for a set event)"))
            continue
        if ev.actor not in known:
            problems.append(doc.problem(path + ("actor",), "unknown actor id", ev.actor))
            continue
        if ev.issue is None:
            if ev.position is not None or ev.salience is not None:
                problems.append(doc.problem(path + ("issue",), "which issue? (required to set a "
                                            "position or salience)"))
            continue
        if ev.issue not in issues:
            if issues_raw is None or ev.issue not in issues_raw:
                problems.append(doc.problem(path + ("issue",), "unknown issue id", ev.issue))
            continue
        if (ev.actor, ev.issue) not in has_stance and (ev.position is not None
                                                        or ev.salience is not None):
            if ev.position is None or ev.salience is None:
                problems.append(doc.problem(path, f"{ev.actor} takes no part in {ev.issue}; give "
                                            "both position and salience to bring it in"))
            else:
                has_stance.add((ev.actor, ev.issue))
        sc = issues[ev.issue].scale
        if ev.position is not None and not sc.low <= ev.position <= sc.high:
            problems.append(doc.problem(path + ("position",), "position lies off the issue's "
                                        f"scale {sc.low:g}-{sc.high:g}", ev.position))
        if ev.salience is not None and ev.salience > unit:
            problems.append(doc.problem(path + ("salience",), f"salience must be within {sal_note}",
                                        ev.salience))

    # -- issues need two participants with weight -------------------------------------------
    for iid in issues:
        members = [a for a in actors.values() if iid in a.issues]
        if actors_raw is not None and len(actors) == len(actors_raw) and len(members) < 2:
            problems.append(doc.problem(("issues", iid), "fewer than two actors take part in this "
                                        "issue", len(members)))
        elif members and len(actors) == len(actors_raw or {}):
            weight = sum(a.capability_by_issue.get(iid, a.capability) * a.issues[iid].salience
                         for a in members)
            if weight <= 0:
                problems.append(doc.problem(("issues", iid), "every participant has capability 0 or "
                                            "salience 0, so no position carries any weight"))

    # -- rule and its parameters --------------------------------------------------------------
    from .rules import UnknownRule, get_rule, rule_names

    try:
        rule = get_rule(model.rule)
    except UnknownRule:
        problems.append(doc.problem(("model", "rule"), "unknown rule (known: "
                                    + ", ".join(rule_names()) + ")", model.rule))
    else:
        _, errors = rule.resolve(model.params)
        for key, value, message in errors:
            problems.append(doc.problem(("model", "params", key), message, value))

    if problems:
        problems.sort(key=lambda p: (p.file != doc.name, p.line is None, p.line or 0))
        raise InputError(problems)

    # -- normalise saliences to 0-1 ---------------------------------------------------------
    def norm_actor(spec: ActorSpec) -> dict[str, Any]:
        d = spec.model_dump()
        d["issues"] = {k: {**v, "salience": v["salience"] / unit} for k, v in d["issues"].items()}
        return d

    norm_events = []
    for _, ev in event_ok:
        d = ev.model_dump(exclude_none=True)
        if ev.salience is not None:
            d["salience"] = ev.salience / unit
        if ev.add is not None:
            d["add"] = {**norm_actor(ev.add), "id": ev.add.id}
        norm_events.append(d)
    assert meta is not None
    scenario = Scenario.model_validate({
        "metadata": meta.model_dump(),
        "issues": {k: v.model_dump() for k, v in issues.items()},
        "actors": {k: norm_actor(v) for k, v in actors.items()},
        "model": model.model_dump(),
        "events": norm_events,
        "source": doc.name,
    })
    scenario._salience_unit = unit
    return scenario


def _coerce_meta(meta: Any) -> Any:
    if isinstance(meta, dict) and isinstance(meta.get("date"), (_dt.date, _dt.datetime)):
        return {**meta, "date": meta["date"].isoformat()}
    return meta


def scenario_from_dict(data: Mapping[str, Any], name: str = "<memory>") -> Scenario:
    """Validate a scenario given as a plain dict in the file layout."""
    import copy

    return validate_document(Document(copy.deepcopy(dict(data)), name, "dict"))


def load_scenario(path: str | Path, overrides: Iterable[str] | Mapping[str, Any] | None = None
                  ) -> Scenario:
    """Read, override and validate a scenario file (YAML, BDM CSV or long CSV).

    ``overrides`` are ``path=value`` strings as given to ``--set`` (or a mapping of path to value).
    Raises :class:`~negsim.errors.InputError` listing every problem found.
    """
    doc = read_document(path)
    if overrides:
        doc.problems.extend(apply_overrides(doc, overrides if isinstance(overrides, Mapping)
                                            else list(overrides)))
    return validate_document(doc)
