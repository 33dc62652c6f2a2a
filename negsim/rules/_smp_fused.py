"""The O(N^3) passes of KTAB's SMP (:mod:`negsim.rules.smp`) as numba-compiled loops: the
``"fused"`` backend of :mod:`negsim.rules.kernels`.

Profiling a whole KTAB run (``experiments/bench_smp.py``; 160 actors: 1.8 s) puts two thirds of
the time in the targeting pass (:func:`negsim.rules.smp.own_challenges`: every initiator i,
target j and third party n) and most of the rest in the coalition strengths of the
assessment's probabilistic Condorcet elections (:func:`negsim.rules.smp_pce.coalitions`: every
voter and ordered pair of options). Both are here as plain loops over the same equations, the
innermost loop running over contiguous memory so that it vectorises, with no (N, N, N)
temporaries at all. The rest of the turn (PCE fixed points, proposals, queues) is O(N^2) or
smaller and stays in numpy.

Same results as the numpy code to 1e-9, not bit for bit: sums over third parties and voters
run in another order (``fastmath`` reassociation is allowed for those sums only; no other
fast-math assumption is made, so infinities and NaN behave as in numpy).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["VOTE_CODES", "COMMIT_CODES", "own_challenges", "coalitions"]

VOTE_CODES = {"Binary": 0, "PropBin": 1, "Prop": 2, "PropCbc": 3, "Cubic": 4, "ASymProsp": 5}
COMMIT_CODES = {"NoCommit": 0, "SemiCommit": 1, "FullCommit": 2}
_BINARY, _PROPBIN, _PROP, _PROPCBC, _CUBIC, _ASYM = 0, 1, 2, 3, 4, 5
_MIN_CHALLENGE = 1e-10   # = smp.MIN_CHALLENGE_COALITION
_MIN_COALITION = 1e-8    # = smp_pce.MIN_COALITION
_BINARY_STEP = 1e-8      # = smp_pce._BINARY_STEP


@njit(cache=True, error_model="numpy")
def _utility(d, r):
    """``u(d; R) = (1 - d)(1 + min(d, 1) R)`` (smp.utility)."""
    return (1.0 - d) * (1.0 + min(d, 1.0) * r)


@njit(cache=True, error_model="numpy")
def _vote(rule, w, du):
    """Influence for a over b of a voter of weight w with ``du = u(a) - u(b)``
    (smp_pce.vote)."""
    if rule == _PROP:
        return w * du
    if rule == _BINARY:
        return w * min(max(du / _BINARY_STEP, -1.0), 1.0)
    if rule == _PROPBIN:
        return w * ((1.0 - 0.2) * du + 0.2 * min(max(du / _BINARY_STEP, -1.0), 1.0))
    if rule == _PROPCBC:
        return w * ((1.0 - 0.5) * du + 0.5 * (du * du * du))
    if rule == _CUBIC:
        return w * (du * du * du)
    # ASymProsp: a gain counts two thirds as much as a loss
    return w * du if du < 0.0 else ((2.0 * w * du) / 3.0 if du > 0.0 else 0.0)


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _third_parties(i, j, rule, Dt, Rt, weight, u_at_i, u_self, c_ij, c_ji):
    """Third parties' contributions to ``C(i:j)`` and ``C(j:i)`` under SemiCommit, from i's
    view: each n (not i, not j) judges the little conflict, then votes on
    ``p_in (u_nn - u_ni) + (1 - p_in)(u_nj - u_nn)`` (see smp.own_challenges). The default
    proportional vote has its own loop: with the rule switch inside, the loop vectorises
    about half as well."""
    add_ij = 0.0
    add_ji = 0.0
    d_j, r_i, u_ni_row, u_nn_row = Dt[j], Rt[i], u_at_i[i], u_self[i]
    if rule == _PROP:
        for n in range(Dt.shape[0]):
            w = weight[n]
            u_nj = _utility(d_j[n], r_i[n])
            u_ni, u_nn = u_ni_row[n], u_nn_row[n]
            v_n = w * (u_ni - u_nj)
            side_i = c_ij + max(v_n, 0.0)
            side_j = c_ji - min(v_n, 0.0)
            p_in = side_i / (side_i + side_j)
            v_t = w * (p_in * (u_nn - u_ni) + (1.0 - p_in) * (u_nj - u_nn))
            third = n != i and n != j
            add_ij += max(v_t, 0.0) if third else 0.0
            add_ji -= min(v_t, 0.0) if third else 0.0
        return add_ij, add_ji
    for n in range(Dt.shape[0]):
        w = weight[n]
        u_nj = _utility(d_j[n], r_i[n])
        u_ni, u_nn = u_ni_row[n], u_nn_row[n]
        v_n = _vote(rule, w, u_ni - u_nj)
        side_i = c_ij + max(v_n, 0.0)
        side_j = c_ji - min(v_n, 0.0)
        p_in = side_i / (side_i + side_j)
        v_t = _vote(rule, w, p_in * (u_nn - u_ni) + (1.0 - p_in) * (u_nj - u_nn))
        third = n != i and n != j
        add_ij += max(v_t, 0.0) if third else 0.0
        add_ji -= min(v_t, 0.0) if third else 0.0
    return add_ij, add_ji


@njit(cache=True, error_model="numpy")
def own_challenges_kernel(rule, commit, D, Rt, own, weight, total_sal, p_out, gain_out):
    """``p_out[i, j]``, ``gain_out[i, j]``: i's own estimate that it would beat j, and of its
    expected gain from challenging j (smp.own_challenges, same equations)."""
    N = D.shape[0]
    Dt = np.ascontiguousarray(D.T)
    u_self = np.empty((N, N))       # [i, n]: U^i(n, n)
    u_at_i = np.empty((N, N))       # [i, n]: U^i(n, i)
    for i in range(N):
        for n in range(N):
            u_self[i, n] = _utility(D[n, n], Rt[i, n])
            u_at_i[i, n] = _utility(Dt[i, n], Rt[i, n])
    for i in range(N):
        u_ii = u_self[i, i]
        for j in range(N):
            u_ij = own[i, j]
            v_i = _vote(rule, weight[i], u_ii - u_ij)
            v_j = _vote(rule, weight[j], u_at_i[i, j] - u_self[i, j])
            c_ij = _MIN_CHALLENGE + max(v_i, 0.0) + max(v_j, 0.0)
            c_ji = _MIN_CHALLENGE - min(v_i, 0.0) - min(v_j, 0.0)
            if commit == 1:
                add_ij, add_ji = _third_parties(i, j, rule, Dt, Rt, weight, u_at_i, u_self,
                                                c_ij, c_ji)
                c_ij += add_ij
                c_ji += add_ji
            p_ij = c_ij / (c_ij + c_ji)
            p_ji = c_ji / (c_ij + c_ji)
            victory = u_ii + u_ii
            contest = p_ij * victory + p_ji * (u_ij + u_ij)
            s_j = total_sal[j]
            p_out[i, j] = p_ij
            gain_out[i, j] = (1 - s_j) * victory + s_j * contest - (u_ii + u_ij)


def own_challenges(rule: str, commit: str, D: np.ndarray, Rt: np.ndarray, own: np.ndarray,
                   weight: np.ndarray, total_sal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(P, G)`` of :func:`negsim.rules.smp.own_challenges`, compiled."""
    N = D.shape[0]
    P = np.empty((N, N))
    G = np.empty((N, N))
    own_challenges_kernel(VOTE_CODES[rule], COMMIT_CODES[commit], np.ascontiguousarray(D),
                          np.ascontiguousarray(Rt), np.ascontiguousarray(own),
                          np.ascontiguousarray(weight, dtype=np.float64),
                          np.ascontiguousarray(total_sal, dtype=np.float64), P, G)
    return P, G


@njit(cache=True, error_model="numpy")
def coalitions_kernel(rule, U, w, C):
    """``C[q, a, b] = 1e-8 + sum_k max(0, v_k(a:b))`` (diagonal 1e-8) for a batch of elections
    ``U[q, k, a]`` with voter weights ``w[q, k]`` (smp_pce.coalitions; for ASymProsp the pair
    a > b is voted as v(a:b) with gains at 2/3, a < b as the plain difference)."""
    Q, V, M = U.shape
    for q in range(Q):
        Cq = C[q]
        for a in range(M):
            for b in range(M):
                Cq[a, b] = 0.0
        for k in range(V):
            wk = w[q, k]
            uk = U[q, k]
            for a in range(M):
                ua = uk[a]
                row = Cq[a]
                if rule == _PROP:
                    for b in range(M):
                        row[b] += max(wk * (ua - uk[b]), 0.0)
                elif rule == _ASYM:
                    for b in range(M):
                        du = ua - uk[b]
                        v = (2.0 * wk * du) / 3.0 if a > b else wk * du
                        row[b] += max(v, 0.0)
                else:
                    for b in range(M):
                        row[b] += max(_vote(rule, wk, ua - uk[b]), 0.0)
        for a in range(M):
            for b in range(M):
                Cq[a, b] += _MIN_COALITION
            Cq[a, a] = _MIN_COALITION


def coalitions(U: np.ndarray, w: np.ndarray, rule: str) -> np.ndarray:
    """:func:`negsim.rules.smp_pce.coalitions` (any leading batch axes), compiled."""
    U = np.asarray(U, dtype=np.float64)
    *batch, V, M = U.shape
    Uf = np.ascontiguousarray(U.reshape(-1, V, M))
    wf = np.ascontiguousarray(np.broadcast_to(np.asarray(w, dtype=np.float64),
                                              U.shape[:-1]).reshape(-1, V))
    C = np.empty((Uf.shape[0], M, M))
    coalitions_kernel(VOTE_CODES[rule], Uf, wf, C)
    return C.reshape(*batch, M, M)
