"""A slow, obvious, plain-Python implementation of the expected-utility round, used as the oracle
the vectorised kernel (negsim.rules.eum) must agree with. It shares no code with the kernel:
loops over actors, pairs and voters, written to follow docs/eum.md line by line.

One issue at a time. Inputs are plain lists; ``active[i]`` False means actor i takes no part.
"""

from __future__ import annotations

import math

DEFAULTS = {"probability": "scholz", "compromise_choice": "weighted_position", "q": 1.0,
            "range": "initial", "capitulation": True, "risk": "two_pass"}

HELD, CONFRONTATION, COMPROMISE, CAPITULATION, INACTIVE = 0, 1, 2, 3, -1


def weighted_median(x, w, active):
    """Smallest active position whose cumulative weight reaches half the total."""
    pts = sorted((x[i], w[i]) for i in range(len(x)) if active[i])
    if sum(wi for _, wi in pts) <= 0:
        pts = [(xi, 1.0) for xi, _ in pts]
    total = sum(wi for _, wi in pts)
    acc = 0.0
    for xi, wi in pts:
        acc += wi
        if wi > 0 and acc >= 0.5 * total:
            return xi
    return pts[-1][0]


def condorcet_winner(x, w, active):
    """Brute force: the lowest active position that no other position beats in a pairwise
    weighted vote with linear utilities (votes for the nearer of the two)."""
    cands = sorted({x[i] for i in range(len(x)) if active[i]})
    for a in cands:
        beaten = False
        for b in cands:
            if a == b:
                continue
            for_b = sum(w[i] * (abs(x[i] - a) - abs(x[i] - b)) for i in range(len(x)) if active[i])
            if for_b > 1e-12:
                beaten = True
                break
        if not beaten:
            return a
    return None


def initial_range(x, active):
    vals = [x[i] for i in range(len(x)) if active[i]]
    spread = max(vals) - min(vals) if vals else 0.0
    return spread if spread > 0 else 1.0


def round_range(x, active, base, mode, low, high):
    vals = [x[i] for i in range(len(x)) if active[i]]
    spread = max(vals) - min(vals) if vals else 0.0
    if mode == "scale":
        return high - low, base
    if mode == "dynamic":
        return (spread if spread > 0 else 1.0), base
    widened = max(base, spread)
    return widened, widened


def one_round(x, c, s, active, R, params):
    """Return (new_x, kind, partner, eu_self, eu_partner, risk, security, view, fragile) for one
    issue.

    view[i, j] = (E_ij, E_ji) with i's exponent for every active i != j. ``fragile`` is True if
    some decision sat within 1e-9 of a boundary (an offer class or a tie between different
    destinations), where rounding in a different summation order may legitimately flip it.
    """
    p = {**DEFAULTS, **params}
    n = len(x)
    act = [i for i in range(n) if active[i]]
    w = [c[i] * s[i] if active[i] else 0.0 for i in range(n)]
    q = p["q"]
    mu = weighted_median(x, w, active)

    def dist_pow(k, a, r):
        return (abs(x[k] - x[a]) / R) ** r[k]

    def denominator(r):
        total = 0.0
        for k in act:
            for a in act:
                for b in act:
                    total += abs(w[k] * (dist_pow(k, b, r) - dist_pow(k, a, r)))
        return total

    def prob(i, j, r, den):
        if x[i] == x[j]:
            return 0.0
        if p["probability"] == "scholz":
            num = 0.0
            for k in act:
                num += max(0.0, w[k] * (dist_pow(k, j, r) - dist_pow(k, i, r)))
            return num / den if den > 0 else 0.0
        num = 0.0
        signed = 0.0
        absum = 0.0
        for k in act:
            a_k = abs(x[k] - x[j]) - abs(x[k] - x[i])
            if a_k > 0:
                num += w[k] * a_k
            signed += w[k] * a_k
            absum += w[k] * abs(a_k)
        if absum <= 0:
            return 0.0
        if p["probability"] == "literal":
            return num / absum
        return max(0.0, signed) / absum

    def eu(a, b, r_exp, P):
        d = min(1.0, abs(x[a] - x[b]) / R)
        u_s = 2 - 4 * (0.5 - 0.5 * d) ** r_exp
        u_f = 2 - 4 * (0.5 + 0.5 * d) ** r_exp
        u_sq = 2 - 4 * 0.5 ** r_exp
        value = s[b] * (P * u_s + (1 - P) * u_f) + (1 - s[b]) * u_s - q * u_sq
        if q != 1.0:
            spread = min(0.5, 0.25 * (abs(x[a] - mu) + abs(x[a] - x[b])) / R)
            u_b = 2 - 4 * (0.5 - spread) ** r_exp
            u_w = 2 - 4 * (0.5 + spread) ** r_exp
            T = abs(x[a] - mu) < abs(x[a] - x[b])
            value -= (1 - q) * (u_b if T else u_w)
        return value

    # pass 1 (everyone risk-neutral) and risk exponents
    r = [1.0] * n
    security = [0.0] * n
    if p["risk"] == "two_pass":
        den1 = denominator(r) if p["probability"] == "scholz" else 0.0
        for i in act:
            for j in act:
                if j != i:
                    security[i] += eu(j, i, 1.0, prob(j, i, r, den1))
        hi = max(security[i] for i in act)
        lo = min(security[i] for i in act)
        if hi - lo > 1e-12 * max(1.0, abs(hi), abs(lo)):
            for i in act:
                Ri = (2 * security[i] - hi - lo) / (hi - lo)
                r[i] = (1 - Ri / 3) / (1 + Ri / 3)

    den2 = denominator(r) if p["probability"] == "scholz" else 0.0
    new_x = list(x)
    kind = [INACTIVE if not active[i] else HELD for i in range(n)]
    partner = [-1] * n
    eu_self = [None] * n
    eu_partner = [None] * n
    view = {}
    margins = [1.0]
    for i in act:
        confs, comps, caps = [], [], []
        for j in act:
            if j == i:
                continue
            e_ij = eu(i, j, r[i], prob(i, j, r, den2))
            e_ji = eu(j, i, r[i], prob(j, i, r, den2))
            view[i, j] = (e_ij, e_ji)
            if x[i] == x[j]:
                continue
            margins.extend([abs(e_ji - e_ij), abs(e_ij), abs(e_ji), abs(e_ji - abs(e_ij))])
            if e_ji > e_ij > 0:
                confs.append((abs(x[j] - x[i]), j, x[j], e_ij, e_ji))
            elif e_ji > 0 > e_ij:
                if e_ji > abs(e_ij):
                    dest = x[i] + (x[j] - x[i]) * abs(e_ij / e_ji)
                    if p["compromise_choice"] == "weighted_position":
                        key = (abs(e_ij) * x[i] + abs(e_ji) * x[j]) / (abs(e_ij) + abs(e_ji))
                    else:
                        key = abs(dest - x[i])
                    comps.append((key, j, dest, e_ij, e_ji))
                elif p["capitulation"]:
                    caps.append((abs(x[j] - x[i]), j, x[j], e_ij, e_ji))
        for label, options in ((CONFRONTATION, confs), (COMPROMISE, comps), (CAPITULATION, caps)):
            if options:
                keys = sorted(options)
                # Confrontation and capitulation keys are exact differences of positions, so
                # ties there break the same way in any implementation; compromise keys are
                # computed from expected utilities and may round differently.
                if label == COMPROMISE and len(keys) > 1 and keys[1][0] - keys[0][0] < 1e-9 \
                        and abs(keys[1][2] - keys[0][2]) > 1e-12:
                    margins.append(0.0)
                best = options[0]
                for opt in options[1:]:
                    if opt[0] < best[0]:  # strict: ties keep the earlier proposer
                        best = opt
                kind[i] = label
                partner[i] = best[1]
                new_x[i] = best[2]
                eu_self[i] = best[3]
                eu_partner[i] = best[4]
                break
    risk = [r[i] if active[i] else None for i in range(n)]
    sec = [security[i] if active[i] else None for i in range(n)]
    fragile = min(margins) < 1e-9
    return new_x, kind, partner, eu_self, eu_partner, risk, sec, view, fragile


def run_rounds(x, c, s, active, rounds, params, low=0.0, high=100.0):
    """Several rounds on one issue; returns the list of per-round outputs of one_round."""
    p = {**DEFAULTS, **params}
    base = initial_range(x, active)
    x = list(x)
    history = []
    for _ in range(rounds):
        R, base = round_range(x, active, base, p["range"], low, high)
        out = one_round(x, c, s, active, R, p)
        history.append(out)
        x = out[0]
    return history


def is_finite(v):
    return v is None or math.isfinite(v)
