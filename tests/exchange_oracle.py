"""A slow, obvious, plain-Python implementation of Stokman & Van Oosten's exchange model, used as
the oracle the array kernel (negsim.rules.exchange) must agree with. It shares no code with the
kernel: objects, dictionaries and loops, written from docs/exchange.md (and MODEL.md sections
2-3) line by line.

Everything here works on the internal 0-100 scale of every issue. ``x[k][i]`` is actor i's
position on issue k, ``s`` saliences (0-1), ``c`` capabilities, ``active[k][i]`` participation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

DEFAULTS = {"variant": "equal", "p": 0.5, "preference_update": True, "update_fixed": 0.1,
            "update_salience": 0.4, "outcome_cap": "decide", "outcome_tolerance": 0.0}

EPS = 1e-9          # "equal" for positions and outcomes, and for ties between gains
MIN_MOVE = 1e-10    # decide: a move must be larger than this
MIN_GAIN = 1e-10    # decide: a gain must be larger than this


@dataclass
class Side:
    """One actor's part of a candidate: it supplies ``issue`` toward ``partner``."""

    actor: int
    issue: int
    partner: int
    old: list[float] = field(default_factory=list)   # earlier computed moves (decide's history)
    move: float = 0.0
    start: float = 0.0
    y: float = 0.0
    capped: bool = False
    gain: float = 0.0


@dataclass
class Candidate:
    index: int
    a: Side      # supplies the pair's first issue
    b: Side      # supplies the pair's second issue
    draws: tuple[float, float, float] | None = None
    gain: float = 0.0
    valid: bool = True


def outcome(xk, wk, act):
    total = sum(wk[i] for i in range(len(xk)) if act[i])
    if total <= 0:
        vals = [xk[i] for i in range(len(xk)) if act[i]]
        return sum(vals) / len(vals) if vals else 0.0
    return sum(wk[i] * xk[i] for i in range(len(xk)) if act[i]) / total


class Round:
    def __init__(self, x, s, c, active, params):
        self.p = {**DEFAULTS, **params}
        self.m, self.n = len(x), len(x[0])
        self.x = [list(map(float, row)) for row in x]
        self.s = [list(map(float, row)) for row in s]
        self.c = [list(map(float, row)) for row in c]
        self.act = [list(map(bool, row)) for row in active]
        self.w = [[self.c[k][i] * self.s[k][i] if self.act[k][i] else 0.0
                   for i in range(self.n)] for k in range(self.m)]
        self.D = [sum(self.w[k]) for k in range(self.m)]
        self.O = [outcome(self.x[k], self.w[k], self.act[k]) for k in range(self.m)]
        self.vote = [row[:] for row in self.x]                # voting positions so far
        self.first_update: dict[tuple[int, int, int], float] = {}   # (issue, demander, b) -> y

    # -- the outcome as one candidate sees it -----------------------------------------------
    def seen_outcome(self, side: Side, supplier_at: float, override_self: bool) -> float:
        """Outcome on side.issue with the updates the demander has seen, the supplier at
        ``supplier_at`` (or at its own earlier update, decide's quirk, with override_self)."""
        k, d = side.issue, side.partner
        pos = self.x[k][:]
        for (kk, dd, b), y in self.first_update.items():
            if kk == k and dd == d:
                pos[b] = y
        if not (override_self and (k, d, side.actor) in self.first_update):
            pos[side.actor] = supplier_at
        if self.D[k] <= 0:
            return self.O[k]
        return sum(self.w[k][i] * pos[i] for i in range(self.n) if self.act[k][i]) / self.D[k]

    def room(self, side: Side) -> tuple[float, float, float]:
        """(distance to the demander, how far the outcome may still move toward the demander,
        the same measured from decide's stale view (see docs/exchange.md, "quirks")), the
        last two as outcome shifts on the internal scale."""
        k, i, d = side.issue, side.actor, side.partner
        target = self.x[k][d]
        direction = 1.0 if target > side.start else -1.0
        room = (target - self.seen_outcome(side, side.start, False)) * direction
        stale = abs(target - self.seen_outcome(side, side.start, True))
        return abs(target - side.start), room, stale

    def signed(self, side: Side, size: float) -> float:
        return size if self.x[side.issue][side.partner] > side.start else -size

    def valid_move(self, side: Side) -> bool:
        mv = side.move
        if abs(mv) > 100 or abs(mv) <= MIN_MOVE:
            return False
        if side.start + mv < -EPS or side.start + mv > 100 + EPS:
            return False
        history = side.old + [mv]
        if sum(history) > 100:
            return False
        return all(h < 0 for h in history) or all(h > 0 for h in history)

    def compute(self, cand: Candidate) -> None:
        """Equal gain, the largest trade in which nobody overshoots, the cap, then REX."""
        A, B = cand.a, cand.b
        p, q = A.issue, B.issue
        A.start, B.start = self.vote[p][A.actor], self.vote[q][B.actor]
        A.capped = B.capped = False
        sAp, sAq = self.s[p][A.actor], self.s[q][A.actor]
        sBp, sBq = self.s[p][B.actor], self.s[q][B.actor]
        wA, wB = self.w[p][A.actor], self.w[q][B.actor]
        if wA <= 0 or wB <= 0 or sAp + sBp <= 0:
            cand.valid = False
            return
        rate = (sAp + sBp) / (sAq + sBq)      # outcome shift on q per unit shift on p
        distA, roomA, staleA = self.room(A)
        distB, roomB, staleB = self.room(B)
        # 1. the supplier of the first issue moves all the way; if its partner would then
        #    overshoot, the partner moves all the way instead
        dP = distA * wA / self.D[p]
        dQ = rate * dP
        A.move, B.move = self.signed(A, distA), self.signed(B, dQ * self.D[q] / wB)
        if abs(B.move) > distB:
            dQ = distB * wB / self.D[q]
            dP = dQ / rate
            A.move, B.move = self.signed(A, dP * self.D[p] / wA), self.signed(B, distB)
        cand.gain = abs(dQ * sAq - dP * sAp)
        if cand.gain < MIN_GAIN or not (self.valid_move(A) and self.valid_move(B)):
            cand.valid = False
            return
        # 2. the outcome cap, second issue first (decide's order); an outcome already at or
        #    past the demander is not capped (decide), or the trade is dropped ("strict")
        cap = self.p["outcome_cap"]
        if cap == "strict" and (roomA <= EPS or roomB <= EPS):
            cand.valid = False       # the outcome already reached (or passed) a demander
            return
        if cap != "off":
            if EPS < roomB < dQ - EPS:
                dQ = staleB
                dP = dQ / rate
                A.move, B.move = (self.signed(A, dP * self.D[p] / wA),
                                  self.signed(B, dQ * self.D[q] / wB))
                B.capped = True
            if EPS < roomA < dP - EPS:
                dP = staleA
                dQ = rate * dP
                A.move, B.move = (self.signed(A, dP * self.D[p] / wA),
                                  self.signed(B, dQ * self.D[q] / wB))
                A.capped = True
            cand.gain = abs(dQ * sAq - dP * sAp)
            if not (self.valid_move(A) and self.valid_move(B)):
                cand.valid = False
                return
        A.gain = B.gain = cand.gain
        if self.p["variant"] == "rex" and self.p["p"] > 0:
            fullP, fullQ = distA * wA / self.D[p], distB * wB / self.D[q]
            capP = roomA if (cap != "off" and roomA > EPS) else math.inf
            capQ = roomB if (cap != "off" and roomB > EPS) else math.inf
            self.rex(cand, min(fullP, capP), min(fullQ, capQ), fullP, fullQ, capP, capQ)
            if not (self.valid_move(A) and self.valid_move(B)):
                cand.valid = False
                return
        A.y, B.y = A.start + A.move, B.start + B.move
        cand.valid = True

    def move_for_shift(self, side: Side, shift: float, full_shift: float) -> float:
        """The move giving an outcome shift ``shift``; all the way at the full shift."""
        k, i = side.issue, side.actor
        distance = abs(self.x[k][side.partner] - side.start)
        size = distance if shift >= full_shift else min(distance, shift * self.D[k] / self.w[k][i])
        return self.signed(side, size)

    def rex(self, cand, P, Q, fullP, fullQ, capP, capQ) -> None:
        """Randomised equal gain: one actor's gain is drawn between 0 and its maximum, and the
        trade is re-solved on the frontier of largest trades (right edge (P, b), top edge (a, Q))."""
        A, B = cand.a, cand.b
        p, q = A.issue, B.issue
        sAp, sAq = self.s[p][A.actor], self.s[q][A.actor]
        sBp, sBq = self.s[p][B.actor], self.s[q][B.actor]
        u, v, z = cand.draws

        def gain_of(who, point):
            a, b = point
            return sAq * b - sAp * a if who == "A" else sBp * a - sBq * b

        def point_for_gain(who, g):
            corner = gain_of(who, (P, Q))
            if who == "A":     # A's gain rises up the right edge, then leftwards on the top edge
                if g <= corner:
                    return (P, min(Q, max(0.0, (g + sAp * P) / sAq)))
                return (min(P, max(0.0, (sAq * Q - g) / sAp)), Q)
            if g >= corner:    # B's gain falls along the same path
                return (P, min(Q, max(0.0, (sBp * P - g) / sBq)))
            return (min(P, max(0.0, (g + sBq * Q) / sBp)), Q)

        who = "A" if u < 0.5 else "B"
        partner = "B" if who == "A" else "A"
        G = cand.gain
        gmax = gain_of(who, point_for_gain(partner, 0.0))
        target = G + self.p["p"] * z * (gmax - G) if v < 0.5 else G - self.p["p"] * z * G
        newP, newQ = point_for_gain(who, target)
        A.gain, B.gain = gain_of("A", (newP, newQ)), gain_of("B", (newP, newQ))
        A.move = self.move_for_shift(A, newP, fullP)
        B.move = self.move_for_shift(B, newQ, fullQ)
        A.capped = capP < fullP and newP >= capP * (1 - 1e-12)
        B.capped = capQ < fullQ and newQ >= capQ * (1 - 1e-12)


def build_candidates(r: Round) -> list[Candidate]:
    left = [[r.act[k][i] and r.x[k][i] <= r.O[k] + EPS for i in range(r.n)] for k in range(r.m)]
    out: list[Candidate] = []
    for p in range(r.m):
        for q in range(p + 1, r.m):
            both = [i for i in range(r.n) if r.act[p][i] and r.act[q][i]]
            groups = {key: [i for i in both if (left[p][i], left[q][i]) == key]
                      for key in [(False, False), (True, True), (True, False), (False, True)]}
            pairs = [(i, j) for i in groups[False, False] for j in groups[True, True]]
            pairs += [(i, j) for i in groups[True, False] for j in groups[False, True]]
            for i, j in pairs:
                # the actor with the lower ratio s_p / s_q supplies p (cross-multiplied)
                if r.s[p][i] * r.s[q][j] < r.s[p][j] * r.s[q][i]:
                    a_actor, b_actor = i, j
                else:
                    a_actor, b_actor = j, i
                out.append(Candidate(len(out), Side(a_actor, p, b_actor), Side(b_actor, q, a_actor)))
    return out


def one_round(x, s, c, active, params, rng):
    """Play one round. Returns a dict with the realised exchanges (log), the voting positions,
    the preference and voting outcomes and the next round's start positions."""
    r = Round(x, s, c, active, params)
    cands = build_candidates(r)
    if r.p["variant"] == "rex" and r.p["p"] > 0 and cands:
        flat = rng.random(3 * len(cands))
        for cand in cands:
            cand.draws = tuple(float(v) for v in flat[3 * cand.index: 3 * cand.index + 3])
    for cand in cands:
        cand.valid = True
        r.compute(cand)
    live = [cd for cd in cands if cd.valid]
    log = []
    supplied: dict[tuple[int, int], list] = {}
    order = 0
    while live:
        best = max(cd.gain for cd in live)
        tied = [cd for cd in live if best - cd.gain <= EPS]
        if len(tied) > 1:
            pick = tied[int(rng.integers(len(tied)))]
            log.append({"kind": "tie", "order": order + 1, "gain": best, "tied": len(tied)})
        else:
            pick = tied[0]
        order += 1
        live.remove(pick)
        A, B = pick.a, pick.b
        log.append({"kind": "exchange", "order": order, "gain": pick.gain,
                    "gain_i": A.gain, "gain_j": B.gain,
                    "i": A.actor, "p": A.issue, "x_i": r.x[A.issue][A.actor], "from_i": A.start,
                    "y_i": A.y, "j": B.actor, "q": B.issue, "x_j": r.x[B.issue][B.actor],
                    "from_j": B.start, "y_j": B.y, "capped": A.capped or B.capped,
                    "capped_i": A.capped, "capped_j": B.capped})
        realised = [(A, B), (B, A)]
        for side, _ in realised:
            r.vote[side.issue][side.actor] = side.y
            supplied.setdefault((side.issue, side.actor), []).append((side.partner, pick))
        for side, other in realised:
            key = (side.issue, other.actor, side.actor)    # issue, demander, supplier
            if key not in r.first_update:
                r.first_update[key] = side.y
        survivors = []
        for cd in live:
            touched = False
            for mine in (cd.a, cd.b):
                for side, _ in realised:
                    if (mine.actor, mine.issue) == (side.actor, side.issue):
                        mine.old.append(mine.move)
                        touched = True
                    if (mine.partner, mine.issue) == (side.partner, side.issue):
                        touched = True      # the same actor demands the same issue
            if touched:
                r.compute(cd)
            if cd.valid:
                survivors.append(cd)
        live = survivors
    vote_outcome = [outcome(r.vote[k], r.w[k], r.act[k]) for k in range(r.m)]
    nxt = [row[:] for row in r.x]
    if r.p["preference_update"]:
        for (k, i) in supplied:
            f = r.p["update_fixed"] + r.p["update_salience"] * (1.0 - r.s[k][i])
            nxt[k][i] = r.x[k][i] + (r.vote[k][i] - r.x[k][i]) * f
    partner = [[-1] * r.n for _ in range(r.m)]
    for (k, i), lst in supplied.items():
        partner[k][i] = lst[-1][0]
    return {"log": log, "vote": r.vote, "pref": r.O, "vote_outcome": vote_outcome,
            "next": nxt, "partner": partner, "n_candidates": len(cands)}


def run(x, s, c, active, rounds, params=None, seed=0, low=None, high=None):
    """Several rounds on each issue's own scale (mapped to 0-100 inside). Returns the list of
    per-round results with positions and outcomes mapped back."""
    params = params or {}
    m, n = len(x), len(x[0])
    low = [0.0] * m if low is None else list(low)
    high = [100.0] * m if high is None else list(high)
    scale = [(high[k] - low[k]) / 100.0 for k in range(m)]
    xi = [[(x[k][i] - low[k]) / scale[k] for i in range(n)] for k in range(m)]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(rounds):
        res = one_round(xi, s, c, active, params, rng)
        back = {"pref": [low[k] + res["pref"][k] * scale[k] for k in range(m)],
                "vote_outcome": [low[k] + res["vote_outcome"][k] * scale[k] for k in range(m)],
                "vote": [[low[k] + res["vote"][k][i] * scale[k] for i in range(n)]
                         for k in range(m)],
                "next": [[low[k] + res["next"][k][i] * scale[k] for i in range(n)]
                         for k in range(m)],
                "log": res["log"], "partner": res["partner"]}
        out.append(back)
        xi = res["next"]
    return out
