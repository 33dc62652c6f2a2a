"""The exchange model's realisation loop, compiled (numba): the fused counterpart of the loop
in :func:`negsim.rules.exchange._play_round`, which stays the reference implementation.

The candidates of a round are built once with numpy (:class:`negsim.rules.exchange._Candidates`)
and their first evaluation is the vectorised one. From then on, the greedy loop is sequential
by nature: take the candidate with the largest gain, realise it, recompute the candidates it
touches. In numpy every step costs a dozen array calls (about 250 us per exchange at 30
actors, nearly all call overhead); here one compiled call runs the loop until it ends or meets
an exact tie. A tie goes back to Python, which draws the winner with the round's generator
exactly as the reference loop does (same draws, same order), and the loop resumes. The
arithmetic is the reference's, operation for operation, so the two agree to rounding
(tests/test_exchange_fused.py checks 1e-9 against the numpy loop and the test vectors).

Arrays per candidate side: index 0 is side A (A supplies issue p), 1 is side B (B supplies q).
"""

from __future__ import annotations

import numpy as np
from numba import njit

CAP_OFF, CAP_DECIDE, CAP_STRICT = 0, 1, 2


@njit(cache=True)
def _room(side, j, a, b, p, q, wA, wB, Dp, Dq, xA, xB, tA, tB, vote, first, U, O):
    if side == 0:
        k, sup, dem, w, Dk, x0, t = p[j], a[j], b[j], wA[j], Dp[j], xA[j], tA[j]
    else:
        k, sup, dem, w, Dk, x0, t = q[j], b[j], a[j], wB[j], Dq[j], xB[j], tB[j]
    start = vote[k, sup]
    if not Dk > 0:
        Dk = 1.0
    f = first[k, dem, sup]
    has = not np.isnan(f)
    own_first = (f - x0) * w / Dk if has else 0.0
    own_now = (start - x0) * w / Dk
    base = O[k] + U[k, dem] - own_first
    o_true = base + own_now
    o_stale = base + (own_first if has else own_now)
    direction = 1.0 if t > start else -1.0
    return start, abs(t - start), (t - o_true) * direction, abs(t - o_stale), direction


@njit(cache=True)
def _valid(side, j, move, start, old_sum, old_min, old_max, eps, min_move):
    total = old_sum[side, j] + move
    lo = min(old_min[side, j], move)
    hi = max(old_max[side, j], move)
    new = start + move
    return (abs(move) > min_move and abs(move) <= 100 and new >= -eps and new <= 100 + eps
            and total <= 100 and ((lo < 0 and hi < 0) or (lo > 0 and hi > 0)))


@njit(cache=True)
def _point_for_gain(who_a, g, P, Q, sAp, sAq, sBp, sBq):
    corner_a = sAq * Q - sAp * P
    corner_b = sBp * P - sBq * Q
    a_right = min(max((g + sAp * P) / (sAq if sAq > 0 else 1.0), 0.0), Q)
    a_top = min(max((sAq * Q - g) / (sAp if sAp > 0 else 1.0), 0.0), P)
    b_right = min(max((sBp * P - g) / (sBq if sBq > 0 else 1.0), 0.0), Q)
    b_top = min(max((g + sBq * Q) / (sBp if sBp > 0 else 1.0), 0.0), P)
    on_right = (g <= corner_a) if who_a else (g >= corner_b)
    if on_right:
        return P, (a_right if who_a else b_right)
    return (a_top if who_a else b_top), Q


@njit(cache=True)
def compute(j, a, b, p, q, wA, wB, Dp, Dq, xA, xB, tA, tB, sAp, sAq, sBp, sBq, rate, usable,
            vote, first, U, O, old_sum, old_min, old_max, move, start, gain, gainA, gainB,
            capA_out, capB_out, valid, draws, cap, rex_p, eps, min_move, min_gain):
    """Candidate ``j`` (re)computed: the scalar form of ``_Round.compute``."""
    sA, distA, roomA, staleA, dirA = _room(0, j, a, b, p, q, wA, wB, Dp, Dq, xA, xB, tA, tB,
                                           vote, first, U, O)
    sB, distB, roomB, staleB, dirB = _room(1, j, a, b, p, q, wA, wB, Dp, Dq, xA, xB, tA, tB,
                                           vote, first, U, O)
    r, wa, wb = rate[j], wA[j], wB[j]
    dp_ = Dp[j] if Dp[j] > 0 else 1.0
    dq_ = Dq[j] if Dq[j] > 0 else 1.0
    wa_ = wa if wa > 0 else 1.0
    wb_ = wb if wb > 0 else 1.0
    sap, saq = sAp[j], sAq[j]
    dP = distA * wa / dp_
    dQ = r * dP
    mA = distA
    mB = dQ * dq_ / wb_
    if mB > distB:
        dQ = distB * wb / dq_
        dP = dQ / r
        mA = dP * dp_ / wa_
        mB = distB
    g = abs(dQ * saq - dP * sap)
    ok = (usable[j] and g >= min_gain
          and _valid(0, j, dirA * mA, sA, old_sum, old_min, old_max, eps, min_move)
          and _valid(1, j, dirB * mB, sB, old_sum, old_min, old_max, eps, min_move))
    capA = False
    capB = False
    if cap == CAP_STRICT:
        ok = ok and roomA > eps and roomB > eps
    if cap != CAP_OFF:
        capB = ok and roomB > eps and roomB < dQ - eps
        if capB:
            dQ = staleB
            dP = dQ / r
        capA = ok and roomA > eps and roomA < dP - eps
        if capA:
            dP = staleA
            dQ = r * dP
        if capA or capB:
            mA = dP * dp_ / wa_
            mB = dQ * dq_ / wb_
            g = abs(dQ * saq - dP * sap)
            ok = (ok and _valid(0, j, dirA * mA, sA, old_sum, old_min, old_max, eps, min_move)
                  and _valid(1, j, dirB * mB, sB, old_sum, old_min, old_max, eps, min_move))
    gA = g
    gB = g
    if rex_p > 0 and draws.shape[0] > 0:
        fullP = distA * wa / dp_
        fullQ = distB * wb / dq_
        capP = roomA if (cap != CAP_OFF and roomA > eps) else np.inf
        capQ = roomB if (cap != CAP_OFF and roomB > eps) else np.inf
        P = min(fullP, capP)
        Q = min(fullQ, capQ)
        sbp, sbq = sBp[j], sBq[j]
        u, v, z = draws[j, 0], draws[j, 1], draws[j, 2]
        who_a = u < 0.5
        zp, zq = _point_for_gain(not who_a, 0.0, P, Q, sap, saq, sbp, sbq)
        gmax = (saq * zq - sap * zp) if who_a else (sbp * zp - sbq * zq)
        target = g + rex_p * z * (gmax - g) if v < 0.5 else g - rex_p * z * g
        newP, newQ = _point_for_gain(who_a, target, P, Q, sap, saq, sbp, sbq)
        gA = saq * newQ - sap * newP
        gB = sbp * newP - sbq * newQ
        mA = distA if newP >= fullP else min(distA, newP * dp_ / wa_)
        mB = distB if newQ >= fullQ else min(distB, newQ * dq_ / wb_)
        capA = capP < fullP and newP >= capP * (1 - 1e-12)
        capB = capQ < fullQ and newQ >= capQ * (1 - 1e-12)
        ok = (ok and _valid(0, j, dirA * mA, sA, old_sum, old_min, old_max, eps, min_move)
              and _valid(1, j, dirB * mB, sB, old_sum, old_min, old_max, eps, min_move))
    move[0, j] = dirA * mA
    move[1, j] = dirB * mB
    start[0, j] = sA
    start[1, j] = sB
    gain[j] = g
    gainA[j] = gA
    gainB[j] = gB
    capA_out[j] = capA
    capB_out[j] = capB
    valid[j] = ok


@njit(cache=True)
def realise(chosen, live, order, a, b, p, q, wA, wB, Dp, Dq, xA, xB, tA, tB, sAp, sAq, sBp,
            sBq, rate, usable, supA, supB, demA, demB, x, w, D, vote, first, U, O, old_sum,
            old_min, old_max, move, start, gain, gainA, gainB, capA, capB, valid, draws,
            partner, gain_sum, rec_k, cap, rex_p, eps, min_move, min_gain):
    """Run the greedy loop from ``order`` exchanges done. ``chosen`` >= 0: realise that
    candidate first (Python's pick among a tie). Returns (order, -1) when no live candidate is
    left, or (order, best) when the best gain is tied: the caller draws among the live
    candidates within ``eps`` of it and calls again with its pick."""
    K = gain.shape[0]
    while True:
        if chosen >= 0:
            k = chosen
            chosen = -1
        else:
            best = -np.inf
            for j in range(K):
                if live[j] and gain[j] > best:
                    best = gain[j]
            if best == -np.inf:
                return order, -1.0
            k = -1
            count = 0
            for j in range(K):
                if live[j] and best - gain[j] <= eps:
                    count += 1
                    if k < 0:
                        k = j
            if count > 1:
                return order, best
        # realise candidate k
        live[k] = False
        rec_k[order] = k      # k is never recomputed again: its arrays keep what was realised
        order += 1
        ia, ib, ip, iq = a[k], b[k], p[k], q[k]
        yA = start[0, k] + move[0, k]
        yB = start[1, k] + move[1, k]
        vote[ip, ia] = yA
        vote[iq, ib] = yB
        partner[ip, ia] = ib
        partner[iq, ib] = ia
        gain_sum[ip, ia] += gainA[k]
        gain_sum[iq, ib] += gainB[k]
        for side in range(2):
            iss = ip if side == 0 else iq
            dem = ib if side == 0 else ia
            sup = ia if side == 0 else ib
            y = yA if side == 0 else yB
            if np.isnan(first[iss, dem, sup]):
                first[iss, dem, sup] = y
                Dk = D[iss] if D[iss] > 0 else 1.0
                U[iss, dem] += (y - x[iss, sup]) * w[iss, sup] / Dk
        s1, s2, d1, d2 = supA[k], supB[k], demA[k], demB[k]
        for j in range(K):
            if not live[j]:
                continue
            hA = supA[j] == s1 or supA[j] == s2
            hB = supB[j] == s1 or supB[j] == s2
            hd = (demA[j] == d1 or demA[j] == d2 or demB[j] == d1 or demB[j] == d2)
            if hA:
                mv = move[0, j]
                old_sum[0, j] += mv
                old_min[0, j] = min(old_min[0, j], mv)
                old_max[0, j] = max(old_max[0, j], mv)
            if hB:
                mv = move[1, j]
                old_sum[1, j] += mv
                old_min[1, j] = min(old_min[1, j], mv)
                old_max[1, j] = max(old_max[1, j], mv)
            if hA or hB or hd:
                compute(j, a, b, p, q, wA, wB, Dp, Dq, xA, xB, tA, tB, sAp, sAq, sBp, sBq,
                        rate, usable, vote, first, U, O, old_sum, old_min, old_max, move,
                        start, gain, gainA, gainB, capA, capB, valid, draws, cap, rex_p, eps,
                        min_move, min_gain)
                live[j] = valid[j]
