"""Per-round records of a run, kept apart from the model that produces them.

:class:`RunHistory` holds preallocated arrays for every round a run may play (round 0 is the
input) and is filled with plain arrays: the model hands it the state after each round and the
rule's :class:`~negsim.rules.base.RoundOutcome`, never itself. :class:`PlenaryRecords` holds the
second level of a run with institutions (blocs bargaining as one actor with the others). A
:class:`~negsim.result.RunResult` is built from a history with ``RunResult.from_history``.

Issue statistics (forecast, weighted median and mean, dispersion, largest move) are computed here
once per round, in one pass over the issue x actor arrays (:func:`negsim.stats.issue_stats`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .rules.base import MoveKind, RoundOutcome
from .stats import issue_stats

__all__ = ["RunHistory", "PlenaryRecords", "AGREEMENT_LABELS", "AGREEMENT_CODES"]

#: Per issue and round, what the institutions make of the outcome (runs with institutions).
AGREEMENT_LABELS = {0: None, 1: "agreed", 2: "no agreement", 3: "no agreement: no zone",
                    4: "blocked by linkage", 5: "no status quo"}
AGREEMENT_CODES = {v: k for k, v in AGREEMENT_LABELS.items() if v}


class RunHistory:
    """Preallocated per-round arrays of one run: ``(capacity, m, n)`` per actor and issue,
    ``(capacity, m)`` per issue; ``rounds`` says how many rows are filled minus one."""

    def __init__(self, m: int, n: int, capacity: int, *, actor_info: Sequence[str] = (),
                 pair_info: Sequence[str] = (), issue_info: Sequence[str] = (),
                 record_pairs: bool = False) -> None:
        self.m, self.n, self.capacity = m, n, capacity
        self.record_pairs = record_pairs
        shape = (capacity, m, n)
        self.positions = np.zeros(shape)
        #: positions at the start of each round's bargaining (after that round's events)
        self.start = np.zeros(shape)
        self.active = np.zeros(shape, dtype=bool)
        self.salience = np.zeros(shape)
        self.capability = np.zeros(shape)
        self.kind = np.full(shape, int(MoveKind.INACTIVE), dtype=np.int8)
        self.partner = np.full(shape, -1, dtype=np.int32)
        self.actor_info = {name: np.full(shape, np.nan) for name in actor_info}
        self.pair_info = {name: np.full((capacity, m, n, n), np.nan) for name in pair_info} \
            if record_pairs else {}
        self.median = np.zeros((capacity, m))
        self.mean = np.zeros((capacity, m))
        self.dispersion = np.zeros((capacity, m))
        self.max_move = np.full((capacity, m), np.inf)
        #: per round, the forecast of every issue (the rule's, or the agreed outcome)
        self.forecast = np.zeros((capacity, m))
        self.issue_info = {name: np.full((capacity, m), np.nan) for name in issue_info}
        #: per round, the rule's own outcome (``RoundOutcome.outcome``), NaN where it gave none
        self.rule_outcome = np.full((capacity, m), np.nan)
        #: runs with institutions: per round, the agreement code, zone and bargaining outcome
        self.agreement = np.zeros((capacity, m), dtype=np.int8)
        self.zone = np.full((capacity, m, 2), np.nan)
        self.bargain = np.full((capacity, m), np.nan)
        self.events: list[tuple[int, str]] = []
        #: per round, the rule's own records (``RoundOutcome.log``) and the run's, with round
        self.log: list[list[dict[str, Any]]] = []
        self.plenary: PlenaryRecords | None = None
        self.rounds = -1

    def record(self, positions: np.ndarray, active: np.ndarray, salience: np.ndarray,
               capability: np.ndarray, outcome: RoundOutcome | None,
               start: np.ndarray | None = None, stats: tuple[np.ndarray, ...] | None = None,
               forecast: np.ndarray | None = None, forecast_stat: str = "median",
               extra_log: Sequence[dict[str, Any]] = ()) -> None:
        """Append the state after one round (round 0: the input, ``outcome`` None).

        ``stats`` = (median, mean, dispersion) when the caller computed them over other
        participants (the plenary of a two-level run); else they are computed here over the
        actors. ``forecast`` overrides the forecast (the agreed outcome or the status quo)."""
        t = self.rounds + 1
        if t >= self.capacity:
            raise IndexError(f"run history is full ({self.capacity} rounds)")
        self.rounds = t
        self.positions[t] = positions
        self.start[t] = positions if start is None else start
        self.active[t] = active
        self.salience[t] = salience
        self.capability[t] = capability
        if stats is None:
            stats = issue_stats(positions, capability * salience, active)
        med, mean, disp = stats
        self.median[t], self.mean[t], self.dispersion[t] = med, mean, disp
        if t > 0 and self.plenary is None:
            both = active & self.active[t - 1]
            self.max_move[t] = np.where(both, np.abs(positions - self.positions[t - 1]),
                                        0.0).max(axis=1, initial=0.0)
        own = None if outcome is None else outcome.outcome
        if own is not None:
            self.rule_outcome[t] = own
        if forecast is not None:
            self.forecast[t] = forecast
        elif own is not None:
            self.forecast[t] = own
        else:
            self.forecast[t] = mean if forecast_stat == "mean" else med
        self.log.append([{"round": t, **rec} for rec in (outcome.log if outcome else ())]
                        + [{"round": t, **rec} for rec in extra_log])
        if outcome is None:
            self.kind[t] = np.where(active, MoveKind.HELD, MoveKind.INACTIVE)
            return
        self.kind[t] = np.where(active, outcome.kind, MoveKind.INACTIVE)
        self.partner[t] = np.where(active, outcome.partner, -1)
        for name, arr in self.actor_info.items():
            value = outcome.actor_info.get(name)
            if value is not None:
                arr[t] = np.where(active, value, np.nan)
        for name, arr in self.pair_info.items():
            value = outcome.pair_info.get(name)
            if value is not None:
                arr[t] = value
        for name, arr in self.issue_info.items():
            value = outcome.issue_info.get(name)
            if value is not None:
                arr[t] = value

    def rows(self, series: np.ndarray) -> np.ndarray:
        """The filled part of a per-round array."""
        return series[: self.rounds + 1]

    def move_of(self, slot: int, k: int) -> dict[str, Any]:
        """What actor ``slot`` did on issue ``k`` in the latest round."""
        t = self.rounds
        kind = MoveKind(int(self.kind[t, k, slot]))
        partner = int(self.partner[t, k, slot])
        return {"round": t, "kind": kind.label, "partner": partner if partner >= 0 else None,
                "from": float(self.start[t, k, slot]), "to": float(self.positions[t, k, slot])}


@dataclass
class PlenaryRecords:
    """The plenary of a two-level run: blocs (as one participant each) and the actors outside
    blocs, per round. ``ids`` are bloc ids then actor ids; ``partner`` indexes ``ids``."""

    ids: list[str]
    is_bloc: np.ndarray          #: (p,) bool
    slots: np.ndarray            #: (p,) actor slot of each actor participant, -1 for blocs
    positions: np.ndarray        #: (capacity, m, p)
    capability: np.ndarray
    salience: np.ndarray
    active: np.ndarray
    kind: np.ndarray
    partner: np.ndarray
    #: the bloc's move was cut back to what its members accept (consensus edge)
    clamped: np.ndarray

    @classmethod
    def empty(cls, ids: list[str], is_bloc: np.ndarray, slots: np.ndarray, m: int,
              capacity: int) -> "PlenaryRecords":
        p = len(ids)
        shape = (capacity, m, p)
        return cls(ids, is_bloc, slots, np.zeros(shape), np.zeros(shape), np.zeros(shape),
                   np.zeros(shape, dtype=bool),
                   np.full(shape, int(MoveKind.INACTIVE), dtype=np.int8),
                   np.full(shape, -1, dtype=np.int32), np.zeros(shape, dtype=bool))

    def cut(self, rows: int) -> "PlenaryRecords":
        """The first ``rows`` rounds (a finished run's records)."""
        return PlenaryRecords(self.ids, self.is_bloc, self.slots,
                              *(a[:rows] for a in (self.positions, self.capability,
                                                   self.salience, self.active, self.kind,
                                                   self.partner, self.clamped)))
