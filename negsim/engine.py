"""The engine: a negotiation run round by round, with no Mesa in it.

:class:`Negotiation` owns the scenario, the issue x actor arrays the actors' preferences live in
and the bargaining rule. Mesa's :class:`~negsim.model.NegotiationModel` is a thin layer over it
(agents, the DataCollector, Mesa's clock); the command line, sweeps, comparisons and back-tests
drive the engine directly, so that a run does not pay for importing Mesa. Each ``step()`` is one
bargaining round: apply the what-if events
scheduled for that round, let the rule move every actor at once (inside blocs first, then among
blocs and the others, when the scenario has institutions: :mod:`negsim.levels`), judge what the
institutions make of the outcome, hand the new state to the records (:mod:`negsim.records`) and
update the convergence statuses.

Stopping (``stop="auto"``): when every issue has settled (consensus or deadlock held for
``patience`` rounds), when the rule's own stopping rule says so, or when a deterministic rule's
whole state repeats an earlier state with no event left to come: the run then goes round the
same cycle for ever, so it ends there and each issue records the cycle's length and the round it
began (``unsettled: cycle of N from round s``). ``stop="never"`` plays every round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._reuse import SameArrays
from .convergence import IssueStatus, StatusTracker
from .errors import InputError, Problem
from .records import RunHistory
from .rules import get_rule
from .rules.base import BargainingState, RoundOutcome, Rule
from .scenario import MAX_ROUNDS, EventSpec, Scenario, load_scenario

if TYPE_CHECKING:  # pragma: no cover
    from .result import RunResult

__all__ = ["Negotiation", "RunHistory", "DEFAULT_CASE", "resolve_case", "make_rng"]


def _default_case() -> Path:
    from .catalog import scenario_path

    return scenario_path("nato_russia_2022")


DEFAULT_CASE = None  #: the flagship; resolved lazily by :func:`resolve_case`


def resolve_case(case: Scenario | str | Path | None,
                 overrides: Mapping[str, Any] | Iterable[str] | None = None) -> Scenario:
    """A validated scenario from a Scenario, a file path, a shipped scenario's name or None
    (the flagship scenario)."""
    if case is None:
        case = _default_case()
    if isinstance(case, Scenario):
        return case.replace(overrides) if overrides else case
    from .catalog import resolve_path

    return load_scenario(resolve_path(case), overrides)


def _kernel(rule: str, actors: int) -> str:
    """The kernel backend a run of ``rule`` used (``numpy`` for rules with only one)."""
    if rule == "exchange":
        from .rules.exchange import uses_compiled_loop

        return "fused" if uses_compiled_loop(actors) else "numpy"
    if rule not in ("eum", "smp"):
        return "numpy"
    from .rules import kernels

    return kernels.backend(actors)


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """The run's generator exactly as Mesa's ``Model(rng=seed)`` makes it: ``default_rng(seed)``,
    and for anything but an integer seed one draw spent on Mesa's stdlib seed, so that the
    engine alone and the Mesa model give identical runs."""
    rng = np.random.default_rng(seed)
    if not isinstance(seed, (int, np.integer)):
        rng.integers(np.iinfo(np.int32).max)
    return rng


class Negotiation:
    """A negotiation among actors over one or more issues (the engine; see the module docstring;
    :class:`~negsim.model.NegotiationModel` takes the same arguments).

    Args:
        case: the scenario (a :class:`~negsim.scenario.Scenario`, a path to a scenario file, the
            name of a shipped scenario, or None for the NATO-Russia 2022 flagship). Not called
            ``scenario``: Mesa's own ``Model`` takes that keyword for its experimental Scenario.
        rule: bargaining rule name (default: the scenario's ``model.rule``).
        rule_params: the rule's parameters; unspecified ones take the scenario's values when the
            rule is the scenario's own, else the rule's defaults.
        overrides: ``{"actors.germany.issues.I6.salience": 0.9, ...}``, applied to the scenario
            before the run (same paths as ``negsim run --set``).
        max_rounds, stop, tolerance, patience: override the scenario's model settings.
        record_pairs: also record the rule's pairwise diagnostics every round (the expected-
            utility rule's view from every actor); memory grows with actors squared.
        rng: seed (int) or numpy Generator; None uses the scenario's ``model.seed`` so that runs
            are reproducible by default.
        generator: (the Mesa model) the generator already made from ``rng``.
        start: (advanced) the start arrays (:class:`~negsim.scenario.ScenarioArrays`) of
            ``case`` with already-checked numeric changes applied; the sweep executor uses it
            to skip re-validating the scenario for every run. ``result().scenario`` is then
            ``case`` as given.
    """

    def __init__(self, *, case: Scenario | str | Path | None = None, rule: str | None = None,
                 rule_params: Mapping[str, Any] | None = None,
                 overrides: Mapping[str, Any] | None = None, max_rounds: int | None = None,
                 stop: str | None = None, tolerance: float | None = None,
                 patience: int | None = None, record_pairs: bool = False,
                 rng: int | np.random.Generator | None = None,
                 start: Any = None, generator: np.random.Generator | None = None) -> None:
        scenario = resolve_case(case, overrides)
        settings = scenario.model
        seed = settings.seed if rng is None else rng
        self.rng = generator if generator is not None else make_rng(seed)
        self.round = 0
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
        if not 1 <= self.max_rounds <= MAX_ROUNDS:
            problems.append(Problem("max_rounds", "", f"must be between 1 and {MAX_ROUNDS}",
                                    self.max_rounds))
        if problems:
            raise InputError(problems)
        if self.rule.one_shot:
            # a forecast rule has one round by definition, so a status holds after one round
            self.max_rounds = 1
            self.patience = 1

        arrays = start if start is not None else scenario.arrays()
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
        self._has_stance = arrays.stance.copy()
        width = self.high - self.low
        self._tol = self.tolerance * width
        self._move_tol = self.move_tolerance * width
        self._events: dict[int, list[EventSpec]] = {}
        for ev in scenario.events:
            self._events.setdefault(ev.round, []).append(ev)
        self._last_event_round = max(self._events, default=0)

        #: actors at the table, in scenario order (events add and remove them)
        self.present: list[str] = list(scenario.actor_ids)

        m, n = self.positions.shape
        self.history = RunHistory(
            m, n, self.max_rounds + 1, actor_info=[name for name, _ in self.rule.actor_info],
            pair_info=[name for name, _ in self.rule.pair_info],
            issue_info=[name for name, _ in self.rule.issue_info], record_pairs=record_pairs)
        self.record_pairs = record_pairs
        self._apply_events(0)       # round-0 events change the start state itself

        # institutions: compiled always (the procedural rule and `negsim agree` read them);
        # they shape runs when the scenario asks for it (model.institutions)
        from .institutions import Institutions

        self.institutions = Institutions.from_scenario(scenario, self.actor_ids)
        self.uses_institutions = scenario.has_institutions
        self.levels = None
        if self.uses_institutions and self.institutions.blocs and not self.rule.institutional:
            from .levels import TwoLevel

            self.levels = TwoLevel(self.institutions, self.rule, self.params, self.positions,
                                   self.salience, self.capability, self.active, self.low,
                                   self.high, self.max_rounds + 1)
            self.history.plenary = self.levels.records

        self._zones = SameArrays()      # the zones of the last state judged (see _judge)
        self._memo = (self.rule.init(self._state(0), self.params) if self.rule.init else {})
        self._record(None, None)
        # Exact repeats of a state, for reusing recorded outcomes (see Rule.markov) and for
        # ending a run that cycles. Issues that an issue-by-issue rule bargains separately
        # repeat separately; a multidimensional rule's issues form one group; a two-level run
        # repeats only as a whole and reuses nothing.
        self._deterministic = self.rule.markov and not self.rule.is_stochastic(self.params)
        self._reuse = self._deterministic and self.levels is None
        # a two-level run of an issue-by-issue rule is separable by issue too (its caucus,
        # plenary and bloc positions are per issue), so its issues repeat one by one
        memos = [self._memo] + ([] if self.levels is None else
                                [*self.levels.memo_caucus, self.levels.memo_plenary])
        per_issue = not self.rule.multidimensional and all(
            isinstance(v, np.ndarray) and v.shape[:1] == (m,) for memo in memos
            for v in memo.values())
        self._groups = [[k] for k in range(m)] if per_issue else [list(range(m))]
        self._seen: list[dict[bytes, int]] = [{} for _ in self._groups]
        self._period = np.zeros(m, dtype=int)      # per issue; 0 = not repeating (yet)
        self._cycle_from = np.full(m, -1)
        self._remember_state(0)
        self._tracker = StatusTracker(self._tol, self._move_tol, self.patience)
        self._tracker.update(self.history.dispersion[0], None)
        self.statuses: list[IssueStatus] = self._tracker.statuses()
        self.running = True
        self.rule_finished = False
        self.stop_reason = ""

    # -- who is at the table -------------------------------------------------------------
    def _add_actor(self, actor_id: str) -> None:
        self.present.append(actor_id)

    def _remove_actor(self, actor_id: str) -> None:
        if actor_id in self.present:
            self.present.remove(actor_id)

    def _state(self, t: int) -> BargainingState:
        return BargainingState(self.positions, self.salience, self.capability, self.active,
                               self.low, self.high, t, getattr(self, "_memo", {}),
                               self.status_quo, self.institutions)

    # -- events ------------------------------------------------------------------------------
    def _apply_events(self, t: int) -> np.ndarray | None:
        """Apply round ``t``'s events; return the positions bargaining starts from (None:
        unchanged since the last round)."""
        if t not in self._events:
            return None
        for ev in self._events[t]:
            if ev.add is not None:
                slot = self.actor_index[ev.add.id]
                self.active[:, slot] = self._has_stance[:, slot]
                self._add_actor(ev.add.id)
            elif ev.remove is not None:
                slot = self.actor_index[ev.remove]
                self.active[:, slot] = False
                self._remove_actor(ev.remove)
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
                        self.active[k, slot] = ev.actor in self.present
            self.history.events.append((t, ev.describe(self.case)))
        return self.positions.copy()

    # -- repeats -------------------------------------------------------------------------------
    def _remember_state(self, t: int) -> None:
        """Note the state after round t. If a group of issues is in the state it had after round
        s, every later round t + k of that group has the outcome of round s + k (the rule is
        deterministic and Markov and no event remains): its outcomes are reused, and the run
        is known to cycle with period t - s from round s."""
        if not self._deterministic or t < self._last_event_round:
            return
        for g, ks in enumerate(self._groups):
            if self._period[ks[0]]:
                continue
            key = (np.where(self.active[ks], self.positions[ks], 0.0).tobytes()
                   + self.active[ks].tobytes()
                   + (self.levels.bloc_pos[ks].tobytes() if self.levels is not None else b""))
            s = self._seen[g].setdefault(key, t)
            if s != t:
                self._period[ks] = t - s
                self._cycle_from[ks] = s
                self._seen[g] = {}

    def _outcome(self, t: int) -> RoundOutcome:
        """Round t's outcome: recorded rows for repeating issues, the rule for the others."""
        live = np.flatnonzero(self._period == 0)
        m = len(self.issue_ids)
        if not self._reuse or live.size == m:
            return self.rule.step(self._state(t), self.params, self.rng)
        h = self.history
        # the round each issue's outcome is read from: the round it repeats for repeating
        # issues, the latest (overwritten below) for the others
        src = np.where(self._period > 0, t - self._period, h.rounds)
        rows = np.arange(m)

        def recorded(series: np.ndarray) -> np.ndarray:
            return series[src, rows].copy()

        # a rule's own records repeat with the state they came from (whole-state repeats only)
        whole = h.log[src[0]] if live.size == 0 else []
        out = RoundOutcome(positions=recorded(h.positions), kind=recorded(h.kind),
                           partner=recorded(h.partner),
                           log=[{k: v for k, v in r.items() if k != "round"} for r in whole
                                if r.get("kind") != "agreement"],
                           outcome=None,
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
            for store, part in ((out.actor_info, sub.actor_info), (out.pair_info, sub.pair_info),
                                (out.issue_info, sub.issue_info)):
                for name in store:
                    if name in part:
                        store[name][live] = part[name]
            if sub.outcome is not None:
                out.outcome = recorded(h.rule_outcome)
                out.outcome[live] = sub.outcome
            out.log = list(sub.log)
        else:
            # every issue repeats: the rule's own outcomes (if it gives them) repeat with them,
            # each issue from its own source round
            own = recorded(h.rule_outcome)
            out.outcome = own if np.isfinite(own).all() else None
        return out

    # -- one round --------------------------------------------------------------------------
    def _record(self, outcome: RoundOutcome | None, start: np.ndarray | None,
                plenary: Any = None) -> None:
        """Hand the state after a round (round 0: the start) to the records, with what the
        institutions make of it."""
        h = self.history
        stats = bargain = None
        if self.levels is not None:
            if plenary is None:
                stats, bargain = self.levels.opening_stats(self.positions, self.salience,
                                                           self.capability, self.active)
            else:
                stats, bargain = plenary.stats, plenary.forecast
        extra: list[dict[str, Any]] = []
        forecast = None
        if self.uses_institutions:
            from .stats import issue_stats

            if bargain is None:
                if outcome is not None and outcome.outcome is not None:
                    bargain = np.asarray(outcome.outcome, dtype=float)
                else:
                    med, mean, _ = issue_stats(self.positions, self.capability * self.salience,
                                               self.active)
                    bargain = mean if self.rule.forecast == "mean" else med
            # actors judge an outcome by the positions they hold; a one-shot forecast rule moves
            # everyone onto its forecast, so they judge it by where they started
            pref = start if (self.rule.one_shot and start is not None) else self.positions
            t = h.rounds + 1
            judged = self._judge(pref, bargain)
            h.agreement[t], h.zone[t], h.bargain[t] = judged.codes, judged.zone, bargain
            forecast = judged.decided
            previous = h.agreement[t - 1] if t > 0 else None
            extra = judged.log(previous, self.issue_ids)
        h.record(self.positions, self.active, self.salience, self.capability, outcome, start,
                 stats=stats, forecast=forecast, forecast_stat=self.rule.forecast,
                 extra_log=extra)
        if self.levels is not None and plenary is not None:
            h.max_move[h.rounds] = plenary.max_move
            self.levels.store(h.rounds, plenary, self.salience, self.capability, self.active)

    def _judge(self, pref: np.ndarray, bargain: np.ndarray) -> Any:
        """:func:`~negsim.institutions.judge` of this round. The zones depend only on the
        positions actors judge by, who takes part and the capabilities, so they are reused
        while those stay the same (a one-shot rule's round 1 judges by its opening again)."""
        from .institutions import judge, zones_at

        at = self._zones.get((pref, self.active, self.capability),
                             lambda: zones_at(self.institutions, pref, self.active,
                                              self.capability))
        return judge(self.institutions, pref, self.active, self.capability, self.salience,
                     bargain, at=at)

    def step(self) -> None:
        """One bargaining round: events, the rule's simultaneous moves, records, convergence."""
        self.round += 1
        t = self.round
        start = self._apply_events(t)
        before = self.positions.copy() if start is None else start
        plenary = None
        if self.levels is not None:
            outcome, plenary = self.levels.round(t, self.positions, self.salience,
                                                 self.capability, self.active, self.rng,
                                                 self.record_pairs)
        else:
            outcome = self._outcome(t)
        new = np.clip(np.asarray(outcome.positions, dtype=float), self.low[:, None],
                      self.high[:, None])
        if not np.all(np.isfinite(new[self.active])):
            raise FloatingPointError(f"rule {self.rule.name!r} produced a non-finite position "
                                     f"in round {t}")
        self.positions[:] = np.where(self.active, new, self.positions)
        self._record(outcome, before, plenary)
        self._remember_state(t)
        h = self.history
        self._tracker.update(h.dispersion[t], h.max_move[t])
        self.statuses = self._tracker.statuses()
        self.rule_finished = bool(outcome.finished)
        if t >= self.max_rounds:
            self.running, self.stop_reason = False, "round limit reached"
        elif self.stop == "auto" and t >= self._last_event_round:
            cycling = (self._period >= 2)
            settled = np.array([s.settled for s in self.statuses])
            if self.rule_finished:
                self.running, self.stop_reason = False, f"the {self.rule.name} rule's own " \
                                                        "stopping rule"
            elif settled.all():
                self.running, self.stop_reason = False, "all issues settled"
            elif (settled | cycling).all():
                self.running = False
                self.stop_reason = "the state repeats (a cycle): the outcome is known"
        if self.stop == "never" and not self.running:
            self.stop_reason = "fixed number of rounds"

    def run(self) -> "RunResult":
        """Step until the stopping rule says so; return the :class:`~negsim.result.RunResult`."""
        while self.running:
            self.step()
        return self.result()

    def cycles(self) -> dict[str, tuple[int, int]]:
        """Issues known to cycle: issue id -> (period, round the cycle began)."""
        return {iid: (int(self._period[k]), int(self._cycle_from[k]))
                for k, iid in enumerate(self.issue_ids) if self._period[k] >= 2}

    def result(self) -> "RunResult":
        from .result import RunResult

        settings = {"max_rounds": self.max_rounds, "stop": self.stop,
                    "stop_reason": self.stop_reason or ("still running" if self.running
                                                        else ""),
                    "rule_finished": self.rule_finished, "tolerance": self.tolerance,
                    "move_tolerance": self.move_tolerance, "patience": self.patience,
                    "institutions": self.uses_institutions,
                    "kernel": _kernel(self.rule.name, len(self.actor_ids)),
                    "levels": 2 if self.levels is not None else 1}
        return RunResult.from_history(self.history, scenario=self.case, rule=self.rule.name,
                                      params=dict(self.params), seed=self.seed,
                                      settings=settings, issue_ids=list(self.issue_ids),
                                      actor_ids=list(self.actor_ids), low=self.low,
                                      high=self.high, cycles=self.cycles())
