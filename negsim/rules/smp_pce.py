"""Voting, coalitions, victory probabilities and probabilistic Condorcet elections (PCE) for the
SMP rule (:mod:`negsim.rules.smp`): the generic machinery KTAB keeps in its model base class.

Everything here is a vectorised function of plain arrays. Options are compared pairwise by
voters who cast influence in proportion to their weight and to how much more they like one
option than the other (the voting rule); the influence for each option against each other one
adds up to a coalition strength; strengths give pairwise victory probabilities (the victory
probability model); and the pairwise probabilities give one probability per option (the PCE
model). Batches are leading axes: ``U[..., voter, option]``.

Constants are KTAB's: coalitions start from 1e-8, the binary vote saturates at a utility
difference of 1e-8, the binary victory model is certain at a 10% advantage, the Markov PCEs
iterate with damping 1/2 until the largest change is below 1e-6 (uniform) or 1e-8 (incentive).
"""

from __future__ import annotations

import numpy as np

from . import kernels

__all__ = ["VOTING_RULES", "VP_MODELS", "PCE_MODELS", "BIG_R_RANGES", "BIG_R_ADJUSTS",
           "vote", "coalitions", "victory_probabilities", "pce", "big_r_from_prob",
           "adjust_risk", "MIN_COALITION"]

VOTING_RULES = ("Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp")
VP_MODELS = ("Linear", "Square", "Quartic", "Octic", "Binary")
PCE_MODELS = ("Conditional", "MarkovIncentive", "MarkovUniform")
BIG_R_RANGES = ("Min", "Mid", "Max")
BIG_R_ADJUSTS = ("None", "OneThird", "Half", "TwoThirds", "Full")

#: Every coalition (and the diagonal) starts from this strength, so no ratio is 0/0.
MIN_COALITION = 1e-8
_BINARY_STEP = 1e-8      # utility difference at which a binary vote is fully cast
_BINARY_THRESHOLD = 1.10  # strength ratio at which the binary victory model is certain
_MARKOV_MAX_ITER = 1000


def vote(rule: str, w: np.ndarray | float, du: np.ndarray) -> np.ndarray:
    """Influence cast for option a over option b by a voter of weight ``w`` whose utility
    difference is ``du = u(a) - u(b)`` (positive: for a). Broadcasts."""
    if rule == "Prop":
        return w * du
    if rule == "Binary":
        return w * np.clip(du / _BINARY_STEP, -1.0, 1.0)
    if rule == "PropBin":
        return w * ((1 - 0.2) * du + 0.2 * np.clip(du / _BINARY_STEP, -1.0, 1.0))
    if rule == "PropCbc":
        return w * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == "Cubic":
        return w * (du * du * du)
    if rule == "ASymProsp":
        # prospect-theory flavour: a gain counts two thirds as much as a loss
        return np.where(du < 0.0, w * du, np.where(du > 0.0, (2.0 * w * du) / 3.0, 0.0))
    raise ValueError(f"unknown voting rule {rule!r}")


def coalitions(U: np.ndarray, w: np.ndarray, rule: str, block: int = 1 << 21) -> np.ndarray:
    """Coalition strengths ``C[..., a, b]``: total influence for option a against option b.

    ``U[..., k, a]`` is voter k's utility of option a, ``w[..., k]`` its weight (broadcast
    against the voter axis). ``C[a, b] = 1e-8 + sum_k max(0, v_k(a:b))`` with the diagonal 1e-8.
    Votes are symmetric (``v(a:b) = -v(b:a)``) for every rule but ``ASymProsp``; for that one
    the pair (a, b) with a > b is voted as ``v(a:b)``, so a voter preferring the later option a
    adds two thirds of its difference to ``C[a, b]`` and one preferring the earlier option b
    adds the whole difference to ``C[b, a]`` (KTAB scans pairs in that order).

    Work is split over voters so that no temporary exceeds ``block`` elements. With the fused
    backend (:mod:`negsim.rules.kernels`) the same sums run compiled, without temporaries.
    """
    if kernels.backend(len(w)) == "fused":
        from . import _smp_fused  # imports numba: first fused call only

        return _smp_fused.coalitions(U, w, rule)
    U = np.asarray(U, dtype=float)
    w = np.broadcast_to(np.asarray(w, dtype=float), U.shape[:-1])
    *batch, V, M = U.shape
    C = np.zeros((*batch, M, M))
    per_voter = max(1, int(np.prod(batch, dtype=np.int64)) * M * M)
    step = max(1, block // per_voter)
    lower = np.tri(M, k=-1, dtype=bool)
    for start in range(0, V, step):
        u = U[..., start:start + step, :]
        wk = w[..., start:start + step, None, None]
        du = u[..., :, :, None] - u[..., :, None, :]            # [.., k, a, b] = u_ka - u_kb
        if rule == "ASymProsp":
            # a > b: v(a:b) as voted, positive part; a < b: minus the negative part of v(b:a)
            v = np.where(lower, (2.0 * wk * du) / 3.0, wk * du)
        else:
            v = vote(rule, wk, du)
        C += np.maximum(v, 0.0).sum(axis=-3)
    C += MIN_COALITION
    diag = np.arange(M)
    C[..., diag, diag] = MIN_COALITION
    return C


def victory_probabilities(C: np.ndarray, model: str) -> np.ndarray:
    """``P[..., a, b]``: probability that option a beats option b given coalition strengths
    (``P[a, b] + P[b, a] = 1``, ``P[a, a] = 1/2``)."""
    Ct = np.swapaxes(C, -1, -2)
    if model == "Binary":
        ratio = C / (C + Ct)
        interp = (ratio * (_BINARY_THRESHOLD + 1.0) - 1.0) / (_BINARY_THRESHOLD - 1.0)
        win = C >= _BINARY_THRESHOLD * Ct
        lose = Ct >= _BINARY_THRESHOLD * C
        x1 = np.where(win, 1.0, np.where(lose, 1e-6, interp))
        x2 = np.where(win, 1e-6, np.where(lose, 1.0, 1.0 - interp))
        P = x1 / (x1 + x2)
    else:
        if model == "Linear":
            x1, x2 = C, Ct
        elif model == "Square":
            x1, x2 = C * C, Ct * Ct
        elif model == "Quartic":
            x1, x2 = (C * C) * (C * C), (Ct * Ct) * (Ct * Ct)
        elif model == "Octic":
            q1, q2 = (C * C) * (C * C), (Ct * Ct) * (Ct * Ct)
            x1, x2 = q1 * q1, q2 * q2
        else:
            raise ValueError(f"unknown victory probability model {model!r}")
        P = x1 / (x1 + x2)
    P = np.clip(P, 0.0, 1.0)
    M = C.shape[-1]
    diag = np.arange(M)
    P[..., diag, diag] = 0.5
    return P


def pce(P: np.ndarray, model: str, C: np.ndarray | None = None) -> np.ndarray:
    """Probability of each option (``[..., M]``, summing to 1) from pairwise victory
    probabilities ``P[..., a, b]`` (and coalition strengths ``C`` for ``MarkovIncentive``).

    ``Conditional``: p_a proportional to prod_b P[a, b] (self factor 1/2 included), computed as
    a sum of logarithms so that many options cannot underflow. ``MarkovUniform`` and
    ``MarkovIncentive``: the damped fixed-point iterations of the module docstring; each batch
    element stops on its own tolerance, exactly as if it were iterated alone.
    """
    P = np.asarray(P, dtype=float)
    M = P.shape[-1]
    if model == "Conditional":
        with np.errstate(divide="ignore"):
            logp = np.log(P).sum(axis=-1)
        top = logp.max(axis=-1, keepdims=True)
        p = np.exp(logp - top)
        return p / p.sum(axis=-1, keepdims=True)
    batch = P.shape[:-2]
    Pf = P.reshape(-1, M, M)
    p = np.full((Pf.shape[0], M), 1.0 / M)
    if model == "MarkovUniform":
        tol = 1e-6

        def update(p: np.ndarray, rows: np.ndarray) -> np.ndarray:
            Pr = Pf[rows]
            return (Pr * (p[:, :, None] + p[:, None, :])).sum(axis=-1) / M
    elif model == "MarkovIncentive":
        if C is None:
            raise ValueError("MarkovIncentive needs the coalition strengths")
        tol = 1e-8
        Cf = np.asarray(C, dtype=float).reshape(-1, M, M)
        incentive = Cf * Pf
        diag = np.arange(M)
        incentive[:, diag, diag] += 1e-10
        # chance that option a is the challenger when b is the favourite
        challenge = incentive / incentive.sum(axis=1, keepdims=True)

        def update(p: np.ndarray, rows: np.ndarray) -> np.ndarray:
            Pr, Ch = Pf[rows], challenge[rows]
            flow = p[:, :, None] * np.swapaxes(Ch, 1, 2) + p[:, None, :] * Ch
            return (Pr * flow).sum(axis=-1)
    else:
        raise ValueError(f"unknown PCE model {model!r}")
    live = np.arange(p.shape[0])
    for _ in range(_MARKOV_MAX_ITER):
        if live.size == 0:
            break
        q = update(p[live], live)
        change = np.abs(q - p[live]).max(axis=1)
        p[live] = (p[live] + q) / 2.0
        live = live[change > tol]
    return p.reshape(*batch, M)


def big_r_from_prob(p: np.ndarray, rng: str) -> np.ndarray:
    """Risk attitudes from position probabilities: the most probable position gets +1
    (risk-averse), the least probable 0 (``Min``), -1/2 (``Mid``) or -1 (``Max``). All zero
    (risk-neutral) if every probability is the same, where the rescaling is undefined."""
    p = np.asarray(p, dtype=float)
    lo, hi = p.min(), p.max()
    if not hi > lo:
        return np.zeros_like(p)
    if rng == "Min":
        return (p - lo) / (hi - lo)
    if rng == "Mid":
        return (3 * p - (hi + 2 * lo)) / (2 * (hi - lo))
    if rng == "Max":
        return (2 * p - (hi + lo)) / (hi - lo)
    raise ValueError(f"unknown BigRRange {rng!r}")


def adjust_risk(r_h: np.ndarray, r_i: np.ndarray, adjust: str) -> np.ndarray:
    """h's estimate of i's risk attitude: anchored on its own ``r_h``, adjusted toward ``r_i``."""
    if adjust == "Full":
        return r_i + 0.0 * r_h
    if adjust == "TwoThirds":
        return (r_h + 2.0 * r_i) / 3.0
    if adjust == "Half":
        return (r_h + r_i) / 2
    if adjust == "OneThird":
        return (2.0 * r_h + r_i) / 3.0
    if adjust == "None":
        return r_h + 0.0 * r_i
    raise ValueError(f"unknown BigRAdjust {adjust!r}")
