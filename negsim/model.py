"""The Mesa model: a negotiation run round by round.

``NegotiationModel`` owns the scenario, the issue x actor arrays the actors' preferences live in,
the bargaining rule and the records. Each ``step()`` is one bargaining round: apply the what-if
events scheduled for that round, let the rule move every actor at once, record, and check
convergence. Parameters are plain keywords so that Mesa's ``batch_run`` and ``SolaraViz`` can
build the model from a dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from .agents import MOVE_LABELS, Actor
from .convergence import IssueStatus, classify
from .errors import InputError, Problem
from .rules import get_rule
from .rules.base import BargainingState, MoveKind, RoundOutcome, Rule
from .scenario import EventSpec, Scenario, load_scenario
from .stats import issue_stats

__all__ = ["NegotiationModel", "RunHistory", "DEFAULT_CASE", "resolve_case"]

DEFAULT_CASE = Path(__file__).resolve().parent.parent / "scenarios" / "nato_russia_2022.yaml"


def resolve_case(case: Scenario | str | Path | None,
                 overrides: Mapping[str, Any] | Iterable[str] | None = None) -> Scenario:
    """A validated scenario from a Scenario, a file path or None (the flagship scenario)."""
    if case is None:
        case = DEFAULT_CASE
    if isinstance(case, Scenario):
        return case.replace(overrides) if overrides else case
    return load_scenario(case, overrides)


class RunHistory:
    """Per-round records of one run, appended by the model (round 0 is the input)."""

    def __init__(self, record_pairs: bool) -> None:
        self.record_pairs = record_pairs
        self.positions: list[np.ndarray] = []
        #: positions at the start of each round's bargaining (after that round's events)
        self.start: list[np.ndarray] = []
        self.active: list[np.ndarray] = []
        self.salience: list[np.ndarray] = []
        self.capability: list[np.ndarray] = []
        self.kind: list[np.ndarray] = []
        self.partner: list[np.ndarray] = []
        self.actor_info: dict[str, list[np.ndarray]] = {}
        self.pair_info: dict[str, list[np.ndarray]] = {}
        self.median: list[np.ndarray] = []
        self.mean: list[np.ndarray] = []
        self.dispersion: list[np.ndarray] = []
        self.max_move: list[np.ndarray] = []
        #: per round, the rule's forecast of every issue (see ``Rule.forecast``)
        self.forecast: list[np.ndarray] = []
        self.issue_info: dict[str, list[np.ndarray]] = {}
        self.events: list[tuple[int, str]] = []
        #: per round, the rule's own records (``RoundOutcome.log``); round 0 has none
        self.log: list[list[dict[str, Any]]] = []

    def append(self, model: "NegotiationModel", outcome: RoundOutcome | None,
               start: np.ndarray | None = None) -> None:
        m, n = model.positions.shape
        prev = self.positions[-1] if self.positions else None
        self.positions.append(model.positions.copy())
        self.start.append(self.positions[-1] if start is None else start)
        self.active.append(model.active.copy())
        self.salience.append(model.salience.copy())
        self.capability.append(model.capability.copy())
        w = model.capability * model.salience
        med, mean, disp = issue_stats(model.positions, w, model.active)
        self.median.append(med)
        self.mean.append(mean)
        self.dispersion.append(disp)
        own = None if outcome is None else outcome.outcome
        if own is not None:
            self.forecast.append(np.asarray(own, dtype=float).copy())
        else:
            self.forecast.append(mean.copy() if model.rule.forecast == "mean" else med.copy())
        for name, _ in model.rule.issue_info:
            value = None if outcome is None else outcome.issue_info.get(name)
            self.issue_info.setdefault(name, []).append(
                np.full(m, np.nan) if value is None else np.asarray(value, dtype=float).copy())
        if prev is None:
            self.max_move.append(np.full(m, np.inf))
        else:
            both = model.active & self.active[-2]
            self.max_move.append(np.where(both, np.abs(model.positions - prev), 0.0).max(axis=1))
        self.log.append([] if outcome is None else [{"round": len(self.positions) - 1, **rec}
                                                     for rec in outcome.log])
        if outcome is None:
            self.kind.append(np.where(model.active, MoveKind.HELD, MoveKind.INACTIVE)
                             .astype(np.int8))
            self.partner.append(np.full((m, n), -1, dtype=np.int32))
            for name in model.rule_info_names:
                self.actor_info.setdefault(name, []).append(np.full((m, n), np.nan))
            if self.record_pairs:
                for name in model.rule_pair_names:
                    self.pair_info.setdefault(name, []).append(np.full((m, n, n), np.nan))
            return
        self.kind.append(np.where(model.active, outcome.kind, MoveKind.INACTIVE).astype(np.int8))
        self.partner.append(np.where(model.active, outcome.partner, -1).astype(np.int32))
        for name in model.rule_info_names:
            value = outcome.actor_info.get(name)
            self.actor_info.setdefault(name, []).append(
                np.full((m, n), np.nan) if value is None else np.where(model.active, value, np.nan))
        if self.record_pairs:
            for name in model.rule_pair_names:
                value = outcome.pair_info.get(name)
                self.pair_info.setdefault(name, []).append(
                    np.full((m, n, n), np.nan) if value is None else np.asarray(value, dtype=float))

    def move_of(self, slot: int, k: int) -> dict[str, Any]:
        t = len(self.positions) - 1
        kind = MoveKind(int(self.kind[t][k, slot]))
        partner = int(self.partner[t][k, slot])
        before = self.start[t][k, slot]
        return {"round": t, "kind": kind.label, "partner": partner if partner >= 0 else None,
                "from": float(before), "to": float(self.positions[t][k, slot])}


class NegotiationModel(mesa.Model):
    """A negotiation among actors over one or more issues.

    Args:
        case: the scenario (a :class:`~negsim.scenario.Scenario`, a path to a scenario file, or
            None for the shipped NATO-Russia 2022 scenario). Not called ``scenario``: Mesa's own
            ``Model`` takes that keyword for its experimental Scenario class.
        rule: bargaining rule name (default: the scenario's ``model.rule``).
        rule_params: the rule's parameters; unspecified ones take the scenario's values when the
            rule is the scenario's own, else the rule's defaults.
        overrides: ``{"actors.germany.issues.I6.salience": 0.9, ...}``, applied to the scenario
            before the run (same paths as ``negsim run --set``).
        max_rounds, stop, tolerance, patience: override the scenario's model settings.
        record_pairs: also record the rule's pairwise diagnostics every round (the expected-
            utility rule's view from every actor); memory grows with actors squared.
        datacollector: keep Mesa's ``DataCollector`` (for ``batch_run``, ``SolaraViz`` and
            ``get_model_vars_dataframe``). negsim's own records (``model.history``, and the
            :class:`RunResult` built from them) are kept either way; ``negsim.run`` and sweeps
            switch the collector off for speed.
        rng: seed (int) or numpy Generator; None uses the scenario's ``model.seed`` so that runs
            are reproducible by default.
    """

    def __init__(self, *, case: Scenario | str | Path | None = None, rule: str | None = None,
                 rule_params: Mapping[str, Any] | None = None,
                 overrides: Mapping[str, Any] | None = None, max_rounds: int | None = None,
                 stop: str | None = None, tolerance: float | None = None,
                 patience: int | None = None, record_pairs: bool = False,
                 datacollector: bool = True,
                 rng: int | np.random.Generator | None = None) -> None:
        scenario = resolve_case(case, overrides)
        settings = scenario.model
        seed = settings.seed if rng is None else rng
        super().__init__(rng=seed)
        self.seed: int | None = int(seed) if isinstance(seed, (int, np.integer)) else None
        self.case = scenario

        self.rule: Rule = get_rule(rule or settings.rule)
        given = dict(settings.params) if self.rule.name == settings.rule else {}
        given.update(rule_params or {})
        self.params, errors = self.rule.resolve(given)
        problems = [Problem("rule_params", k, msg, v) for k, v, msg in errors]
        self.max_rounds = int(max_rounds if max_rounds is not None else settings.max_rounds)
        self.stop = stop if stop is not None else settings.stop
        self.tolerance = float(tolerance if tolerance is not None else settings.tolerance)
        self.patience = int(patience if patience is not None else settings.patience)
        self.move_tolerance = float(settings.move_tolerance)
        if self.stop not in ("auto", "never"):
            problems.append(Problem("stop", "", "must be auto or never", self.stop))
        if self.max_rounds < 1:
            problems.append(Problem("max_rounds", "", "must be at least 1", self.max_rounds))
        if problems:
            raise InputError(problems)
        if self.rule.one_shot:
            # a forecast rule has one round by definition, so a status holds after one round
            self.max_rounds = 1
            self.patience = 1

        arrays = scenario.arrays()
        self.issue_ids = arrays.issue_ids
        self.issue_index = {iid: k for k, iid in enumerate(self.issue_ids)}
        self.actor_ids = arrays.actor_ids
        self.actor_index = {aid: i for i, aid in enumerate(self.actor_ids)}
        self.positions = arrays.positions.copy()
        self.salience = arrays.salience.copy()
        self.capability = arrays.capability.copy()
        self.active = arrays.active.copy()
        self.low, self.high = arrays.low, arrays.high
        self.status_quo = arrays.status_quo
        self._has_stance = np.array([[iid in scenario.actor_spec(aid).issues
                                      for aid in self.actor_ids] for iid in self.issue_ids],
                                    dtype=bool).reshape(len(self.issue_ids), len(self.actor_ids))
        width = self.high - self.low
        self._tol = self.tolerance * width
        self._move_tol = self.move_tolerance * width
        self._events: dict[int, list[EventSpec]] = {}
        for ev in scenario.events:
            self._events.setdefault(ev.round, []).append(ev)
        self._last_event_round = max(self._events, default=0)

        self.actors: dict[str, Actor] = {}
        for aid in scenario.actor_ids:
            self._add_actor(aid)

        self.rule_info_names = [name for name, _ in self.rule.actor_info]
        self.rule_pair_names = [name for name, _ in self.rule.pair_info]
        self._memo = (self.rule.init(self._state(0), self.params) if self.rule.init else {})
        self.history = RunHistory(record_pairs)
        self.history.append(self, None)
        # Exact repeats of a state, for reusing recorded outcomes (see Rule.markov). Issues that
        # an issue-by-issue rule bargains separately repeat separately; a multidimensional
        # rule's issues form one group.
        m = len(self.issue_ids)
        self._reuse = self.rule.markov and not self.rule.stochastic
        per_issue = not self.rule.multidimensional and all(
            isinstance(v, np.ndarray) and v.shape[:1] == (m,) for v in self._memo.values())
        self._groups = [[k] for k in range(m)] if per_issue else [list(range(m))]
        self._seen: list[dict[bytes, int]] = [{} for _ in self._groups]
        self._period = np.zeros(m, dtype=int)      # per issue; 0 = not repeating (yet)
        self._remember_state(0)
        self.statuses: list[IssueStatus] = self._classify()
        self.datacollector = self._make_datacollector() if datacollector else None
        self.running = True
        self.rule_finished = False
        if self.datacollector is not None:
            self.datacollector.collect(self)

    # -- Mesa plumbing ---------------------------------------------------------------------
    @property
    def round(self) -> int:
        """The current round: 0 before the first step, t after step t."""
        return int(self.time)

    def _make_datacollector(self) -> mesa.DataCollector:
        model_reporters: dict[str, Any] = {"round": "round"}
        for k, iid in enumerate(self.issue_ids):
            model_reporters[f"forecast[{iid}]"] = \
                lambda mdl, k=k: float(mdl.history.forecast[-1][k])
            model_reporters[f"median[{iid}]"] = lambda mdl, k=k: float(mdl.history.median[-1][k])
            model_reporters[f"mean[{iid}]"] = lambda mdl, k=k: float(mdl.history.mean[-1][k])
            model_reporters[f"dispersion[{iid}]"] = \
                lambda mdl, k=k: float(mdl.history.dispersion[-1][k])
            model_reporters[f"status[{iid}]"] = lambda mdl, k=k: mdl.statuses[k].status
        agent_reporters: dict[str, Any] = {"actor": "actor_id", "bloc": "bloc"}
        for k, iid in enumerate(self.issue_ids):
            agent_reporters[f"position[{iid}]"] = \
                lambda a, k=k: float(a.model.positions[k, a.slot]) if a.model.active[k, a.slot] \
                else None
            agent_reporters[f"move[{iid}]"] = \
                lambda a, k=k: MOVE_LABELS[int(a.model.history.kind[-1][k, a.slot])]
        return mesa.DataCollector(model_reporters=model_reporters, agent_reporters=agent_reporters)

    def _add_actor(self, actor_id: str) -> Actor:
        spec = self.case.actor_spec(actor_id)
        slot = self.actor_index[actor_id]
        agent = Actor(self, actor_id, slot, spec.name or actor_id, spec.bloc)
        self.actors[actor_id] = agent
        return agent

    def _state(self, t: int) -> BargainingState:
        return BargainingState(self.positions, self.salience, self.capability, self.active,
                               self.low, self.high, t, getattr(self, "_memo", {}),
                               self.status_quo)

    # -- one round --------------------------------------------------------------------------
    def _apply_events(self, t: int) -> np.ndarray:
        """Apply round ``t``'s events; return the positions bargaining starts from."""
        if t not in self._events:
            return self.history.positions[-1]
        for ev in self._events[t]:
            if ev.add is not None:
                slot = self.actor_index[ev.add.id]
                self.active[:, slot] = self._has_stance[:, slot]
                self._add_actor(ev.add.id)
            elif ev.remove is not None:
                slot = self.actor_index[ev.remove]
                self.active[:, slot] = False
                agent = self.actors.pop(ev.remove, None)
                if agent is not None:
                    agent.remove()
            else:
                slot = self.actor_index[ev.actor]  # type: ignore[index]
                ks = [self.issue_index[ev.issue]] if ev.issue else list(range(len(self.issue_ids)))
                for k in ks:
                    if ev.capability is not None:
                        self.capability[k, slot] = ev.capability
                    if ev.position is not None:
                        self.positions[k, slot] = ev.position
                    if ev.salience is not None:
                        self.salience[k, slot] = ev.salience
                    if ev.position is not None and ev.salience is not None:
                        self._has_stance[k, slot] = True
                        self.active[k, slot] = ev.actor in self.actors
            self.history.events.append((t, ev.describe()))
        return self.positions.copy()

    def _remember_state(self, t: int) -> None:
        """Note the state after round t. If a group of issues is in the state it had after round
        s, every later round t + k of that group has the outcome of round s + k (the rule is
        deterministic and Markov and no event remains), so its outcomes are reused."""
        if not self._reuse or t < self._last_event_round:
            return
        for g, ks in enumerate(self._groups):
            if self._period[ks[0]]:
                continue
            key = (np.where(self.active[ks], self.positions[ks], 0.0).tobytes()
                   + self.active[ks].tobytes())
            s = self._seen[g].setdefault(key, t)
            if s != t:
                self._period[ks] = t - s
                self._seen[g] = {}

    def _outcome(self, t: int) -> RoundOutcome:
        """Round t's outcome: recorded rows for repeating issues, the rule for the others."""
        live = np.flatnonzero(self._period == 0)
        m = len(self.issue_ids)
        if live.size == m:
            return self.rule.step(self._state(t), self.params, self.rng)
        h = self.history
        src = t - self._period                              # the round each issue repeats
        rows = np.arange(m)

        def recorded(series: list[np.ndarray]) -> np.ndarray:
            return np.stack([series[src[k]][k] if self._period[k] else series[-1][k]
                             for k in rows])

        # a rule's own records repeat with the state they came from (whole-state repeats only)
        whole = h.log[src[0]] if live.size == 0 else []
        out = RoundOutcome(positions=recorded(h.positions), kind=recorded(h.kind),
                           partner=recorded(h.partner),
                           log=[{k: v for k, v in r.items() if k != "round"} for r in whole],
                           outcome=None if live.size else h.forecast[src[0]].copy(),
                           issue_info={name: recorded(v) for name, v in h.issue_info.items()},
                           actor_info={name: recorded(v) for name, v in h.actor_info.items()},
                           pair_info={name: recorded(v) for name, v in h.pair_info.items()})
        if live.size:
            memo = {key: np.asarray(v)[live] for key, v in self._memo.items()}
            sub_state = BargainingState(self.positions[live], self.salience[live],
                                        self.capability[live], self.active[live],
                                        self.low[live], self.high[live], t, memo,
                                        self.status_quo[live])
            sub = self.rule.step(sub_state, self.params, self.rng)
            for key, v in sub_state.memo.items():
                self._memo[key][live] = v
            out.positions[live] = sub.positions
            out.kind[live] = sub.kind
            out.partner[live] = sub.partner
            for name in out.actor_info:
                if name in sub.actor_info:
                    out.actor_info[name][live] = sub.actor_info[name]
            for name in out.pair_info:
                if name in sub.pair_info:
                    out.pair_info[name][live] = sub.pair_info[name]
            for name in out.issue_info:
                if name in sub.issue_info:
                    out.issue_info[name][live] = sub.issue_info[name]
            if sub.outcome is not None:
                out.outcome = recorded(h.forecast)
                out.outcome[live] = sub.outcome
            out.log = list(sub.log)
        return out

    def step(self) -> None:
        """One bargaining round: events, the rule's simultaneous moves, records, convergence."""
        t = self.round
        start = self._apply_events(t)
        outcome = self._outcome(t)
        new = np.clip(np.asarray(outcome.positions, dtype=float), self.low[:, None],
                      self.high[:, None])
        if not np.all(np.isfinite(new[self.active])):
            raise FloatingPointError(f"rule {self.rule.name!r} produced a non-finite position "
                                     f"in round {t}")
        self.positions[:] = np.where(self.active, new, self.positions)
        self.history.append(self, outcome, start)
        self._remember_state(t)
        self.statuses = self._classify()
        self.rule_finished = bool(outcome.finished)
        if t >= self.max_rounds or (self.stop == "auto" and t >= self._last_event_round
                                    and (self.rule_finished
                                         or all(s.settled for s in self.statuses))):
            self.running = False
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def _classify(self) -> list[IssueStatus]:
        h = self.history
        # Only the trailing `patience` rounds decide a status; `since` needs the whole run only
        # for settled issues, and how unsettled issues move is described at the end.
        return classify(np.array(h.dispersion), np.array(h.max_move), self._tol, self._move_tol,
                        self.patience, detail=False)

    def run(self) -> "RunResult":
        """Step until the stopping rule says so; return the :class:`~negsim.result.RunResult`."""
        while self.running:
            self.step()
        return self.result()

    def result(self) -> "RunResult":
        from .result import RunResult

        return RunResult.from_model(self)


from .result import RunResult  # noqa: E402  (re-exported for type hints)
