"""The contract between the Mesa model and a bargaining rule.

A rule is a pure function of arrays: it receives the current :class:`BargainingState` (positions,
saliences and capabilities, issues x actors) and returns a :class:`RoundOutcome` (new positions and,
per actor and issue, which offer it accepted and from whom). Rules never touch Mesa objects, so
they can be tested, benchmarked and swept on their own; :class:`Rule` carries the metadata that
drives ``negsim models``, the generated docs and parameter validation.

Array layout: ``m`` issues x ``n`` actor slots, issues first (``positions[k, i]`` is actor ``i``'s
position on issue ``k``). ``active[k, i]`` is False where actor ``i`` takes no part in issue ``k``
(no position there, which is not the same as salience 0) or has left the negotiation; the values in
inactive cells are meaningless and must be ignored.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MoveKind", "Param", "Rule", "BargainingState", "RoundOutcome"]


class MoveKind(enum.IntEnum):
    """Why an actor's position changed (or did not) in one round."""

    INACTIVE = -1       #: takes no part in the issue this round
    HELD = 0            #: accepted no offer
    CONFRONTATION = 1   #: lost a confrontation and moved to the winner's position
    COMPROMISE = 2      #: moved part of the way toward the proposer
    CAPITULATION = 3    #: gave in fully to the proposer
    BARGAIN = 4         #: adopted an agreed bargain (multi-issue rules)
    FORECAST = 5        #: one-shot forecast rules: the outcome itself, no bargaining
    EXCHANGE = 6        #: gave way on this issue in a cross-issue exchange (exchange model)

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Param:
    """One named rule parameter: default, allowed values and what it means."""

    name: str
    default: Any
    description: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None

    @property
    def kind(self) -> type:
        return type(self.default)

    def check(self, value: Any) -> tuple[Any, str | None]:
        """Return ``(value converted to the parameter's type, None)`` or ``(value, message)``."""
        kind = self.kind
        if kind is bool:
            if isinstance(value, bool):
                return value, None
            return value, "must be true or false"
        if kind in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return value, f"must be a number"
            if kind is int and float(value) != int(value):
                return value, "must be a whole number"
            value = kind(value)
            if value != value or value in (float("inf"), float("-inf")):
                return value, "must be a finite number"
            if self.low is not None and value < self.low:
                return value, f"must be >= {self.low:g}"
            if self.high is not None and value > self.high:
                return value, f"must be <= {self.high:g}"
        elif kind is str and not isinstance(value, str):
            return value, "must be a string"
        if self.choices is not None and value not in self.choices:
            return value, "must be one of " + ", ".join(map(str, self.choices))
        return value, None

    def describe_range(self) -> str:
        if self.choices is not None:
            return " | ".join(map(str, self.choices))
        if self.kind is bool:
            return "true | false"
        lo = "" if self.low is None else f"{self.low:g}"
        hi = "" if self.high is None else f"{self.high:g}"
        return f"[{lo}, {hi}]" if (lo or hi) else self.kind.__name__


@dataclass
class BargainingState:
    """What a rule sees at the start of a round (arrays are issues x actors)."""

    positions: np.ndarray   #: (m, n) float, on each issue's own scale
    salience: np.ndarray    #: (m, n) float in [0, 1]
    capability: np.ndarray  #: (m, n) float >= 0 (per-issue capability after overrides)
    active: np.ndarray      #: (m, n) bool
    low: np.ndarray         #: (m,) scale minimum per issue
    high: np.ndarray        #: (m,) scale maximum per issue
    round: int              #: the round being played, 1-based
    memo: dict[str, Any] = field(default_factory=dict)  #: per-run memory owned by the rule
    #: (m,) reversion point of each issue if no agreement is reached; NaN where unknown
    status_quo: np.ndarray | None = None
    #: the scenario's institutions (:class:`negsim.institutions.Institutions`), compiled
    #: against these arrays' columns; None inside the levels of a two-level run
    institutions: Any = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.positions.shape  # type: ignore[return-value]


@dataclass
class RoundOutcome:
    """What a rule returns for one round.

    ``kind``/``partner`` explain each actor's move (``partner`` is the actor index whose offer was
    accepted, -1 for none). ``actor_info`` holds extra (m, n) arrays recorded per actor and issue
    (for the expected-utility rule: the two expected utilities of the accepted offer, the risk
    exponent, the security sum); ``pair_info`` holds (m, n, n) arrays recorded on request (the
    expected-utility rule's view from every actor).
    """

    positions: np.ndarray
    kind: np.ndarray
    partner: np.ndarray
    actor_info: dict[str, np.ndarray] = field(default_factory=dict)
    pair_info: dict[str, np.ndarray] = field(default_factory=dict)
    #: The rule's own stopping rule says the run is over (honoured with ``stop="auto"``; a rule
    #: such as KTAB's SMP has one). negsim's convergence statuses are still computed as usual.
    finished: bool = False
    #: Rule-specific records of what happened this round, in order (for the exchange model:
    #: every realised exchange with both actors, both issues, both moves and the gain; exact
    #: ties broken by the generator). Each is a plain JSON-serialisable dict; the run keeps them
    #: per round (``RunResult.log``) and saves them as ``log.jsonl``.
    log: list[dict[str, Any]] = field(default_factory=list)
    #: (m,) the rule's own forecast of each issue after this round, when it is not a statistic
    #: of the positions (the exchange model's voting outcome). None: the rule's ``forecast``
    #: statistic of the new positions.
    outcome: np.ndarray | None = None
    #: extra (m,) per-issue series recorded every round (e.g. the exchange model's preference
    #: outcome), named in ``Rule.issue_info``.
    issue_info: dict[str, np.ndarray] = field(default_factory=dict)


StepFn = Callable[[BargainingState, Mapping[str, Any], np.random.Generator], RoundOutcome]
InitFn = Callable[[BargainingState, Mapping[str, Any]], dict[str, Any]]
#: ``narrative(result, limit, actor=None, issue=None) -> list[str]``: a rule's own account of a
#: finished run (a :class:`~negsim.result.RunResult`), largest events first; ``actor``/``issue``
#: restrict it to one actor's or one issue's story.
NarrativeFn = Callable[..., list[str]]


@dataclass(frozen=True)
class Rule:
    """A registered bargaining rule and its metadata (the Axelrod "classifier" idea)."""

    name: str
    title: str
    description: str
    citation: str
    step: StepFn
    params: tuple[Param, ...] = ()
    init: InitFn | None = None
    stochastic: bool = False
    #: True if the rule couples issues (positions move in a joint space); False if it runs issue
    #: by issue with each issue's own positions and saliences.
    multidimensional: bool = False
    #: True if the rule needs exactly one issue at a time (it is then run issue by issue).
    single_issue: bool = False
    #: True for forecast rules with no dynamics: one round gives the outcome.
    one_shot: bool = False
    #: True if, once no events remain, a round's outcome depends only on the state arrays at its
    #: start (positions, saliences, capabilities, participation): then a deterministic run whose
    #: state repeats an earlier one reuses that round's recorded outcome instead of recomputing
    #: it, with bit-identical results. For an issue-by-issue rule (``multidimensional=False``)
    #: this holds issue by issue, and the rule is then called on the issues still changing
    #: only; its ``memo`` entries must be arrays indexed by issue (first axis) for that.
    markov: bool = False
    #: Names of ``actor_info`` entries and what they mean, for docs and table columns.
    actor_info: tuple[tuple[str, str], ...] = ()
    pair_info: tuple[tuple[str, str], ...] = ()
    docs: str = ""
    #: Which statistic of the positions is the rule's forecast of an issue: ``"median"``
    #: (capability x salience weighted median, the default) or ``"mean"`` (the weighted mean,
    #: for compromise-family rules). A round's ``RoundOutcome.outcome`` overrides it.
    forecast: str = "median"
    #: How tables and charts name the forecast ("weighted median", "voting outcome", ...).
    forecast_label: str = "weighted median"
    #: Names of ``issue_info`` series and what they mean.
    issue_info: tuple[tuple[str, str], ...] = ()
    #: True for rules that read the scenario's institutions themselves (``state.institutions``:
    #: the procedural rule); such a rule runs flat, and no two-level wrapping applies to it.
    institutional: bool = False
    #: Parameter values that make a rule stochastic: ``{param: values}`` (Axelrod-style
    #: classifiers that depend on the parameters); see :meth:`is_stochastic`.
    stochastic_when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    #: Optional account of a run in the rule's own terms (see :data:`NarrativeFn`); when absent
    #: the run narrates its largest moves from the per-actor records.
    narrative: NarrativeFn | None = None

    def is_stochastic(self, params: Mapping[str, Any] | None = None) -> bool:
        """Whether a run with these parameters draws random numbers (``stochastic`` says
        whether the rule can; ``stochastic_when`` which parameter values make it so)."""
        if not self.stochastic:
            return False
        if not self.stochastic_when:
            return True
        values = {**self.defaults(), **dict(params or {})}
        return any(values.get(name) in choices for name, choices in self.stochastic_when)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, given: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any, str]]]:
        """Defaults updated with ``given``; also the list of ``(name, value, message)`` errors."""
        values = self.defaults()
        errors: list[tuple[str, Any, str]] = []
        for key, value in given.items():
            spec = self.param(key)
            if spec is None:
                known = ", ".join(p.name for p in self.params) or "none"
                errors.append((key, value, f"unknown parameter of rule {self.name!r} "
                                           f"(known: {known})"))
                continue
            converted, message = spec.check(value)
            if message:
                errors.append((key, value, message))
            else:
                values[key] = converted
        return values, errors
