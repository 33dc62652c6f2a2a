"""The procedural (veto-player) model: an agenda setter proposes its best point in the win-set
of the status quo; the status quo stands when the win-set is empty.

One shot, issue by issue, on the scenario's institutions (``state.institutions``: the status
quo and the decision of every issue, the blocs and their rules; :mod:`negsim.institutions`):

1. The zone (win-set) of the status quo under the issue's decision: the outcomes every
   required party, under its own rule, prefers to the status quo (Tsebelis 2002, ch. 2). With
   ``amendment: unanimity`` the proposal must also lie within the voters' unanimity core
   ``[min, max]`` of their ideal points, because the voters could otherwise amend it
   unanimously (the Commission and the Council under consultation: Steunenberg 1994;
   Crombez 1996).
2. The proposer: the decision's ``agenda_setter`` when it takes part in the issue. With none
   (negsim's choice, documented): the capability x salience weighted mean of the voters' ideal
   points (``no_setter="compromise"``) or their weighted median (``"median"``), i.e. the
   bargaining point the voters would reach among themselves, held to what they can pass.
3. The outcome is the proposer's ideal point projected onto the (closed) zone: its best point
   there under any single-peaked symmetric utility. A setter that likes the status quo at
   least as well as that point does not propose (``gatekeeping``, Crombez 1996), and the
   status quo stands. An empty zone (the status quo in the core: gridlock) keeps the status
   quo.
4. Without a status quo there is no reversion point and so no win-set: the proposer's ideal
   projected onto the voters' unanimity core (documented fallback), so the rule still
   forecasts issues of scenarios that give none.

Voters are the decision's parties; a bloc party counts with its members (their ideal points,
capabilities and saliences). Positions of all participants are set to the outcome (move kind
``forecast``), as for the other one-shot rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..institutions import analyse_issue
from ..stats import weighted_mean, weighted_median
from . import register
from .base import BargainingState, MoveKind, Param, RoundOutcome, Rule

__all__ = ["RULE", "step", "voters"]


def voters(inst: Any, k: int, active: np.ndarray) -> np.ndarray:
    """Actor slots voting on issue ``k``: the decision's actor parties and its blocs' members."""
    out: list[int] = []
    for kind, idx in inst.decisions[k].parties:
        if kind == "actor":
            out.append(idx)
        else:
            out.extend(int(i) for i in inst.blocs[idx].members)
    slots = np.array(sorted(set(out)), dtype=int)
    return slots[active[k, slots]] if slots.size else slots


def step(state: BargainingState, params: Mapping[str, Any], rng: np.random.Generator
         ) -> RoundOutcome:
    """One-shot procedural forecast of every issue (module docstring)."""
    inst = state.institutions
    x, act = np.asarray(state.positions, dtype=float), np.asarray(state.active, dtype=bool)
    m = x.shape[0]
    w = state.capability * state.salience
    forecast = np.zeros(m)
    for k in range(m):
        if inst is None:        # no institutions at all: the weighted mean of everyone
            forecast[k] = weighted_mean(x[k], w[k], act[k])
            continue
        vs = voters(inst, k, act)
        if vs.size == 0:
            vs = np.flatnonzero(act[k])
        dec = inst.decisions[k]
        setter = dec.agenda_setter
        if setter is not None and act[k, setter]:
            ideal = x[k, setter]
        elif params["no_setter"] == "median":
            ideal = float(weighted_median(x[k, vs], w[k, vs]))
        else:
            ideal = float(weighted_mean(x[k, vs], w[k, vs]))
        core = (float(x[k, vs].min()), float(x[k, vs].max()))
        sq = float(inst.status_quo[k])
        if not np.isfinite(sq):
            forecast[k] = min(max(ideal, core[0]), core[1])
            continue
        zone = analyse_issue(inst, k, x, act, state.capability).zone
        if zone is None:
            forecast[k] = sq
            continue
        lo, hi = zone
        if dec.amendment == "unanimity":
            lo, hi = max(lo, core[0]), min(hi, core[1])
            if lo > hi:
                forecast[k] = sq
                continue
        proposal = min(max(ideal, lo), hi)
        if params["gatekeeping"] and setter is not None and act[k, setter] \
                and abs(sq - ideal) <= abs(proposal - ideal):
            proposal = sq
        forecast[k] = proposal
    pos = np.where(act, forecast[:, None], x)
    kind = np.where(act, MoveKind.FORECAST, MoveKind.INACTIVE).astype(np.int8)
    return RoundOutcome(positions=pos, kind=kind, partner=np.full(act.shape, -1, dtype=np.int32))


RULE = register(Rule(
    name="procedural",
    title="Procedural veto-player model (agenda setter in the win-set of the status quo)",
    description="One shot: the agenda setter proposes its best point among those every required "
                "party prefers to the status quo; the status quo stands when there is none.",
    citation="Tsebelis, G. (2002). Veto Players: How Political Institutions Work. Princeton UP. "
             "Steunenberg, B. (1994). Decision making under different institutional "
             "arrangements: legislation by the European Community. JITE 150(4), 642-669. "
             "Crombez, C. (1996). Legislative procedures in the European Community. BJPS 26(2), "
             "199-228. Steunenberg, B. & Selck, T. (2006). Testing procedural models of EU "
             "legislative decision-making. In Thomson et al. (eds.), The European Union "
             "Decides, ch. 3.",
    step=step,
    one_shot=True,
    institutional=True,
    params=(
        Param("no_setter", "compromise",
              "The proposal when the decision names no agenda setter: 'compromise' (the voters' "
              "capability x salience weighted mean) or 'median' (their weighted median), held "
              "to the zone.", choices=("compromise", "median")),
        Param("gatekeeping", True,
              "An agenda setter that likes the status quo at least as well as its best point in "
              "the zone makes no proposal (the status quo stands)."),
    ),
))
