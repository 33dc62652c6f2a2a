"""The Mesa model: a negotiation run round by round, as a conventional ``mesa.Model``.

``NegotiationModel`` is what users build and step: keyword parameters (so that Mesa's
``batch_run`` and ``SolaraViz`` can build it from a dict), ``rng=`` passed to Mesa, ``Actor``
agents holding live views of the preferences, and a ``DataCollector`` with named reporters.
The bargaining itself lives in the engine (:class:`negsim.engine.Negotiation`), which the
model owns and steps; the engine's arrays, records and statuses are the model's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from .agents import MOVE_LABELS, Actor
from .engine import DEFAULT_CASE, Negotiation, resolve_case
from .records import RunHistory

if TYPE_CHECKING:  # pragma: no cover
    from .result import RunResult
    from .scenario import Scenario

__all__ = ["NegotiationModel", "RunHistory", "DEFAULT_CASE", "resolve_case"]


class NegotiationModel(mesa.Model):
    """A negotiation among actors over one or more issues.

    Args:
        case: the scenario (a :class:`~negsim.scenario.Scenario`, a path to a scenario file, the
            name of a shipped scenario, or None for the NATO-Russia 2022 flagship). Not called
            ``scenario``: Mesa's own ``Model`` takes that keyword for its experimental Scenario.
        rule, rule_params, overrides, max_rounds, stop, tolerance, patience, record_pairs,
        start: as for :class:`~negsim.engine.Negotiation`.
        datacollector: keep Mesa's ``DataCollector`` (for ``batch_run``, ``SolaraViz`` and
            ``get_model_vars_dataframe``). negsim's own records (``model.history``, and the
            :class:`RunResult` built from them) are kept either way and are identical.
        rng: seed (int) or numpy Generator; None uses the scenario's ``model.seed`` so that runs
            are reproducible by default.
    """

    def __init__(self, *, case: "Scenario | str | Path | None" = None, rule: str | None = None,
                 rule_params: Mapping[str, Any] | None = None,
                 overrides: Mapping[str, Any] | None = None, max_rounds: int | None = None,
                 stop: str | None = None, tolerance: float | None = None,
                 patience: int | None = None, record_pairs: bool = False,
                 datacollector: bool = True,
                 rng: int | np.random.Generator | None = None, start: Any = None) -> None:
        scenario = resolve_case(case, overrides)
        seed = scenario.model.seed if rng is None else rng
        super().__init__(rng=seed)
        self.engine = Negotiation(case=scenario, rule=rule, rule_params=rule_params,
                                  max_rounds=max_rounds, stop=stop, tolerance=tolerance,
                                  patience=patience, record_pairs=record_pairs, rng=seed,
                                  start=start, generator=self.rng)
        self.actors: dict[str, Actor] = {}
        self._sync_agents()
        self.datacollector = self._make_datacollector() if datacollector else None
        self.running = self.engine.running
        if self.datacollector is not None:
            self.datacollector.collect(self)

    # -- the engine's state, as the model's ----------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        # Everything the engine knows (positions, salience, capability, active, history,
        # statuses, rule, params, issue_ids, actor_ids, institutions, ...) reads through.
        engine = self.__dict__.get("engine")
        if engine is None:
            raise AttributeError(name)
        return getattr(engine, name)

    @property
    def round(self) -> int:
        """The current round: 0 before the first step, t after step t."""
        return int(self.time)

    @property
    def case(self) -> "Scenario":
        return self.engine.case

    # -- Mesa plumbing ---------------------------------------------------------------------
    def _sync_agents(self) -> None:
        """One Actor per actor at the table: agents join and leave with the events."""
        present = set(self.engine.present)
        for aid in list(self.actors):
            if aid not in present:
                self.actors.pop(aid).remove()
        for aid in self.engine.present:
            if aid not in self.actors:
                spec = self.engine.case.actor_spec(aid)
                self.actors[aid] = Actor(self, aid, self.engine.actor_index[aid],
                                         spec.name or aid, spec.bloc)

    def _make_datacollector(self) -> mesa.DataCollector:
        h = self.engine.history
        model_reporters: dict[str, Any] = {"round": "round"}
        for k, iid in enumerate(self.engine.issue_ids):
            model_reporters[f"forecast[{iid}]"] = lambda mdl, k=k: float(h.forecast[h.rounds, k])
            model_reporters[f"median[{iid}]"] = lambda mdl, k=k: float(h.median[h.rounds, k])
            model_reporters[f"mean[{iid}]"] = lambda mdl, k=k: float(h.mean[h.rounds, k])
            model_reporters[f"dispersion[{iid}]"] = \
                lambda mdl, k=k: float(h.dispersion[h.rounds, k])
            model_reporters[f"status[{iid}]"] = lambda mdl, k=k: mdl.statuses[k].status
        agent_reporters: dict[str, Any] = {"actor": "actor_id", "bloc": "bloc"}
        for k, iid in enumerate(self.engine.issue_ids):
            agent_reporters[f"position[{iid}]"] = \
                lambda a, k=k: float(a.model.positions[k, a.slot]) if a.model.active[k, a.slot] \
                else None
            agent_reporters[f"move[{iid}]"] = \
                lambda a, k=k: MOVE_LABELS[int(h.kind[h.rounds, k, a.slot])]
        return mesa.DataCollector(model_reporters=model_reporters, agent_reporters=agent_reporters)

    # -- one round --------------------------------------------------------------------------
    def step(self) -> None:
        """One bargaining round (the engine's), then the agents and the DataCollector."""
        self.engine.step()
        self._sync_agents()
        self.running = self.engine.running
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def run(self) -> "RunResult":
        """Step until the stopping rule says so; return the :class:`~negsim.result.RunResult`."""
        while self.running:
            self.step()
        return self.result()

    def result(self) -> "RunResult":
        return self.engine.result()
