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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      PrivateAttr)
from pydantic_core import PydanticCustomError

from .readers import Document, apply_overrides, read_document

__all__ = [
    "Scenario", "IssueSpec", "ActorSpec", "StanceSpec", "ModelSpec", "EventSpec", "Metadata",
    "BlocSpec", "DecisionSpec", "LinkageSpec", "ConditionSpec", "ScenarioArrays",
    "load_scenario", "validate_document", "scenario_from_dict", "MAGNITUDE", "MAX_ROUNDS",
    "DECISION_RULES",
]

#: Magnitude policy: capabilities, scale ends, positions, status quos and weights lie within
#: +-MAGNITUDE, so every kernel's sums and squares stay finite (1e12^2 x 1e4 actors << 1e308).
MAGNITUDE = 1e12
#: The longest run a scenario may ask for: a deterministic rule that has not settled by then
#: will not (and a run that long takes minutes).
MAX_ROUNDS = 10_000
DECISION_RULES = ("unanimity", "consensus", "qmv", "majority")


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("bool_number", "must be a number, not true/false")
    return value


def _within(value: float) -> float:
    if abs(value) > MAGNITUDE:
        raise PydanticCustomError("magnitude", f"must lie within +-{MAGNITUDE:g} (negsim's "
                                  "magnitude limit; rescale the values)")
    return value


Finite = Annotated[float, BeforeValidator(_not_bool), Field(allow_inf_nan=False),
                   AfterValidator(_within)]
NonNegative = Annotated[float, BeforeValidator(_not_bool), Field(ge=0, allow_inf_nan=False),
                        AfterValidator(_within)]
Whole = Annotated[int, BeforeValidator(_not_bool)]


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
    #: How well the status quo is sourced (S, S/J, J as for actors) and the source keys.
    status_quo_flag: str | None = None
    status_quo_sources: list[str] = []
    status_quo_note: str = ""
    #: Who must agree to change the status quo on this issue (default: the scenario's
    #: top-level ``decision``; with neither, every actor taking part, by unanimity).
    decision: "DecisionSpec | None" = None
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


class _Rule(_Spec):
    """A decision rule: ``consensus``/``unanimity`` (everyone must agree), ``qmv`` (a qualified
    majority: ``threshold`` share of the weight, and optionally ``min_share`` of the voters) or
    ``majority`` (more than half the weight). ``weights``: ``equal`` (one voter one vote),
    ``capability`` (each voter's capability on the issue) or a mapping voter -> weight."""

    rule: Literal["unanimity", "consensus", "qmv", "majority"] = "unanimity"
    weights: Literal["equal", "capability"] | dict[str, NonNegative] = "equal"
    threshold: Annotated[float, BeforeValidator(_not_bool),
                         Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    min_share: Annotated[float, BeforeValidator(_not_bool),
                         Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    flag: str | None = None
    sources: list[str] = []
    notes: str = ""


class DecisionSpec(_Rule):
    """Who must agree to change an issue's status quo, and how."""

    #: actor or bloc ids; None: every actor taking part in the issue
    parties: list[str] | None = None
    #: an actor who proposes (takes it or leaves it): the procedural rule's agenda setter
    agenda_setter: str | None = None
    #: ``unanimity``: the voters can amend a proposal by unanimity, so it must also lie within
    #: their unanimity core (the EU Council under consultation: Steunenberg 1994, Crombez 1996)
    amendment: Literal["none", "unanimity"] = "none"


class BlocSpec(_Rule):
    """A collective actor (an alliance, a council) deciding internally by ``rule``."""

    name: str | None = None
    #: actor ids; None: every actor whose ``bloc`` label is this bloc's id or name
    members: list[str] | None = None
    #: an agenda setter who is not a member (tables the bloc's position, holds no vote)
    broker: str | None = None


class ConditionSpec(_Spec):
    """A red line of a package: the named issue must end at or below ``at_most`` and/or at or
    above ``at_least`` for the package to be acceptable to its author."""

    issue: str
    at_most: Finite | None = None
    at_least: Finite | None = None
    note: str = ""


class LinkageSpec(_Spec):
    """An actor declares issues one package: it accepts a deal on any of them only as a whole,
    when its salience-weighted gain over the package beats the status quo and every condition
    holds."""

    actor: str
    issues: list[str]
    conditions: list[ConditionSpec] = []
    label: str | None = None
    flag: str | None = None
    sources: list[str] = []
    notes: str = ""


class ModelSpec(_Spec):
    rule: str = "eum"
    params: dict[str, Any] = {}
    max_rounds: Annotated[Whole, Field(ge=1)] = 100
    stop: Literal["auto", "never"] = "auto"
    #: Consensus when the weighted standard deviation of positions is within this fraction of
    #: the issue's scale width.
    tolerance: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.01
    #: An actor "moved" when its position changed by more than this fraction of the scale width.
    move_tolerance: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 1e-6
    #: Rounds a status must hold before it counts.
    patience: Annotated[Whole, Field(ge=1, le=10_000)] = 3
    seed: Annotated[Whole, Field(ge=0, lt=2**63)] = 0
    #: Institutions in runs: ``auto`` (on when the scenario declares decisions, blocs or
    #: linkage), ``on`` (blocs bargain in two levels, and an issue's outcome is its agreed point
    #: or else the status quo) or ``off`` (every actor bargains alone; the agreement analysis
    #: is still available with ``negsim agree``).
    institutions: Literal["auto", "on", "off"] = "auto"


class EventSpec(_Spec):
    """A what-if applied at the start of ``round``, before that round's bargaining; round 0
    means before bargaining starts (the start state itself is changed)."""

    round: Annotated[Whole, Field(ge=0)]
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

    def change(self, scenario: "Scenario | None" = None) -> str:
        """What the event does, in words (actor names from ``scenario`` when given)."""
        def name(aid: str | None) -> str:
            if aid is None:
                return "?"
            try:
                return scenario.actor_name(aid) if scenario is not None else aid
            except KeyError:
                return aid

        if self.add is not None:
            return f"{self.add.name or self.add.id} joins"
        if self.remove is not None:
            return f"{name(self.remove)} leaves" + (" before bargaining" if self.round == 0
                                                    else "")
        parts = [f"{k} {getattr(self, k):g}" for k in ("position", "salience", "capability")
                 if getattr(self, k) is not None]
        where = f" on {self.issue}" if self.issue else ""
        return f"{name(self.actor)}{where}: " + ", ".join(parts)

    def describe(self, scenario: "Scenario | None" = None) -> str:
        """The event's label followed by what it changes (or just what it changes)."""
        what = self.change(scenario)
        return f"{self.label} ({what})" if self.label else what


TOP_LEVEL = ("negsim", "metadata", "salience_scale", "issues", "actors", "blocs", "decision",
              "linkage", "model", "events")


class Scenario(_Spec):
    """A validated scenario; saliences are on 0-1 whatever the file used."""

    metadata: Metadata
    issues: dict[str, IssueSpec]
    actors: dict[str, ActorSpec]
    model: ModelSpec = ModelSpec()
    events: list[EventSpec] = []
    blocs: dict[str, BlocSpec] = {}
    #: the default decision for issues that name none
    decision: DecisionSpec | None = None
    linkage: list[LinkageSpec] = []
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

    def bloc_members(self, bloc_id: str) -> list[str]:
        """Members of a declared bloc, in scenario order (added actors included)."""
        spec = self.blocs[bloc_id]
        if spec.members is not None:
            return list(spec.members)
        labels = {bloc_id, spec.name} - {None}
        return [a for a in self.all_actor_ids if self.actor_spec(a).bloc in labels
                and a != spec.broker]

    @property
    def has_institutions(self) -> bool:
        """Whether runs use the institutions (``model.institutions``, see ModelSpec)."""
        if self.model.institutions != "auto":
            return self.model.institutions == "on"
        return bool(self.blocs or self.linkage or self.decision is not None
                    or any(i.decision is not None for i in self.issues.values()))

    def party_name(self, party_id: str) -> str:
        """The name of an actor or a bloc."""
        if party_id in self.blocs:
            return self.blocs[party_id].name or party_id
        return self.actor_name(party_id)

    # -- conversions -----------------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """The scenario in the file layout (saliences on 0-1), ready for YAML."""
        data = self.model_dump(mode="json", exclude_defaults=False, exclude={"source"})
        data["salience_scale"] = "unit"
        for key in ("blocs", "linkage"):
            if not data.get(key):
                data.pop(key, None)
        if data.get("decision") is None:
            data.pop("decision", None)
        order = ["metadata", "salience_scale", "issues", "actors", "blocs", "decision",
                 "linkage", "model", "events"]
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
    stance: np.ndarray       #: (m, n) bool: the actor has a position and salience on the issue

    @classmethod
    def from_scenario(cls, sc: Scenario) -> "ScenarioArrays":
        issue_ids = sc.issue_ids
        actor_ids = sc.all_actor_ids
        m, n = len(issue_ids), len(actor_ids)
        pos = np.zeros((m, n))
        sal = np.zeros((m, n))
        cap = np.zeros((m, n))
        act = np.zeros((m, n), dtype=bool)
        stance = np.zeros((m, n), dtype=bool)
        for i, aid in enumerate(actor_ids):
            spec = sc.actor_spec(aid)
            present = aid in sc.actors
            for k, iid in enumerate(issue_ids):
                cap[k, i] = spec.capability_by_issue.get(iid, spec.capability)
                st = spec.issues.get(iid)
                if st is not None:
                    pos[k, i] = st.position
                    sal[k, i] = st.salience
                    act[k, i] = present
                    stance[k, i] = True
        low = np.array([sc.issues[i].scale.low for i in issue_ids], dtype=float)
        high = np.array([sc.issues[i].scale.high for i in issue_ids], dtype=float)
        sq = np.array([np.nan if sc.issues[i].status_quo is None else sc.issues[i].status_quo
                       for i in issue_ids], dtype=float)
        return cls(issue_ids, actor_ids, pos, sal, cap, act, low, high, sq, stance)


def validate_document(doc: Document) -> Scenario:
    """Validate plain scenario data; return a :class:`Scenario` or raise
    :class:`~negsim.errors.InputError` listing every problem (see :mod:`negsim.validation`)."""
    from .validation import validate

    return validate(doc)


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

IssueSpec.model_rebuild()
