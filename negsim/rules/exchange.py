"""Stokman & Van Oosten's position-exchange model (equal gain), with decide's dynamic extension and
the randomised variant REX, reproducing the public implementation ``decide-exchange-model``.

Actors trade positions across issues: an actor that cares little about issue p relative to q
moves its *voting position* on p toward a partner on the other side of the outcome, and the
partner moves on q in return. Every issue is mapped linearly onto 0..100 by its scale
(``state.low``/``state.high``), as decide maps its ``#M`` bounds, and mapped back for output;
gains are in salience x internal-scale points. One round (docs/exchange.md has the derivations
and the source of every choice):

1. Outcome ``O_d = sum_i c_id s_id x_id / D_d``, ``D_d = sum_i c_id s_id`` (active actors).
2. An actor is "left" on d if ``x <= O_d`` (within 1e-9; ties count as left), else "right". For
   every issue pair p < q (declaration order), every (right-right, left-left) and every
   (left-right, right-left) actor pair is a candidate. The actor with the lower ratio
   ``s_p / s_q`` (cross-multiplied, so zero saliences are safe) supplies p, the other supplies q.
3. Equal-gain rate ``dO_q / dO_p = (s_Ap + s_Bp) / (s_Aq + s_Bq)``; common gain
   ``G = s_Aq dO_q - s_Ap dO_p``. Size: the supplier of p moves all the way to its partner's
   position; if the partner would then overshoot on q, the partner moves all the way instead.
4. Outcome cap (decide's ``check_nbs``), supplier of q first: if the outcome, as the demander
   sees it (the round's start outcome plus the moves made toward this demander on this issue
   earlier in the round, decide's ``updates``), would cross the demander's position, the move
   is shrunk so the outcome lands on it; the other move follows from the rate; flagged
   ``capped``. ``outcome_cap="decide"`` reproduces decide, including its two quirks (an outcome
   already at or past the demander is not capped; the cap distance is measured with the
   supplier at its first recorded update); ``"strict"`` drops trades toward a demander the
   outcome has already reached; ``"off"`` has no cap.
5. Validity (decide's thresholds): ``1e-10 < |move| <= 100``, new position within [0, 100], gain
   > 1e-10 (checked before the cap, as decide does), and decide's move history per candidate
   side: all of its computed moves must have one sign and may not sum above 100.
6. Realisation: greedy by G. Exact ties (within 1e-9) are broken with the round's generator and
   logged. After each realised exchange, candidates with the same supplier on the same issue
   restart from its new voting position (moves accumulate), and candidates whose demander
   demands the same issue see the new position in their outcome; both are recomputed, invalid
   ones dropped.
7. Voting outcome (the forecast) from the voting positions; preference outcome from the start
   positions (``issue_info["preference"]``). Preference update (decide; not in the 1994 chapter):
   ``x' = x + (y - x)(0.1 + 0.4 (1 - s))`` for every actor-issue that supplied.

REX (Dijkstra, Van Assen, Stokman & Draaijer; ``variant="rex"``, ``p`` in [0, 1]): after the
equal-gain solution one of the two actors (each with probability 1/2) wins (probability 1/2) a
gain ``G + p z (G_max - G)`` or loses to ``G - p z G``, ``z ~ U(0, 1)``; ``G_max`` is its gain when
the partner's gain is 0 on the frontier of largest trades. The trade is re-solved on that
frontier (both moves within their limits and caps). Built from the concept, not from decide's
code; the draws are made once per candidate per round. Realisation order stays by G.

The realisation loop below is the reference. With numba, :func:`uses_compiled_loop` sends it
to the compiled loop of :mod:`._exchange_fused`, which gives identical results (ties are still
drawn here, with the round's generator, in the same order).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..stats import weighted_mean
from . import register
from .base import BargainingState, MoveKind, Param, RoundOutcome, Rule

__all__ = ["RULE", "step", "narrative", "uses_compiled_loop", "EPS", "MIN_MOVE", "MIN_GAIN"]

EPS = 1e-9        #: equal positions, outcomes and (tied) gains, on the internal 0-100 scale
MIN_MOVE = 1e-10  #: decide: a move must be larger than this (internal scale)
MIN_GAIN = 1e-10  #: decide: a gain must be larger than this


class _Candidates:
    """All candidate exchanges of one round as parallel arrays (A supplies issue ``ip`` to B, B
    supplies ``iq`` to A, ``ip < iq``), with decide's per-side move history."""

    def __init__(self, x: np.ndarray, s: np.ndarray, w: np.ndarray, D: np.ndarray,
                 act: np.ndarray, left: np.ndarray) -> None:
        m, n = x.shape
        A, B, P, Q = [], [], [], []
        for p in range(m):
            for q in range(p + 1, m):
                both = act[p] & act[q]
                lp, lq = left[p], left[q]
                for gi, gj in (((~lp) & (~lq), lp & lq), (lp & (~lq), (~lp) & lq)):
                    i, j = np.nonzero((both & gi)[:, None] & (both & gj)[None, :])
                    # the actor with the lower ratio s_p / s_q supplies p
                    i_sup = s[p, i] * s[q, j] < s[p, j] * s[q, i]
                    A.append(np.where(i_sup, i, j))
                    B.append(np.where(i_sup, j, i))
                    P.append(np.full(i.size, p))
                    Q.append(np.full(i.size, q))
        cat = (lambda v: np.concatenate(v).astype(np.intp)) if A else \
            (lambda v: np.zeros(0, dtype=np.intp))
        self.a, self.b, self.p, self.q = cat(A), cat(B), cat(P), cat(Q)
        a, b, p, q = self.a, self.b, self.p, self.q
        self.size = a.size
        self.sAp, self.sAq, self.sBp, self.sBq = s[p, a], s[q, a], s[p, b], s[q, b]
        self.wA, self.wB, self.Dp, self.Dq = w[p, a], w[q, b], D[p], D[q]
        self.xA, self.xB = x[p, a], x[q, b]           # suppliers' start-of-round positions
        self.tA, self.tB = x[p, b], x[q, a]           # the demanders' positions
        ok = (self.wA > 0) & (self.wB > 0) & (self.sAp + self.sBp > 0)
        self.rate = np.where(ok, (self.sAp + self.sBp)
                             / np.where(ok, self.sAq + self.sBq, 1.0), 1.0)
        self.usable = ok
        # keys: (issue, supplier) and (issue, demander) of each side
        self.supA, self.supB = p * n + a, q * n + b
        self.demA, self.demB = p * n + b, q * n + a
        K = self.size
        z = np.zeros(K)
        self.old_sum = {"A": z.copy(), "B": z.copy()}
        self.old_min = {"A": np.full(K, np.inf), "B": np.full(K, np.inf)}
        self.old_max = {"A": np.full(K, -np.inf), "B": np.full(K, -np.inf)}
        self.move = {"A": z.copy(), "B": z.copy()}
        self.start = {"A": self.xA.copy(), "B": self.xB.copy()}
        self.gain, self.gainA, self.gainB = z.copy(), z.copy(), z.copy()
        self.capA, self.capB = np.zeros(K, bool), np.zeros(K, bool)
        self.valid = np.zeros(K, bool)
        self.draws: np.ndarray | None = None

    def push_history(self, side: str, idx: np.ndarray) -> None:
        """decide keeps the move a side had when its supplier moved elsewhere (see module doc)."""
        mv = self.move[side][idx]
        self.old_sum[side][idx] += mv
        self.old_min[side][idx] = np.minimum(self.old_min[side][idx], mv)
        self.old_max[side][idx] = np.maximum(self.old_max[side][idx], mv)


class _Round:
    """The state of one round's realisation loop (internal 0-100 scale)."""

    def __init__(self, x: np.ndarray, s: np.ndarray, c: np.ndarray, act: np.ndarray,
                 params: Mapping[str, Any]) -> None:
        self.params = params
        self.x, self.s, self.act = x, s, act
        self.w = np.where(act, c * s, 0.0)
        self.D = self.w.sum(axis=1)
        self.O = weighted_mean(x, self.w, act)
        m, n = x.shape
        self.n = n
        self.vote = x.copy()
        self.first = np.full((m, n, n), np.nan)   # [issue, demander, supplier]: first update y
        self.U = np.zeros((m, n))                  # [issue, demander]: outcome shift seen
        left = act & (x <= self.O[:, None] + EPS)
        self.c = _Candidates(x, s, self.w, self.D, act, left)

    # -- one candidate side's view -------------------------------------------------------
    def _room(self, side: str, idx: np.ndarray) -> tuple[np.ndarray, ...]:
        """(distance to the demander, outcome room toward it, decide's stale room), for the
        ``side`` ("A" supplies p, "B" supplies q) of candidates ``idx``."""
        c = self.c
        if side == "A":
            k, sup, dem, w, Dk, x0, t = c.p[idx], c.a[idx], c.b[idx], c.wA[idx], c.Dp[idx], \
                c.xA[idx], c.tA[idx]
        else:
            k, sup, dem, w, Dk, x0, t = c.q[idx], c.b[idx], c.a[idx], c.wB[idx], c.Dq[idx], \
                c.xB[idx], c.tB[idx]
        start = self.vote[k, sup]
        Dk = np.where(Dk > 0, Dk, 1.0)
        first = self.first[k, dem, sup]
        has = ~np.isnan(first)
        own_first = np.where(has, (np.where(has, first, 0.0) - x0) * w / Dk, 0.0)
        own_now = (start - x0) * w / Dk
        base = self.O[k] + self.U[k, dem] - own_first
        o_true = base + own_now
        o_stale = base + np.where(has, own_first, own_now)
        direction = np.where(t > start, 1.0, -1.0)
        return start, np.abs(t - start), (t - o_true) * direction, np.abs(t - o_stale), direction

    def _valid_moves(self, side: str, idx: np.ndarray, move: np.ndarray,
                     start: np.ndarray) -> np.ndarray:
        c = self.c
        total = c.old_sum[side][idx] + move
        lo = np.minimum(c.old_min[side][idx], move)
        hi = np.maximum(c.old_max[side][idx], move)
        new = start + move
        return ((np.abs(move) > MIN_MOVE) & (np.abs(move) <= 100) & (new >= -EPS)
                & (new <= 100 + EPS) & (total <= 100) & (((lo < 0) & (hi < 0))
                                                         | ((lo > 0) & (hi > 0))))

    def compute(self, idx: np.ndarray) -> None:
        """(Re)compute candidates ``idx``: equal gain, size, cap, validity, REX."""
        if idx.size == 0:
            return
        c = self.c
        sA, distA, roomA, staleA, dirA = self._room("A", idx)
        sB, distB, roomB, staleB, dirB = self._room("B", idx)
        rate, wA, wB = c.rate[idx], c.wA[idx], c.wB[idx]
        Dp, Dq = np.where(c.Dp[idx] > 0, c.Dp[idx], 1.0), np.where(c.Dq[idx] > 0, c.Dq[idx], 1.0)
        wA_, wB_ = np.where(wA > 0, wA, 1.0), np.where(wB > 0, wB, 1.0)
        sAp, sAq = c.sAp[idx], c.sAq[idx]
        # 1. A moves all the way; if B would then overshoot, B moves all the way instead
        dP = distA * wA / Dp
        dQ = rate * dP
        mA = distA.copy()
        mB = dQ * Dq / wB_
        over = mB > distB
        dQ = np.where(over, distB * wB / Dq, dQ)
        dP = np.where(over, dQ / rate, dP)
        mA = np.where(over, dP * Dp / wA_, mA)
        mB = np.where(over, distB, mB)
        gain = np.abs(dQ * sAq - dP * sAp)
        ok = (c.usable[idx] & (gain >= MIN_GAIN)
              & self._valid_moves("A", idx, dirA * mA, sA)
              & self._valid_moves("B", idx, dirB * mB, sB))
        capA = np.zeros(idx.size, bool)
        capB = np.zeros(idx.size, bool)
        cap = self.params["outcome_cap"]
        if cap == "strict":
            ok &= (roomA > EPS) & (roomB > EPS)
        if cap != "off":
            # 2. the cap, supplier of q first (decide's order), measured from decide's view
            capB = ok & (roomB > EPS) & (roomB < dQ - EPS)
            if capB.any():
                dQ = np.where(capB, staleB, dQ)
                dP = np.where(capB, dQ / rate, dP)
            capA = ok & (roomA > EPS) & (roomA < dP - EPS)
            if capA.any():
                dP = np.where(capA, staleA, dP)
                dQ = np.where(capA, rate * dP, dQ)
            either = capA | capB
            if either.any():
                mA = np.where(either, dP * Dp / wA_, mA)
                mB = np.where(either, dQ * Dq / wB_, mB)
                gain = np.where(either, np.abs(dQ * sAq - dP * sAp), gain)
                ok &= (self._valid_moves("A", idx, dirA * mA, sA)
                       & self._valid_moves("B", idx, dirB * mB, sB))
        gA = gB = gain
        if self.params["variant"] == "rex" and self.params["p"] > 0 and c.draws is not None:
            fullP, fullQ = distA * wA / Dp, distB * wB / Dq
            capP = np.where((cap != "off") & (roomA > EPS), roomA, np.inf)
            capQ = np.where((cap != "off") & (roomB > EPS), roomB, np.inf)
            P, Q = np.minimum(fullP, capP), np.minimum(fullQ, capQ)
            newP, newQ, gA, gB = _rex(P, Q, sAp, sAq, c.sBp[idx], c.sBq[idx], gain,
                                      c.draws[idx], float(self.params["p"]))
            mA = np.where(newP >= fullP, distA, np.minimum(distA, newP * Dp / wA_))
            mB = np.where(newQ >= fullQ, distB, np.minimum(distB, newQ * Dq / wB_))
            rex_cap_A = (capP < fullP) & (newP >= capP * (1 - 1e-12))
            rex_cap_B = (capQ < fullQ) & (newQ >= capQ * (1 - 1e-12))
            capA, capB = rex_cap_A, rex_cap_B
            ok &= (self._valid_moves("A", idx, dirA * mA, sA)
                   & self._valid_moves("B", idx, dirB * mB, sB))
        c.move["A"][idx], c.move["B"][idx] = dirA * mA, dirB * mB
        c.start["A"][idx], c.start["B"][idx] = sA, sB
        c.gain[idx], c.gainA[idx], c.gainB[idx] = gain, gA, gB
        c.capA[idx], c.capB[idx] = capA, capB
        c.valid[idx] = ok


def _rex(P, Q, sAp, sAq, sBp, sBq, G, draws, p):
    """REX on the frontier of largest trades: right edge (P, b), b in [0, Q], then top edge
    (a, Q), a from P down to 0. A's gain ``sAq b - sAp a`` rises along it, B's ``sBp a - sBq b``
    falls. Returns the new outcome shifts (on p, on q) and both gains."""
    def point_for_gain(who_a: np.ndarray, g: np.ndarray):
        corner_a = sAq * Q - sAp * P
        corner_b = sBp * P - sBq * Q
        with np.errstate(divide="ignore", invalid="ignore"):
            a_right = np.clip((g + sAp * P) / np.where(sAq > 0, sAq, 1.0), 0.0, Q)
            a_top = np.clip((sAq * Q - g) / np.where(sAp > 0, sAp, 1.0), 0.0, P)
            b_right = np.clip((sBp * P - g) / np.where(sBq > 0, sBq, 1.0), 0.0, Q)
            b_top = np.clip((g + sBq * Q) / np.where(sBp > 0, sBp, 1.0), 0.0, P)
        on_right = np.where(who_a, g <= corner_a, g >= corner_b)
        dq = np.where(on_right, np.where(who_a, a_right, b_right), Q)
        dp = np.where(on_right, P, np.where(who_a, a_top, b_top))
        return dp, dq

    u, v, z = draws[:, 0], draws[:, 1], draws[:, 2]
    who_a = u < 0.5
    zp, zq = point_for_gain(~who_a, np.zeros_like(G))        # the partner's gain is zero
    gmax = np.where(who_a, sAq * zq - sAp * zp, sBp * zp - sBq * zq)
    target = np.where(v < 0.5, G + p * z * (gmax - G), G - p * z * G)
    dp, dq = point_for_gain(who_a, target)
    return dp, dq, sAq * dq - sAp * dp, sBp * dp - sBq * dq


#: Rounds with fewer candidates run the numpy loop even on the fused backend (compiling or
#: loading the loop costs more than it saves on a handful of exchanges).
FUSED_MIN_CANDIDATES = 64
#: With the ``auto`` kernel setting, scenarios of this many actors or more run the compiled
#: loop (experiments/bench_exchange.py: at 30 actors a numpy round costs about 50 ms, so the
#: 0.35 s of loading numba is repaid within a run).
AUTO_MIN_ACTORS = 24


def uses_compiled_loop(n: int) -> bool:
    """Whether a round of ``n`` actors runs the compiled loop (see :mod:`.kernels`; ``auto``
    also takes it from :data:`AUTO_MIN_ACTORS` actors)."""
    from . import kernels

    if kernels.setting() == "auto":
        return kernels.backend(n) == "fused" or (n >= AUTO_MIN_ACTORS
                                                 and kernels.numba_available())
    return kernels.setting() == "fused"


def _exchange_record(rnd: "_Round", k: int, order: int, x: np.ndarray) -> dict[str, Any]:
    """The log record of candidate ``k``, realised as exchange number ``order``."""
    cand = rnd.c
    a, b, p, q = int(cand.a[k]), int(cand.b[k]), int(cand.p[k]), int(cand.q[k])
    yA = cand.start["A"][k] + cand.move["A"][k]
    yB = cand.start["B"][k] + cand.move["B"][k]
    return {"kind": "exchange", "order": order, "gain": float(cand.gain[k]),
            "gain_i": float(cand.gainA[k]), "gain_j": float(cand.gainB[k]),
            "i": a, "p": p, "x_i": float(x[p, a]), "from_i": float(cand.start["A"][k]),
            "y_i": float(yA), "j": b, "q": q, "x_j": float(x[q, b]),
            "from_j": float(cand.start["B"][k]), "y_j": float(yB),
            "capped": bool(cand.capA[k] or cand.capB[k]),
            "capped_i": bool(cand.capA[k]), "capped_j": bool(cand.capB[k])}


def _realise_fused(rnd: "_Round", live: np.ndarray, partner: np.ndarray, gain_sum: np.ndarray,
                   x: np.ndarray, rng: np.random.Generator) -> list[dict[str, Any]]:
    """The greedy realisation loop in one compiled call (:mod:`._exchange_fused`), returning
    to Python only to draw among exactly tied candidates, with the generator and in the order
    of the numpy loop. Updates ``rnd``'s voting positions, ``partner`` and ``gain_sum``."""
    from . import _exchange_fused as fx

    c, params = rnd.c, rnd.params
    K = c.size
    move = np.stack([c.move["A"], c.move["B"]])
    start = np.stack([c.start["A"], c.start["B"]])
    old_sum = np.stack([c.old_sum["A"], c.old_sum["B"]])
    old_min = np.stack([c.old_min["A"], c.old_min["B"]])
    old_max = np.stack([c.old_max["A"], c.old_max["B"]])
    cap = {"off": fx.CAP_OFF, "strict": fx.CAP_STRICT}.get(params["outcome_cap"], fx.CAP_DECIDE)
    rex_p = float(params["p"]) if params["variant"] == "rex" and c.draws is not None else 0.0
    draws = c.draws if rex_p > 0 else np.zeros((0, 3))
    rec_k = np.full(K, -1, dtype=np.int64)
    ties: dict[int, dict[str, Any]] = {}
    order, chosen = 0, -1
    i64 = (lambda v: np.ascontiguousarray(v, dtype=np.int64))
    ints = [i64(v) for v in (c.a, c.b, c.p, c.q)]
    keys = [i64(v) for v in (c.supA, c.supB, c.demA, c.demB)]
    while True:
        order, best = fx.realise(
            chosen, live, order, *ints, c.wA, c.wB, c.Dp, c.Dq, c.xA, c.xB, c.tA, c.tB,
            c.sAp, c.sAq, c.sBp, c.sBq, c.rate, c.usable, *keys, x, rnd.w, rnd.D, rnd.vote,
            rnd.first, rnd.U, rnd.O, old_sum, old_min, old_max, move, start, c.gain, c.gainA,
            c.gainB, c.capA, c.capB, c.valid, draws, partner, gain_sum, rec_k, cap, rex_p, EPS,
            MIN_MOVE, MIN_GAIN)
        if best < 0:                         # no live candidate is left
            break
        tied = np.flatnonzero(live & (best - c.gain <= EPS))
        chosen = int(tied[rng.integers(tied.size)])
        ties[order + 1] = {"kind": "tie", "order": order + 1, "gain": float(best),
                           "tied": int(tied.size)}
    c.move["A"], c.move["B"] = move[0], move[1]
    c.start["A"], c.start["B"] = start[0], start[1]
    records: list[dict[str, Any]] = []
    for o in range(order):
        if o + 1 in ties:
            records.append(ties[o + 1])
        records.append(_exchange_record(rnd, int(rec_k[o]), o + 1, x))
    return records


def _play_round(x: np.ndarray, s: np.ndarray, c: np.ndarray, act: np.ndarray,
                params: Mapping[str, Any], rng: np.random.Generator):
    """One round on the internal scale: (vote, pref outcome, vote outcome, next, log records,
    per-actor partner/gain)."""
    rnd = _Round(x, s, c, act, params)
    cand = rnd.c
    m, n = x.shape
    if params["variant"] == "rex" and params["p"] > 0 and cand.size:
        cand.draws = rng.random((cand.size, 3))
    rnd.compute(np.arange(cand.size))
    live = cand.valid.copy()
    records: list[dict[str, Any]] = []
    partner = np.full((m, n), -1, dtype=np.int32)
    gain_sum = np.zeros((m, n))
    order = 0
    if cand.size >= FUSED_MIN_CANDIDATES and uses_compiled_loop(n):
        records = _realise_fused(rnd, live, partner, gain_sum, x, rng)
        live[:] = False                      # the compiled loop has realised every exchange
    neg = np.full(cand.size, -np.inf)
    while live.any():
        g = np.where(live, cand.gain, neg)
        best = g.max()
        tied = np.flatnonzero(live & (best - cand.gain <= EPS))
        if tied.size > 1:
            k = int(tied[rng.integers(tied.size)])
            records.append({"kind": "tie", "order": order + 1, "gain": float(best),
                            "tied": int(tied.size)})
        else:
            k = int(tied[0])
        order += 1
        live[k] = False
        a, b, p, q = int(cand.a[k]), int(cand.b[k]), int(cand.p[k]), int(cand.q[k])
        yA = cand.start["A"][k] + cand.move["A"][k]
        yB = cand.start["B"][k] + cand.move["B"][k]
        records.append(_exchange_record(rnd, k, order, x))
        rnd.vote[p, a], rnd.vote[q, b] = yA, yB
        partner[p, a], partner[q, b] = b, a
        gain_sum[p, a] += cand.gainA[k]
        gain_sum[q, b] += cand.gainB[k]
        for iss, dem, sup, y in ((p, b, a, yA), (q, a, b, yB)):
            if np.isnan(rnd.first[iss, dem, sup]):
                rnd.first[iss, dem, sup] = y
                Dk = rnd.D[iss] if rnd.D[iss] > 0 else 1.0
                rnd.U[iss, dem] += (y - x[iss, sup]) * rnd.w[iss, sup] / Dk
        s1, s2 = cand.supA[k], cand.supB[k]
        d1, d2 = cand.demA[k], cand.demB[k]
        hitA = live & ((cand.supA == s1) | (cand.supA == s2))
        hitB = live & ((cand.supB == s1) | (cand.supB == s2))
        dem_hit = live & ((cand.demA == d1) | (cand.demA == d2)
                          | (cand.demB == d1) | (cand.demB == d2))
        cand.push_history("A", np.flatnonzero(hitA))
        cand.push_history("B", np.flatnonzero(hitB))
        touched = np.flatnonzero(hitA | hitB | dem_hit)
        rnd.compute(touched)
        live[touched] = cand.valid[touched]
    vote_outcome = weighted_mean(rnd.vote, rnd.w, act)
    nxt = x.copy()
    supplied = partner >= 0
    if params["preference_update"]:
        f = params["update_fixed"] + params["update_salience"] * (1.0 - s)
        nxt = np.where(supplied, x + (rnd.vote - x) * f, x)
    return rnd.vote, rnd.O, vote_outcome, nxt, records, partner, np.where(supplied, gain_sum,
                                                                          np.nan)


def step(state: BargainingState, params: Mapping[str, Any], rng: np.random.Generator
         ) -> RoundOutcome:
    """One round of the exchange model on every issue at once (see the module docstring)."""
    act = np.asarray(state.active, dtype=bool)
    low = np.asarray(state.low, dtype=float)[:, None]
    width = (np.asarray(state.high, dtype=float) - np.asarray(state.low, dtype=float))[:, None]
    width = np.where(width > 0, width, 1.0)
    pos = np.asarray(state.positions, dtype=float)
    x = np.where(act, (pos - low) * (100.0 / width), 0.0)
    s = np.where(act, np.asarray(state.salience, dtype=float), 0.0)
    c = np.where(act, np.asarray(state.capability, dtype=float), 0.0)
    vote, pref, vote_out, nxt, records, partner, gains = _play_round(x, s, c, act, params, rng)

    def back(v: np.ndarray) -> np.ndarray:
        return low + v * (width / 100.0)

    lo1, w1 = low[:, 0], width[:, 0] / 100.0
    for rec in records:
        if rec["kind"] == "exchange":
            for key, k in (("x_i", rec["p"]), ("from_i", rec["p"]), ("y_i", rec["p"]),
                           ("x_j", rec["q"]), ("from_j", rec["q"]), ("y_j", rec["q"])):
                rec[key] = float(lo1[k] + rec[key] * w1[k])
    kind = np.where(act, np.where(partner >= 0, MoveKind.EXCHANGE, MoveKind.HELD),
                    MoveKind.INACTIVE).astype(np.int8)
    outcome = lo1 + vote_out * w1
    finished = not any(r["kind"] == "exchange" for r in records)
    tol = float(params["outcome_tolerance"])
    last = state.memo.get("last_outcome")
    if tol > 0 and last is not None and np.all(np.abs(outcome - last) <= tol * width[:, 0]):
        finished = True
    state.memo["last_outcome"] = outcome.copy()
    return RoundOutcome(
        positions=np.where(act, back(nxt), pos),
        kind=kind,
        partner=np.where(act, partner, -1).astype(np.int32),
        actor_info={"vote": np.where(act, back(vote), np.nan), "gain": np.where(act, gains, np.nan)},
        log=records,
        outcome=outcome,
        issue_info={"preference": lo1 + pref * w1},
        finished=finished,
    )


# ------------------------------------------------------------------------------------------
# the rule's own account of a run


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def narrative(result: Any, limit: int = 5, actor: str | None = None,
              issue: str | None = None) -> list[str]:
    """The ``limit`` largest realised exchanges of a run as sentences, largest gains first.

    ``actor`` (an actor id or name) keeps that actor's exchanges and tells them from its side;
    ``issue`` (an issue id) keeps the exchanges on that issue."""
    ids, iids = list(result.actor_ids), list(result.issue_ids)
    sc = result.scenario
    who = None
    if actor is not None:
        if actor in ids:
            who = ids.index(actor)
        else:
            names = [sc.actor_name(a) for a in ids]
            who = names.index(actor) if actor in names else -2
    which = iids.index(issue) if issue in iids else (None if issue is None else -2)
    recs = [r for r in result.log if r.get("kind") == "exchange"]
    if who is not None:
        recs = [r for r in recs if who in (r["i"], r["j"])]
    if which is not None:
        recs = [r for r in recs if which in (r["p"], r["q"])]
    recs.sort(key=lambda r: (-r["gain"], r["round"], r["order"]))
    lines = []
    for r in recs[:limit]:
        me, other = ("i", "j") if who is None or r["i"] == who else ("j", "i")
        mine_issue, their_issue = (r["p"], r["q"]) if me == "i" else (r["q"], r["p"])
        a, b = sc.actor_name(ids[r[me]]), sc.actor_name(ids[r[other]])
        li, lj = sc.issues[iids[mine_issue]].label, sc.issues[iids[their_issue]].label
        g_me, g_other = r.get(f"gain_{me}", r["gain"]), r.get(f"gain_{other}", r["gain"])
        gains = (f"gain {g_me:.3g} each" if abs(g_me - g_other) <= 1e-9 * max(1.0, abs(g_me))
                 else f"gains {g_me:.3g} ({a}) and {g_other:.3g} ({b})")
        cap = ""
        if r.get(f"capped_{me}"):
            cap = f"; the outcome on {li} stopped at {b}'s position"
        elif r.get(f"capped_{other}"):
            cap = f"; the outcome on {lj} stopped at {a}'s position"
        lines.append(f"round {r['round']}: {a} gave way on {li} ({_fmt(r[f'from_{me}'])} -> "
                     f"{_fmt(r[f'y_{me}'])}) to {b} in exchange for {b}'s move on {lj} "
                     f"({_fmt(r[f'from_{other}'])} -> {_fmt(r[f'y_{other}'])}); {gains}{cap}")
    return lines


RULE = register(Rule(
    name="exchange",
    title="Position-exchange model (Stokman & Van Oosten; equal gain, decide's dynamics, REX)",
    description="Actors trade voting positions across pairs of issues at the equal-gain rate, "
                "largest gains first; the forecast is the capability x salience weighted mean "
                "of the voting positions.",
    citation="Stokman, F. N. & Van Oosten, R. (1994). The exchange of voting positions: an "
             "object-oriented model of policy networks. In Bueno de Mesquita & Stokman (eds.), "
             "European Community Decision Making, 105-127. Yale UP. Public implementation: "
             "decide-exchange-model (PyPI 2025.3.1). REX: Dijkstra, J., Van Assen, M. A. L. M., "
             "Stokman, F. N. & Draaijer, S. (2018 draft), randomised equal-gain exchange.",
    step=step,
    # REX draws at random; equal gain uses the generator only to break exact ties in the
    # realisation order (data, not parameters, decide that), so it counts as deterministic.
    stochastic=True,
    stochastic_when=(("variant", ("rex",)),),
    multidimensional=True,
    # Because of those tie draws a repeated state need not repeat its outcome: no reuse.
    markov=False,
    forecast="mean",
    forecast_label="voting outcome",
    params=(
        Param("variant", "equal", "'equal': the equal-gain rate (Stokman & Van Oosten); 'rex': "
              "randomised equal gain with spread p (Dijkstra et al.).", choices=("equal", "rex")),
        Param("p", 0.5, "REX only: how far the split may depart from equal gain (0 = equal "
              "gain, 1 = anything from zero to the maximum gain).", low=0.0, high=1.0),
        Param("preference_update", True, "Move start positions toward the voting positions "
              "between rounds (decide's dynamic extension; off: every round repeats round 1)."),
        Param("update_fixed", 0.1, "Preference update: fixed share of the concession kept "
              "(decide's FIXED_WEIGHT).", low=0.0, high=1.0),
        Param("update_salience", 0.4, "Preference update: extra share kept per unit of "
              "(1 - salience) (decide's SALIENCE_WEIGHT).", low=0.0, high=1.0),
        Param("outcome_cap", "decide", "Stop the outcome at the demander's position: 'decide' "
              "(as decide: not when the outcome is already there), 'strict' (then the trade "
              "is dropped), 'off'.", choices=("decide", "strict", "off")),
        Param("outcome_tolerance", 0.0, "Also finish (with stop: auto) when no voting outcome "
              "moves by more than this fraction of its scale between rounds (0: only when no "
              "exchange is left).", low=0.0, high=1.0),
    ),
    actor_info=(
        ("vote", "voting position after this round's exchanges (the announced position)"),
        ("gain", "utility gain from the exchanges in which the actor gave way on this issue"),
    ),
    issue_info=(
        ("preference", "preference outcome: weighted mean of the positions the round started "
                       "from (the voting outcome is the forecast)"),
    ),
    narrative=narrative,
))
