"""Bargaining in two levels: a caucus inside each bloc, then a plenary among blocs and the other
actors (Putnam 1988; the operational version of ``docs/institutions.md``).

Any registered rule runs at both levels, unchanged: it is simply called on smaller arrays.

1. **Caucus.** For each bloc, the rule plays one round among the bloc's members only (their
   positions, saliences and capabilities); members never bargain with outsiders directly.
2. **Ratification set.** From the members' positions the bloc's acceptance set on each issue is
   computed under its internal rule (:func:`negsim.institutions.bloc_reach`): the closed
   interval from the status quo to the edge its most reluctant member (consensus) or its
   pivotal member (qmv) accepts; just the status quo when the members cannot agree on any
   change. That holds where the bloc's consent is required; on an issue decided without it
   but with some of its members as parties (the US on a US-Russia issue), the bloc is held by
   what all of those members accept; otherwise, and without a status quo, by the span of its
   members' positions.
3. **Tabled position.** Each bloc sits in the plenary as one participant at its tabled
   position: at the start, its broker's ideal point (the agenda setter: Tsebelis 2002, ch. 2),
   else its members' capability x salience weighted mean, projected onto the acceptance set; in
   later rounds, where the plenary left it, re-projected after the caucus.
4. **Plenary.** The rule plays one round among the blocs (capability: the members' total;
   salience: their capability-weighted mean) and the actors in no bloc (brokers take no part:
   they hold no capability of their own in the plenary). A bloc's new position is cut back to
   its acceptance set: consensus cannot carry it past its most reluctant member (the move is
   recorded as ``clamped``).

The issue statistics of a two-level run (forecast, mean, dispersion, largest move) are those of
the plenary. The rule keeps one memory per level (its ``init`` runs on each level's start).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._reuse import SameArrays
from .institutions import Institutions, bloc_reach
from .records import PlenaryRecords
from .rules.base import BargainingState, MoveKind, RoundOutcome, Rule
from .stats import issue_stats, weighted_mean

__all__ = ["TwoLevel", "PlenaryRound"]


@dataclass
class PlenaryRound:
    positions: np.ndarray       #: (m, p) after the round
    start: np.ndarray           #: (m, p) the tabled positions the round started from
    kind: np.ndarray
    partner: np.ndarray
    clamped: np.ndarray
    stats: tuple[np.ndarray, np.ndarray, np.ndarray]
    forecast: np.ndarray        #: (m,) the plenary's outcome (the rule's forecast)
    max_move: np.ndarray
    #: the plenary's saliences, capabilities and participation in the round
    salience: np.ndarray
    capability: np.ndarray
    active: np.ndarray


class TwoLevel:
    """The state a two-level run keeps besides the actors' own arrays."""

    def __init__(self, inst: Institutions, rule: Rule, params: dict[str, Any],
                 positions: np.ndarray, salience: np.ndarray, capability: np.ndarray,
                 active: np.ndarray, low: np.ndarray, high: np.ndarray, capacity: int) -> None:
        self.inst, self.rule, self.params = inst, rule, params
        self.low, self.high = low, high
        self.sq = inst.status_quo
        m, n = positions.shape
        self.blocs = [b for b in inst.blocs if b.members.size]
        in_bloc = {int(i) for b in self.blocs for i in b.members}
        brokers = inst.brokers()
        self.others = np.array([i for i in range(n) if i not in in_bloc and i not in brokers],
                               dtype=int)
        self.B = len(self.blocs)
        self._members = [set(int(i) for i in b.members) for b in self.blocs]
        # per bloc: the issues whose decision names it as a party, and on each issue the
        # members named as parties themselves (fixed for the run; see acceptance)
        n_of = {b.id: n for n, b in enumerate(inst.blocs)}
        self._consent = [(np.array([("bloc", n_of[b.id]) in d.parties for d in inst.decisions],
                                   dtype=bool),
                          [[int(i) for kind, i in d.parties if kind == "actor"
                            and int(i) in self._members[nb]] for d in inst.decisions])
                         for nb, b in enumerate(self.blocs)]
        ids = [b.id for b in self.blocs] + [inst.actor_ids[i] for i in self.others]
        is_bloc = np.array([True] * self.B + [False] * self.others.size)
        slots = np.concatenate([np.full(self.B, -1), self.others]).astype(int)
        self.records = PlenaryRecords.empty(ids, is_bloc, slots, m, capacity)
        # the last acceptance sets, and the opening's plenary (opening_stats reads it back)
        self._accepted, self._opening_plenary = SameArrays(), SameArrays()
        self.memo_caucus = [self._init(positions[:, b.members], salience[:, b.members],
                                       capability[:, b.members], active[:, b.members])
                            for b in self.blocs]
        lo, hi = self.acceptance(positions, active, capability)
        self.bloc_pos = np.clip(self._opening(positions, salience, capability, active), lo, hi)
        pos, sal, cap, act = self._opening_plenary.get(
            (positions, salience, capability, active),
            lambda: self.plenary_arrays(positions, salience, capability, active))
        self.memo_plenary = self._init(pos, sal, cap, act)
        self._store(0, pos, sal, cap, act, pos, np.where(act, MoveKind.HELD, MoveKind.INACTIVE),
                    np.full(act.shape, -1), np.zeros(act.shape, dtype=bool))

    # -- pieces -------------------------------------------------------------------------------
    def _init(self, pos, sal, cap, act) -> dict[str, Any]:
        if self.rule.init is None:
            return {}
        return self.rule.init(BargainingState(pos, sal, cap, act, self.low, self.high, 0, {},
                                              self.sq), self.params)

    def _opening(self, positions, salience, capability, active) -> np.ndarray:
        """Each bloc's first tabled position: its broker's ideal, else its members' mean."""
        m = positions.shape[0]
        out = np.zeros((m, self.B))
        for b, bloc in enumerate(self.blocs):
            M = bloc.members
            mean = weighted_mean(positions[:, M], capability[:, M] * salience[:, M],
                                 active[:, M])
            if bloc.broker is not None:
                here = active[:, bloc.broker]
                out[:, b] = np.where(here, positions[:, bloc.broker], mean)
            else:
                out[:, b] = mean
        return out

    def acceptance(self, positions: np.ndarray, active: np.ndarray, capability: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
        """(low, high), each (m, B): the closed set of points each bloc may table. Where the
        bloc's consent is required, what its members accept under its internal rule; where it
        is not but some members' own consent is (the US on a US-Russia issue), what all of
        those members accept; else (or without a status quo) the span of its members'
        positions."""
        return self._accepted.get((positions, active, capability),
                                  lambda: self._acceptance(positions, active, capability))

    def _acceptance(self, positions, active, capability):
        from .institutions import bloc_reaches

        m = positions.shape[0]
        lo = np.empty((m, self.B))
        hi = np.empty((m, self.B))
        reach = bloc_reaches(self.inst, positions, active, capability)
        n_of = {b.id: n for n, b in enumerate(self.inst.blocs)}
        sq = self.sq
        for b, bloc in enumerate(self.blocs):
            M = bloc.members
            a = active[:, M]
            xs = positions[:, M]
            here = a.any(axis=1)
            span_lo = np.where(here, np.where(a, xs, np.inf).min(axis=1), self.low)
            span_hi = np.where(here, np.where(a, xs, -np.inf).max(axis=1), self.high)
            r = reach[n_of[bloc.id]].copy()
            use_span = ~np.isfinite(sq) | ~here
            party, own_parties = self._consent[b]
            for k in np.flatnonzero(~use_span & ~party).tolist():
                own = [i for i in own_parties[k] if active[k, i]]
                if not own:
                    use_span[k] = True
                    continue
                v = 2.0 * (positions[k, own] - sq[k])
                v = np.where(np.abs(v) <= 1e-9 * (self.high[k] - self.low[k]), 0.0, v)
                r[k] = v.min() if (v > 0).all() else v.max() if (v < 0).all() else 0.0
            end = np.clip(np.nan_to_num(sq) + r, self.low, self.high)
            lo[:, b] = np.where(use_span, span_lo, np.minimum(sq, end))
            hi[:, b] = np.where(use_span, span_hi, np.maximum(sq, end))
        return lo, hi

    def plenary_arrays(self, positions, salience, capability, active):
        """Positions, saliences, capabilities and participation of the plenary (m, p)."""
        m = positions.shape[0]
        p = self.B + self.others.size
        pos, sal, cap = np.zeros((m, p)), np.zeros((m, p)), np.zeros((m, p))
        act = np.zeros((m, p), dtype=bool)
        for b, bloc in enumerate(self.blocs):
            M = bloc.members
            a = active[:, M]
            c = np.where(a, capability[:, M], 0.0)
            total = c.sum(axis=1)
            s = np.where(a, salience[:, M], 0.0)
            count = a.sum(axis=1)
            cap[:, b] = total
            sal[:, b] = np.where(total > 0, (c * s).sum(axis=1) / np.where(total > 0, total, 1),
                                 s.sum(axis=1) / np.maximum(count, 1))
            act[:, b] = a.any(axis=1)
            pos[:, b] = self.bloc_pos[:, b]
        o = self.others
        pos[:, self.B:], sal[:, self.B:] = positions[:, o], salience[:, o]
        cap[:, self.B:], act[:, self.B:] = capability[:, o], active[:, o]
        return pos, sal, cap, act

    def _store(self, t, pos, sal, cap, act, start, kind, partner, clamped) -> None:
        r = self.records
        r.positions[t], r.salience[t], r.capability[t], r.active[t] = pos, sal, cap, act
        r.kind[t], r.partner[t], r.clamped[t] = kind, partner, clamped

    # -- one round ------------------------------------------------------------------------------
    def round(self, t: int, positions: np.ndarray, salience: np.ndarray, capability: np.ndarray,
              active: np.ndarray, rng: np.random.Generator, record_pairs: bool
              ) -> tuple[RoundOutcome, PlenaryRound]:
        """Caucus in every bloc, then the plenary. Returns the actors' outcome (members' caucus
        moves, the others' plenary moves) and the plenary's."""
        rule, params = self.rule, self.params
        m, n = positions.shape
        new = positions.copy()
        kind = np.where(active, MoveKind.HELD, MoveKind.INACTIVE).astype(np.int8)
        partner = np.full((m, n), -1, dtype=np.int32)
        info = {name: np.full((m, n), np.nan) for name, _ in rule.actor_info}
        pairs = {name: np.full((m, n, n), np.nan) for name, _ in rule.pair_info} \
            if record_pairs else {}
        log: list[dict[str, Any]] = []
        for b, bloc in enumerate(self.blocs):
            M = bloc.members
            if not active[:, M].any():
                continue
            state = BargainingState(positions[:, M], salience[:, M], capability[:, M],
                                    active[:, M], self.low, self.high, t, self.memo_caucus[b],
                                    self.sq)
            out = rule.step(state, params, rng)
            a = active[:, M]
            new[:, M] = np.where(a, np.clip(out.positions, self.low[:, None],
                                            self.high[:, None]), positions[:, M])
            kind[:, M] = np.where(a, out.kind, MoveKind.INACTIVE)
            partner[:, M] = np.where(a & (out.partner >= 0), M[np.maximum(out.partner, 0)], -1)
            for name, arr in info.items():
                if name in out.actor_info:
                    arr[:, M] = np.where(a, out.actor_info[name], np.nan)
            for name, arr in pairs.items():
                if name in out.pair_info:
                    arr[:, M[:, None], M[None, :]] = out.pair_info[name]
            log += [_remap(rec, M, None, f"caucus:{bloc.id}") for rec in out.log]
        # the plenary, with every bloc's position re-ratified by its members after the caucus
        pref = positions if rule.one_shot else new
        lo, hi = self.acceptance(pref, active, capability)
        self.bloc_pos = np.clip(self.bloc_pos, lo, hi)
        pos, sal, cap, act = self.plenary_arrays(new, salience, capability, active)
        start = pos.copy()
        state = BargainingState(pos, sal, cap, act, self.low, self.high, t, self.memo_plenary,
                                self.sq)
        out = rule.step(state, params, rng)
        moved = np.clip(np.where(act, out.positions, pos), self.low[:, None], self.high[:, None])
        B = self.B
        cut = np.clip(moved[:, :B], lo, hi)
        clamped = np.zeros(act.shape, dtype=bool)
        clamped[:, :B] = act[:, :B] & (np.abs(cut - moved[:, :B]) > 1e-12)
        moved[:, :B] = cut
        self.bloc_pos = cut.copy()
        pl_kind = np.where(act, out.kind, MoveKind.INACTIVE).astype(np.int8)
        pl_partner = np.where(act, out.partner, -1).astype(np.int32)
        o = self.others
        new[:, o] = np.where(active[:, o], moved[:, B:], positions[:, o])
        kind[:, o] = pl_kind[:, B:]
        to_actor = np.concatenate([np.full(B, -1), o]).astype(np.int32)
        partner[:, o] = np.where(pl_partner[:, B:] >= 0, to_actor[np.maximum(pl_partner[:, B:], 0)],
                                 -1)
        for name, arr in info.items():
            if name in out.actor_info:
                arr[:, o] = np.where(active[:, o], out.actor_info[name][:, B:], np.nan)
        if pairs:
            self._plenary_pairs(pairs, out.pair_info, active)
        log += [_remap(rec, None, self.records.ids, "plenary") for rec in out.log]
        for b, bloc in enumerate(self.blocs):
            for k in np.flatnonzero(clamped[:, b]):
                log.append({"kind": "clamped", "level": "plenary", "bloc": bloc.id,
                            "issue": int(k), "wanted": float(out.positions[k, b]),
                            "held": float(cut[k, b])})
        w = cap * sal
        stats = issue_stats(moved, w, act)
        if out.outcome is not None:
            forecast = np.asarray(out.outcome, dtype=float)
        else:
            forecast = stats[1] if rule.forecast == "mean" else stats[0]
        max_move = np.where(act, np.abs(moved - start), 0.0).max(axis=1, initial=0.0)
        actor_out = RoundOutcome(positions=new, kind=kind, partner=partner, actor_info=info,
                                 pair_info=pairs, log=log, issue_info=out.issue_info,
                                 finished=out.finished)
        return actor_out, PlenaryRound(moved, start, pl_kind, pl_partner, clamped, stats,
                                       forecast, max_move, sal, cap, act)

    def _plenary_pairs(self, pairs: dict[str, np.ndarray], plenary: dict[str, np.ndarray],
                       active: np.ndarray) -> None:
        """Write the plenary's pairwise values into the actors' (m, n, n) pair arrays, which
        the caucus filled only between members of one bloc. In the plenary a bloc is one
        party, so a member's pair with an outsider (and the outsider's with the member) is its
        bloc's pair with that outsider: every member of NATO shows NATO's view of Russia.
        Member-member pairs across two blocs are the two blocs' pair. No entry is written
        twice: the caucus covers pairs inside one bloc, the plenary every other pair."""
        party = np.full(active.shape[1], -1, dtype=np.int64)   # plenary index of each actor
        for b, bloc in enumerate(self.blocs):
            party[bloc.members] = b
        party[self.others] = self.B + np.arange(self.others.size)
        slot = np.flatnonzero(party >= 0)
        P = party[slot]
        same_bloc = P[:, None] == P[None, :]   # one bloc (the caucus's), or an actor itself
        for name, arr in pairs.items():
            if name not in plenary:
                continue
            vals = plenary[name][:, P[:, None], P[None, :]]        # (m, s, s)
            sub = arr[:, slot[:, None], slot[None, :]]
            mask = ~same_bloc[None] & active[:, slot][:, :, None] & active[:, slot][:, None, :]
            arr[:, slot[:, None], slot[None, :]] = np.where(mask, vals, sub)

    def store(self, t: int, pr: PlenaryRound, salience, capability, active) -> None:
        self._store(t, pr.positions, pr.salience, pr.capability, pr.active, pr.start, pr.kind,
                    pr.partner, pr.clamped)

    def opening_stats(self, positions, salience, capability, active):
        """The plenary's issue statistics and forecast at the opening (round 0)."""
        pos, sal, cap, act = self._opening_plenary.get(
            (positions, salience, capability, active),
            lambda: self.plenary_arrays(positions, salience, capability, active))
        stats = issue_stats(pos, cap * sal, act)
        return stats, (stats[1] if self.rule.forecast == "mean" else stats[0])



def _remap(rec: dict[str, Any], members: np.ndarray | None, ids: list[str] | None,
           level: str) -> dict[str, Any]:
    """A rule's log record from a sub-game, with its actor indices ``i``/``j`` mapped to actor
    slots (caucus) and party ids added (``i_id``/``j_id``; plenary)."""
    out = {**rec, "level": level}
    for key in ("i", "j"):
        if key in rec and isinstance(rec[key], (int, np.integer)):
            idx = int(rec[key])
            if members is not None:
                out[key] = int(members[idx])
            elif ids is not None:
                out[key + "_id"] = ids[idx]
    return out
