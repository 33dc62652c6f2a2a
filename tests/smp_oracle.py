"""A slow, obvious, plain-Python implementation of one SMP turn (docs/smp.md), used as the oracle
the vectorised kernel (negsim.rules.smp) must agree with. It shares no code with the kernel:
loops over actors, pairs, third parties and bargains in KTAB's order, sums accumulated one term
at a time, the conditional PCE as a plain product.

Inputs are plain nested lists indexed [actor][dimension]; positions on each dimension's own scale
``low[k]..high[k]``, saliences on 0-1 per issue, capability per actor and issue, ``active``
False where the actor takes no part in the dimension.
"""

from __future__ import annotations

import math

DEFAULTS = {"voting_rule": "Prop", "victory_prob_model": "Linear", "pce_model": "Conditional",
            "state_transitions": "Deterministic", "big_r_range": "Mid",
            "big_r_adjust": "OneThird", "third_party_commit": "SemiCommit",
            "inter_vec_brgn": "S2P2", "bargn_model": "InitOnlyInterp", "receiver_view": "ktab",
            "salience_scaling": "auto", "min_delta_ratio": 0.02, "min_significant_delta": 1e-4,
            "max_turns": 100}

NEAR = 1e-9  # decisions closer than this to a boundary are "fragile" (rounding may flip them)
TIE = 1e-12  # best options within this relative gap are tied: the first one is chosen


class Fragile(Exception):
    """A decision sat on a knife edge; the kernel may legitimately decide the other way."""


# -- voting -----------------------------------------------------------------------------------

def vote(rule, w, ua, ub):
    du = ua - ub
    binary = max(-1.0, min(1.0, du / 1e-8))
    if rule == "Prop":
        return w * du
    if rule == "Binary":
        return w * binary
    if rule == "PropBin":
        return w * (0.8 * du + 0.2 * binary)
    if rule == "PropCbc":
        return w * (0.5 * du + 0.5 * du * du * du)
    if rule == "Cubic":
        return w * du * du * du
    if rule == "ASymProsp":
        if du < 0:
            return w * du
        if du > 0:
            return 2.0 * w * du / 3.0
        return 0.0
    raise ValueError(rule)


def coalitions(util, weights, rule):
    """util[voter][option]; the lower-left scan of KTAB (pairs a > b voted as v(a:b))."""
    m = len(util[0])
    C = [[0.0] * m for _ in range(m)]
    for a in range(m):
        for b in range(a):
            cab, cba = 1e-8, 1e-8
            for k in range(len(util)):
                if 0 < abs(util[k][a] - util[k][b]) < 1e-12:
                    # near-identical options: votes (binary ones above all) and strong victory
                    # models turn rounding noise into visible probabilities
                    raise Fragile("near-identical options")
                v = vote(rule, weights[k], util[k][a], util[k][b])
                if v > 0:
                    cab += v
                if v < 0:
                    cba -= v
            C[a][b], C[b][a] = cab, cba
        C[a][a] = 1e-8
    return C


def victory(model, c1, c2):
    if model == "Binary":
        if c1 >= 1.1 * c2:
            x1, x2 = 1.0, 1e-6
        elif c2 >= 1.1 * c1:
            x1, x2 = 1e-6, 1.0
        else:
            if abs(c1 / c2 - 1.1) < NEAR or abs(c2 / c1 - 1.1) < NEAR:
                raise Fragile("binary victory threshold")
            r = c1 / (c1 + c2)
            x1 = (r * 2.1 - 1.0) / (1.1 - 1.0)
            x2 = 1 - x1
    else:
        power = {"Linear": 1, "Square": 2, "Quartic": 4, "Octic": 8}[model]
        x1, x2 = c1 ** power, c2 ** power
    return min(1.0, max(0.0, x1 / (x1 + x2)))


def victory_matrix(model, C):
    m = len(C)
    return [[0.5 if a == b else victory(model, C[a][b], C[b][a]) for b in range(m)]
            for a in range(m)]


def pce(model, P, C):
    m = len(P)
    if model == "Conditional":
        prod = []
        for a in range(m):
            x = 1.0
            for b in range(m):
                x *= P[a][b]
            prod.append(x)
        total = sum(prod)
        return [x / total for x in prod]
    p = [1.0 / m] * m
    if model == "MarkovUniform":
        tol = 1e-6
        for _ in range(1000):
            q = [sum(P[a][b] * (p[a] + p[b]) for b in range(m)) / m for a in range(m)]
            change = max(abs(q[a] - p[a]) for a in range(m))
            if abs(change - tol) < 1e-12:
                raise Fragile("Markov tolerance")
            p = [(p[a] + q[a]) / 2 for a in range(m)]
            if change <= tol:
                break
        return p
    # MarkovIncentive
    tol = 1e-8
    inc = [[C[a][b] * P[a][b] + (1e-10 if a == b else 0.0) for b in range(m)] for a in range(m)]
    col = [sum(inc[a][b] for a in range(m)) for b in range(m)]
    chal = [[inc[a][b] / col[b] for b in range(m)] for a in range(m)]
    for _ in range(1000):
        q = []
        for a in range(m):
            s = 0.0
            for b in range(m):
                s += P[a][b] * (p[a] * chal[b][a] + p[b] * chal[a][b])
            q.append(s)
        change = max(abs(q[a] - p[a]) for a in range(m))
        if abs(change - tol) < 1e-14:
            raise Fragile("Markov tolerance")
        p = [(p[a] + q[a]) / 2 for a in range(m)]
        if change <= tol:
            break
    return p


def option_probabilities(util, weights, rule, vpm, pcem):
    C = coalitions(util, weights, rule)
    return pce(pcem, victory_matrix(vpm, C), C)


# -- utilities --------------------------------------------------------------------------------

def u(d, r):
    return (1 - d) * (1 + d * r) if d <= 1 else (1 - d) * (1 + r)


def dist(ref, sal, pt, pt_active):
    num = den = 0.0
    for k in range(len(ref)):
        den += sal[k] * sal[k]
        if pt_active[k]:
            num += (sal[k] * (ref[k] - pt[k])) ** 2
    return math.sqrt(num / den) if den > 0 else 0.0


def est_risk(rh, ri, adjust):
    return {"None": rh, "OneThird": (2 * rh + ri) / 3, "Half": (rh + ri) / 2,
            "TwoThirds": (rh + 2 * ri) / 3, "Full": ri}[adjust]


def round4(v):
    scaled = v * 10000.0 + 0.5
    if abs(scaled - round(scaled)) < 1e-7 and abs(v) > 0:
        raise Fragile("4-decimal rounding boundary")
    return math.floor(scaled) / 10000.0


# -- one turn ---------------------------------------------------------------------------------

def one_turn(X, S, cap, act, p, uniforms=None):
    """One turn on normalised positions X[i][k] (0-1), model saliences S[i][k], capability
    cap[i], participation act[i][k]. Returns a dict of results (lists by actor)."""
    n, K = len(X), len(X[0])
    tot = [sum(S[i]) for i in range(n)]
    D = [[dist(X[i], S[i], X[j], act[j]) for j in range(n)] for i in range(n)]

    # assessment: risk-neutral PCE over every actor's position
    neutral = [[u(D[a][b], 0.0) for b in range(n)] for a in range(n)]
    p_all = option_probabilities(neutral, cap, p["voting_rule"], p["victory_prob_model"],
                                 p["pce_model"])
    lo, hi = min(p_all), max(p_all)
    if hi > lo:
        if p["big_r_range"] == "Min":
            R = [(q - lo) / (hi - lo) for q in p_all]
        elif p["big_r_range"] == "Mid":
            R = [(3 * q - (hi + 2 * lo)) / (2 * (hi - lo)) for q in p_all]
        else:
            R = [(2 * q - (hi + lo)) / (hi - lo) for q in p_all]
    else:
        R = [0.0] * n

    def U(h, a, b):
        return u(D[a][b], est_risk(R[h], R[a], p["big_r_adjust"]))

    # reported probability of each actor's position: unique positions, own utilities, Prop
    def same(i, j):
        if [bool(v) for v in act[i]] != [bool(v) for v in act[j]]:
            return False
        d = math.sqrt(sum((X[i][k] - X[j][k]) ** 2 for k in range(K) if act[i][k]))
        if abs(d - 1e-3) < NEAR:
            raise Fragile("position tolerance")
        return d < 1e-3
    uniq = []
    for i in range(n):
        if not any(same(i, q) for q in uniq):
            uniq.append(i)
    own = [[U(a, a, uniq[b]) for b in range(len(uniq))] for a in range(n)]
    pu = option_probabilities(own, cap, "Prop", p["victory_prob_model"], p["pce_model"])
    prob = []
    for i in range(n):
        last = None
        for q in range(len(uniq)):
            if same(i, uniq[q]):
                last = q
        prob.append(pu[last])

    def estimate(h, k, i, j):
        rule = p["voting_rule"]
        uii, uij, uji, ujj = U(h, i, i), U(h, i, j), U(h, j, i), U(h, j, j)
        ci = vote(rule, tot[i] * cap[i], uii, uij)
        cj = vote(rule, tot[j] * cap[j], uji, ujj)
        cij = cji = 1e-10
        if ci > 0:
            cij += ci
        if ci < 0:
            cji -= ci
        if cj > 0:
            cij += cj
        if cj < 0:
            cji -= cj
        base_ij, base_ji = cij, cji
        for m in range(n):
            if m in (i, j):
                continue
            umi, umj, umm = U(h, m, i), U(h, m, j), U(h, m, m)
            vm = vote(rule, tot[m] * cap[m], umi, umj)
            a1 = base_ij + vm if vm > 0 else base_ij
            a2 = base_ji - vm if vm < 0 else base_ji
            pin = a1 / (a1 + a2)
            pjn = 1.0 - pin
            # m's utility of the three positions after each outcome, siding with i or with j
            commit = p["third_party_commit"]
            if commit == "FullCommit":    # losers and their allies adopt the winner's position
                i_wins_with_i, j_wins_with_i = umi + umi + umi, umj + umj + umj
                i_wins_with_j, j_wins_with_j = umi + umi + umi, umj + umj + umj
            elif commit == "SemiCommit":  # m keeps its own position if its side wins
                i_wins_with_i, j_wins_with_i = umi + umi + umm, umj + umj + umj
                i_wins_with_j, j_wins_with_j = umi + umi + umi, umj + umj + umm
            else:                         # m always keeps its own position
                i_wins_with_i, j_wins_with_i = umi + umi + umm, umj + umj + umm
                i_wins_with_j, j_wins_with_j = umi + umi + umm, umj + umj + umm
            # the preference for siding with i, outcome by outcome
            prefer_i = (pin * (i_wins_with_i - i_wins_with_j)
                        + pjn * (j_wins_with_i - j_wins_with_j))
            v = vote(rule, tot[m] * cap[m], prefer_i, 0.0)
            if v > 0:
                cij += v
            if v < 0:
                cji -= v
        pij, pji = cij / (cij + cji), cji / (cij + cji)
        uki, ukj = U(h, k, i), U(h, k, j)
        challenge = (1 - tot[j]) * 2 * uki + tot[j] * (pij * 2 * uki + pji * 2 * ukj)
        return pij, challenge - (uki + ukj)

    # targeting
    target, p_win, gain = [-1] * n, [None] * n, [None] * n
    for i in range(n):
        gains = {}
        best = -1.0
        for j in range(n):
            if j == i:
                continue
            _, g = estimate(i, i, i, j)
            gains[j] = g
            if abs(g - 1e-5) < NEAR:
                raise Fragile("challenge threshold")
            if g > 1e-5 and g > best:
                best = g
        if best > 1e-5:
            tie = TIE * max(1.0, abs(best))
            for j in sorted(gains):
                gap = best - gains[j]
                if abs(gap - tie) < 1e-15:
                    raise Fragile("two targets on the tie threshold")
            best_j = min(j for j in gains if gains[j] >= best - tie)
            target[i], gain[i] = best_j, gains[best_j]
            p_win[i] = estimate(i, i, i, best_j)[0]

    # proposals
    def interp(i, j, pi, pj):
        bi, bj = list(X[i]), list(X[j])
        for k in range(K):
            if not (act[i][k] and act[j][k]):
                continue
            ti, tj, si, sj = X[i][k], X[j][k], S[i][k], S[j][k]
            how = p["inter_vec_brgn"]
            if how == "S2PMax":
                di, dj = max(0.0, pj - pi), max(0.0, pi - pj)
                dik = di * sj * sj / (di * sj * sj + 1e-6 + (1 - di) * si * si)
                djk = dj * si * si / (dj * si * si + 1e-6 + (1 - dj) * sj * sj)
                bi[k], bj[k] = ti + dik * (tj - ti), tj + djk * (ti - tj)
            else:
                e = 1 if how == "S1P1" else 2
                wi, wj = si ** e * pi ** e, sj ** e * pj ** e
                bi[k] = round4(((wi + 1e-6) * ti + wj * tj) / (wi + 1e-6 + wj))
                bj[k] = round4((wi * ti + (1e-6 + wj) * tj) / (wi + 1e-6 + wj))
        return bi, bj

    bargains = []  # (init, rcvr, pos_init, pos_rcvr)
    for i in range(n):
        j = target[i]
        if j < 0:
            continue
        mine = interp(i, j, p_win[i], 1 - p_win[i])
        if p["bargn_model"] == "InitOnlyInterp":
            bargains.append((i, j, *mine))
            continue
        pj_est, gj_est = estimate(j, i, i, j)
        x = gj_est if p["receiver_view"] == "ktab" else pj_est
        theirs = interp(i, j, x, 1 - x)
        if p["bargn_model"] == "InitRcvrInterp":
            bargains.append((i, j, *mine))
            bargains.append((i, j, *theirs))
            continue
        wi = cap[i] * tot[i]
        wj = (cap[i] if p["receiver_view"] == "ktab" else cap[j]) * tot[j]
        if wi + wj <= 0:
            bargains.append((i, j, *mine))
            continue
        bi = [(wi * mine[0][k] + wj * theirs[0][k]) / (wi + wj)
              if act[i][k] and act[j][k] else X[i][k] for k in range(K)]
        bj = [(wi * mine[1][k] + wj * theirs[1][k]) / (wi + wj)
              if act[i][k] and act[j][k] else X[j][k] for k in range(K)]
        bargains.append((i, j, bi, bj))

    # resolution
    def rating(a, b):
        # mean utility of the state after the bargain: the status quo's mean plus the change
        # in the two principals' positions (so an indifferent actor rates both exactly equal)
        status_quo = 0.0
        for m in range(n):
            status_quo += U(a, a, m)
        if b is None:
            return status_quo / n
        i, j, bi, bj = b
        after = u(dist(X[a], S[a], bi, act[i]), R[a]) + u(dist(X[a], S[a], bj, act[j]), R[a])
        before = U(a, a, i) + U(a, a, j)
        return status_quo / n + (after - before) / n

    new = [list(X[i]) for i in range(n)]
    partner, chosen_p = [-1] * n, [None] * n
    for k in range(n):
        queue = [None] + [b for b in bargains if k in (b[0], b[1])]
        if len(queue) == 1:
            probs = [1.0]
        else:
            util = [[rating(a, b) for b in queue] for a in range(n)]
            probs = option_probabilities(util, cap, p["voting_rule"], p["victory_prob_model"],
                                         p["pce_model"])
        if p["state_transitions"] == "Stochastic":
            draw = uniforms.pop(0) * sum(probs)
            acc, m = 0.0, len(probs) - 1
            for q, pq in enumerate(probs):
                acc += pq
                if abs(acc - draw) < NEAR:
                    raise Fragile("stochastic draw on a boundary")
                if acc > draw:
                    m = q
                    break
        else:
            top = max(probs)
            for q in range(len(probs)):
                gap = top - probs[q]
                if abs(gap - TIE * top) < 1e-15:
                    raise Fragile("two bargains on the tie threshold")
            m = min(q for q in range(len(probs)) if probs[q] >= top * (1 - TIE))
        chosen_p[k] = probs[m]
        b = queue[m]
        if b is not None:
            i, j, bi, bj = b
            new[k] = list(bi) if k == i else list(bj)
            partner[k] = j if k == i else i
    return {"new": new, "risk": R, "prob": prob, "target": target, "p_win": p_win,
            "gain": gain, "partner": partner, "chosen_p": chosen_p}


def model_saliences(sal, act, mode):
    n = len(sal)
    s = [[sal[i][k] if act[i][k] else 0.0 for k in range(len(sal[i]))] for i in range(n)]
    totals = [sum(row) for row in s]
    if mode == "given":
        return s
    if mode == "actor":
        return [[v / totals[i] if totals[i] > 0 else v for v in s[i]] for i in range(n)]
    top = max(totals)
    if top > 1.0 + 1e-12:
        return [[v / top for v in row] for row in s]
    return s


def run_turns(pos, sal, cap, active, low, high, turns, params, seed=0):
    """Run up to ``turns`` turns on actor-major lists (pos[i][k] on the issue's scale).

    Yields (turn result dict with positions mapped back, finished flag); actors absent from
    every issue are left out as the kernel does. Raises :class:`Fragile` where a decision sits
    on a boundary.
    """
    import numpy as np  # only for the random draws, to mirror the kernel's generator

    p = {**DEFAULTS, **params}
    rng = np.random.default_rng(seed)
    n_all, K = len(pos), len(pos[0])
    present = [i for i in range(n_all) if any(active[i])]
    pos = [list(row) for row in pos]
    delta1 = None
    for turn in range(1, turns + 1):
        X = [[(pos[i][k] - low[k]) / (high[k] - low[k]) if active[i][k] else 0.0
              for k in range(K)] for i in present]
        A = [list(active[i]) for i in present]
        S = model_saliences([sal[i] for i in present], A, p["salience_scaling"])
        C = []
        for i in present:
            vals = [cap[i][k] for k in range(K) if active[i][k]]
            C.append(sum(vals) / len(vals))
        uniforms = None
        if p["state_transitions"] == "Stochastic":
            uniforms = [float(rng.random()) for _ in present]
        res = one_turn(X, S, C, A, p, uniforms)
        delta = 0.0
        for q, i in enumerate(present):
            delta += math.sqrt(sum((res["new"][q][k] - X[q][k]) ** 2
                                   for k in range(K) if A[q][k]))
            for k in range(K):
                if active[i][k]:
                    pos[i][k] = low[k] + min(1.0, max(0.0, res["new"][q][k])) * (high[k] - low[k])
        if delta1 is None:
            delta1 = delta
        ratio = delta / (delta1 + p["min_significant_delta"])
        finished = turn >= p["max_turns"] or (turn >= 2 and ratio < p["min_delta_ratio"])
        res["positions"] = [list(row) for row in pos]
        res["present"] = present
        res["ratio"] = ratio
        yield res, finished
        if finished:
            return
