"""KTAB's Spatial Model of Politics (SMP), after the KAPSARC Toolkit for Behavioral Analysis
(KAPSARC; MIT licence, (c) 2015 KAPSARC), reimplemented from its equations.

Actors hold one position in a joint space of all issues ("dimensions"), weigh the dimensions by
their saliences, and bargain over whole positions. One round (KTAB: one turn), on positions
normalised to 0-1 per dimension:

1. **Distance and utility.** ``d_ij = sqrt(sum_k (s_ik (x_ik - x_jk))^2 / sum_k s_ik^2)``, the
   distance from i's position to j's weighted by i's own saliences;
   ``u(d; R) = (1 - d)(1 + d R)`` (``(1 - d)(1 + R)`` beyond d = 1), so R = 0 is linear, R = +1
   the concave ``1 - d^2`` (risk-averse) and R < 0 convex.
2. **Assessment.** With everyone risk-neutral and each actor's capability as its weight, a
   probabilistic Condorcet election (PCE, :mod:`negsim.rules.smp_pce`) over all actors'
   positions gives each position a probability; rescaled (``big_r_range``) they become the
   risk attitudes R_i, the most probable position getting +1. Actor h estimates i's attitude
   as a mix of its own and i's (``big_r_adjust``); ``U^h(i, j) = u(d_ij; R^h_i)``.
3. **Targeting.** For every ordered pair, actor i estimates (from its own ``U^i``) the
   probability that it would beat j: i and j weigh in with ``vote(c S, ...)`` (S = total
   salience), and every third party n first judges the "little conflict" among i, j and itself,
   then votes for the side whose victory it values more, the valuation depending on what it
   expects to have to adopt (``third_party_commit``). With ``P = C(i:j)/(C(i:j) + C(j:i))``
   and ``U = U^i``, i's expected gain from challenging j is
   ``(1 - S_j) 2U_ii + S_j [P 2U_ii + (1 - P) 2U_ij] - (U_ii + U_ij)``; i targets the j with
   the largest gain if it exceeds 1e-5 (the first of gains equal within 1e-12 relative).
4. **Proposal.** Per dimension both are offered a weighted point between their positions
   (``inter_vec_brgn``; S2P2 weights ``s^2 P^2``, rounded to 4 decimals of the 0-1 scale), from
   the initiator's view, the receiver's, or their power-weighted compromise (``bargn_model``).
5. **Resolution.** Each actor's queue holds its status quo and every bargain it is party to
   (initiators in actor order). Every actor rates each bargain as the mean, over all actors, of
   its utility of their positions with the two bargainers' positions replaced, using its own R;
   a PCE over the queue (capability weights, the model's voting, victory and PCE rules) picks
   the bargain: the most probable, the first of probabilities equal within 1e-12 relative
   (``state_transitions: Deterministic``), or one drawn with the run's random generator
   (``Stochastic``). The actor adopts its side of it.
6. **Stopping.** ``Delta_t = sum_i |x_i(t) - x_i(t-1)|`` (Euclidean, 0-1 units); the rule
   reports ``finished`` at turn 100 or from turn 2 on when ``Delta_t / (Delta_1 + 1e-4) < 0.02``.

The algebra that keeps this fast: every rating of a bargain is the rater's status-quo mean plus
the change in two terms (so all queues cost O(actors x bargains), not a new state per bargain);
in the targeting of all N^2 pairs, only a third party's utility of the target's position needs
the full (initiator, target, third party) array, and its vote reduces to a two-term difference,
so the whole step is a few O(N^3) array passes in blocks; queues of equal length are resolved
together as one batch.

negsim-specific choices (see ``docs/smp.md`` for the full ledger):

* Scales: each issue is mapped to 0-1 by its own scale (``low``/``high``) and back; KTAB files
  are 0-100, so this is KTAB's division by 100.
* Saliences: per issue on 0-1, as KTAB's after division by 100. KTAB requires each actor's total
  to be at most 1; with ``salience_scaling: auto`` they are used as given when every total is at
  most 1 and otherwise all divided by the largest total (relative engagement is kept);
  ``actor`` divides each actor's saliences by its own total, ``given`` never rescales.
* Capability: the mean of the actor's per-issue capabilities over the issues it takes part in
  (the single KTAB capability when there are no per-issue overrides).
* Absent actors (``active[k, i]`` False): salience 0 on that dimension, so their own coordinate
  there never enters their distances; when another actor measures its distance to them, that
  dimension contributes no difference (it is not voted on); a bargain never changes a
  coordinate on a dimension where either party is absent; the coordinate is not moved, not
  counted in Delta and not reported. An actor absent from every issue is left out entirely.
* Zero total salience: the actor is indifferent (distance 0 to everything) instead of KTAB's
  division by zero; all-equal position probabilities give R = 0 for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import kernels, register
from .base import BargainingState, MoveKind, Param, RoundOutcome, Rule
from .smp_pce import (BIG_R_ADJUSTS, BIG_R_RANGES, PCE_MODELS, VOTING_RULES, VP_MODELS,
                      adjust_risk, big_r_from_prob, coalitions, pce, victory_probabilities, vote)

__all__ = ["RULE", "step", "init", "Assessment", "assess", "distances", "utility",
           "challenge_estimates", "own_challenges", "best_targets", "propose", "resolve",
           "interpolate_bargain", "normalised_saliences", "Bargains"]

THIRD_PARTY_COMMITS = ("NoCommit", "SemiCommit", "FullCommit")
INTER_VEC_BRGNS = ("S1P1", "S2P2", "S2PMax")
BARGN_MODELS = ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp")
STATE_TRANSITIONS = ("Deterministic", "Stochastic")

MIN_CHALLENGE_COALITION = 1e-10   # principals' coalitions start here in the targeting step
MIN_GAIN = 1e-5                   # smallest expected gain worth a challenge
POSITION_TOLERANCE = 1e-3         # two positions are "the same" within this (0-1 units)
TIE = 1e-12                       # relative gap below which the best options count as tied
_BLOCK = 1 << 20                  # elements per temporary in the O(N^3) passes


# ------------------------------------------------------------------------------------------
# geometry and utility


def utility(d: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    """``u(d; R) = (1 - d)(1 + d R)`` for d <= 1, ``(1 - d)(1 + R)`` beyond."""
    return (1.0 - d) * (1.0 + np.minimum(d, 1.0) * r)


def distances(ref: np.ndarray, sal: np.ndarray, pts: np.ndarray, pts_active: np.ndarray
              ) -> np.ndarray:
    """``D[a, b]``: salience-weighted RMS distance from ``ref[a]`` to ``pts[b]`` with a's
    saliences, skipping the dimensions b takes no part in. ``ref, sal: (A, K)``; ``pts,
    pts_active: (B, K)``. A rater with zero total salience is at distance 0 from everything."""
    s2 = sal * sal
    total = s2.sum(axis=1)
    A, B = ref.shape[0], pts.shape[0]
    out = np.empty((A, B))
    step = max(1, _BLOCK // max(1, B * ref.shape[1]))
    for a0 in range(0, A, step):
        sl = slice(a0, a0 + step)
        diff = (ref[sl, None, :] - pts[None, :, :]) * sal[sl, None, :]
        diff = np.where(pts_active[None, :, :], diff, 0.0)
        out[sl] = (diff * diff).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(out / total[:, None])
    return np.where(total[:, None] > 0, d, 0.0)


def normalised_saliences(sal: np.ndarray, active: np.ndarray, mode: str) -> np.ndarray:
    """Saliences as the model uses them (actors x dimensions), 0 where absent (see module
    docstring for the modes)."""
    s = np.where(active, sal, 0.0)
    totals = s.sum(axis=1)
    if mode == "given":
        return s
    if mode == "actor":
        return s / np.where(totals > 0, totals, 1.0)[:, None]
    top = totals.max(initial=0.0)
    return s / top if top > 1.0 + 1e-12 else s


def _same_positions(x: np.ndarray, act: np.ndarray) -> np.ndarray:
    """``E[i, j]``: i and j take part in the same dimensions and lie within 1e-3 (Euclidean,
    0-1 units) of each other there (KTAB's position equivalence)."""
    diff = np.where(act[:, None, :] & act[None, :, :], x[:, None, :] - x[None, :, :], 0.0)
    close = np.sqrt((diff * diff).sum(axis=2)) < POSITION_TOLERANCE
    return close & (act[:, None, :] == act[None, :, :]).all(axis=2)


def unique_positions(equiv: np.ndarray) -> tuple[list[int], np.ndarray]:
    """KTAB's unique positions: each actor in order joins the first earlier unique position it
    is equivalent to, else founds a new one. Returns the founders and, for every actor, the
    *last* unique position it is equivalent to (the one KTAB reports its probability from)."""
    uniq: list[int] = []
    for i in range(equiv.shape[0]):
        if not any(equiv[i, u] for u in uniq):
            uniq.append(i)
    eq = equiv[:, uniq]
    last = eq.shape[1] - 1 - np.argmax(eq[:, ::-1], axis=1)
    return uniq, last


# ------------------------------------------------------------------------------------------
# assessment


@dataclass
class Assessment:
    """What every actor believes about a set of positions (one KTAB state)."""

    dist: np.ndarray      #: (N, N) d_ij from i's position to j's, i's saliences
    risk: np.ndarray      #: (N,) R_i
    r_est: np.ndarray     #: (N, N) R^h_i, h's estimate of i's risk attitude
    own: np.ndarray       #: (N, N) U^i(i, j) = u(d_ij; R^i_i), each actor's true utilities
    prob: np.ndarray      #: (N,) PCE probability of each actor's position (unique positions)


def assess(x: np.ndarray, act: np.ndarray, sal: np.ndarray, cap: np.ndarray,
           params: Mapping[str, Any]) -> Assessment:
    """Distances, risk attitudes, utility estimates and position probabilities (step 2)."""
    D = distances(x, sal, x, act)
    vr, vpm, pcem = params["voting_rule"], params["victory_prob_model"], params["pce_model"]
    neutral = utility(D, 0.0)
    C = coalitions(neutral, cap, vr)
    P = victory_probabilities(C, vpm)
    p_all = pce(P, pcem, C)
    R = big_r_from_prob(p_all, params["big_r_range"])
    r_est = adjust_risk(R[:, None], R[None, :], params["big_r_adjust"])
    own = utility(D, np.diagonal(r_est)[:, None])
    # the reported probabilities: unique positions, each actor's own utilities, KTAB's
    # proportional voting (fixed there for this report)
    uniq, last = unique_positions(_same_positions(x, act))
    Cu = coalitions(own[:, uniq], cap, "Prop")
    pu = pce(victory_probabilities(Cu, vpm), pcem, Cu)
    return Assessment(D, R, r_est, own, pu[last])


# ------------------------------------------------------------------------------------------
# targeting


def _side_preference(commit: str, p_in: np.ndarray, u_ni: np.ndarray, u_nj: np.ndarray,
                     u_nn: np.ndarray) -> np.ndarray:
    """How much more third party n expects from siding with i than with j, given its estimate
    ``p_in`` that i wins their little conflict. n sums three position utilities per outcome
    (its own and the two principals'); siding with the winner, SemiCommit lets it keep its own
    position, siding with the loser it adopts the winner's. The sums differ only in those
    terms, so the difference is ``p_in (u_nn - u_ni) + (1 - p_in)(u_nj - u_nn)``; under
    FullCommit and NoCommit both sides value the same outcomes and n is indifferent (KTAB
    computes the full sums, which can leave rounding noise where this is exactly 0)."""
    if commit == "SemiCommit":
        return p_in * (u_nn - u_ni) + (1.0 - p_in) * (u_nj - u_nn)
    return np.zeros_like(p_in)


def challenge_estimates(h: np.ndarray, k: np.ndarray, i: np.ndarray, j: np.ndarray,
                        a: Assessment, weight: np.ndarray, total_sal: np.ndarray,
                        params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """h's estimate of P[i beats j] and of k's expected gain from i challenging j (step 3),
    for arrays of (h, k, i, j). ``weight`` is capability x total salience."""
    rule, commit = params["voting_rule"], params["third_party_commit"]
    D, Rh_all = a.dist, a.r_est
    N = D.shape[0]
    L = h.shape[0]
    prob = np.empty(L)
    gain = np.empty(L)
    step = max(1, _BLOCK // max(1, N))
    everyone = np.arange(N)
    d_self = np.diagonal(D)
    for s0 in range(0, L, step):
        sl = slice(s0, s0 + step)
        hh, kk, ii, jj = h[sl], k[sl], i[sl], j[sl]
        Rh = Rh_all[hh]                                  # (l, N): h's view of every R
        row = np.arange(hh.shape[0])

        def U(p: np.ndarray, q: np.ndarray) -> np.ndarray:
            return utility(D[p, q], Rh[row, p])

        uii, uij, uji, ujj = U(ii, ii), U(ii, jj), U(jj, ii), U(jj, jj)
        vi = vote(rule, weight[ii], uii - uij)
        vj = vote(rule, weight[jj], uji - ujj)
        c_ij = MIN_CHALLENGE_COALITION + np.maximum(vi, 0.0) + np.maximum(vj, 0.0)
        c_ji = MIN_CHALLENGE_COALITION - np.minimum(vi, 0.0) - np.minimum(vj, 0.0)
        # third parties, each judging the little conflict (i, j, itself) afresh
        uni = utility(D[:, ii].T, Rh)
        unj = utility(D[:, jj].T, Rh)
        unn = utility(d_self[None, :], Rh)
        vn = vote(rule, weight[None, :], uni - unj)
        side_i = c_ij[:, None] + np.maximum(vn, 0.0)
        side_j = c_ji[:, None] - np.minimum(vn, 0.0)
        pin = side_i / (side_i + side_j)
        vt = vote(rule, weight[None, :], _side_preference(commit, pin, uni, unj, unn))
        third = (everyone[None, :] != ii[:, None]) & (everyone[None, :] != jj[:, None])
        vt = np.where(third, vt, 0.0)
        c_ij = c_ij + np.maximum(vt, 0.0).sum(axis=1)
        c_ji = c_ji - np.minimum(vt, 0.0).sum(axis=1)
        p_ij = c_ij / (c_ij + c_ji)
        p_ji = c_ji / (c_ij + c_ji)
        uki, ukj = U(kk, ii), U(kk, jj)
        status_quo = uki + ukj
        victory = uki + uki
        contest = p_ij * victory + p_ji * (ukj + ukj)
        s_j = total_sal[jj]
        challenge = (1 - s_j) * victory + s_j * contest
        prob[sl] = p_ij
        gain[sl] = challenge - status_quo
    return prob, gain


def own_challenges(a: Assessment, weight: np.ndarray, total_sal: np.ndarray,
                   params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """``P[i, j]``, ``G[i, j]``: i's own estimate that it would beat j and of its gain from
    challenging j, for every pair at once (:func:`challenge_estimates` with h = k = i).

    The same quantities, arranged for speed: with h = i the utilities a third party n attaches
    to i's position and its own are (i, n) matrices, so only n's utility of j's position needs
    the full (i, j, n) array; and since the two sides a third party weighs share terms, its
    vote is on ``pin (u_nn - u_ni) + (1 - pin)(u_nj - u_nn)`` (SemiCommit; zero under
    FullCommit and NoCommit, where both sides value the same outcomes). The initiators are
    taken in blocks so that no temporary exceeds about a million elements.
    """
    rule, commit = params["voting_rule"], params["third_party_commit"]
    if kernels.backend(len(weight)) == "fused":
        from . import _smp_fused  # imports numba: first fused turn only

        return _smp_fused.own_challenges(rule, commit, a.dist, a.r_est, a.own, weight,
                                         total_sal)
    D, Rt = a.dist, a.r_est
    N = D.shape[0]
    Dt = D.T
    d_self = np.diagonal(D)
    u_self = utility(d_self[None, :], Rt)                   # [i, n]: U^i(n, n)
    u_at_i = utility(Dt, Rt)                                # [i, n]: U^i(n, i); n = j: U^i(j, i)
    u_ii = np.diagonal(u_self)[:, None]                     # U^i(i, i)
    u_ij = a.own                                            # U^i(i, j)
    v_i = vote(rule, weight[:, None], u_ii - u_ij)
    v_j = vote(rule, weight[None, :], u_at_i - u_self)      # [i, j]: j's own contribution
    c_ij = MIN_CHALLENGE_COALITION + np.maximum(v_i, 0.0) + np.maximum(v_j, 0.0)
    c_ji = MIN_CHALLENGE_COALITION - np.minimum(v_i, 0.0) - np.minimum(v_j, 0.0)
    if commit == "SemiCommit":
        step = max(1, _BLOCK // max(1, N * N))
        rows = np.arange(N)
        for i0 in range(0, N, step):
            blk = slice(i0, i0 + step)
            b = rows[blk]
            u_nj = utility(Dt[None, :, :], Rt[blk, None, :])         # [i, j, n]: U^i(n, j)
            u_ni = u_at_i[blk, None, :]
            u_nn = u_self[blk, None, :]
            v_n = vote(rule, weight, u_ni - u_nj)
            side_i = c_ij[blk, :, None] + np.maximum(v_n, 0.0)
            side_j = c_ji[blk, :, None] - np.minimum(v_n, 0.0)
            p_in = side_i / (side_i + side_j)
            v_t = vote(rule, weight, _side_preference(commit, p_in, u_ni, u_nj, u_nn))
            # only third parties count: drop n = i and n = j
            v_t[np.arange(b.size), :, b] = 0.0
            v_t[:, rows, rows] = 0.0
            c_ij[blk] += np.maximum(v_t, 0.0).sum(axis=2)
            c_ji[blk] -= np.minimum(v_t, 0.0).sum(axis=2)
    p_ij = c_ij / (c_ij + c_ji)
    p_ji = c_ji / (c_ij + c_ji)
    victory = u_ii + u_ii
    contest = p_ij * victory + p_ji * (u_ij + u_ij)
    s_j = total_sal[None, :]
    gain = (1 - s_j) * victory + s_j * contest - (u_ii + u_ij)
    return p_ij, gain


def best_targets(a: Assessment, weight: np.ndarray, total_sal: np.ndarray,
                 params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each actor's best target (-1 for none), its estimated win probability and gain."""
    N = a.dist.shape[0]
    Pm, G = own_challenges(a, weight, total_sal, params)
    G = np.where(np.eye(N, dtype=bool), -np.inf, G)
    worth = np.where(G > MIN_GAIN, G, -np.inf)
    best = worth.max(axis=1, keepdims=True)
    has = np.isfinite(best[:, 0])
    # the first of the best (equal within rounding: equivalent targets tie exactly in theory)
    target = np.argmax(worth >= best - TIE * np.maximum(1.0, np.abs(best)), axis=1)
    target = np.where(has, target, -1)
    safe = np.maximum(target, 0)
    return target, np.where(has, Pm[np.arange(N), safe], np.nan), \
        np.where(has, G[np.arange(N), safe], np.nan)


# ------------------------------------------------------------------------------------------
# proposals


def _round4(v: np.ndarray) -> np.ndarray:
    """KTAB rounds interpolated bargains to 4 decimals of the 0-1 scale, halves up."""
    return np.floor(0.5 + v * 10000.0) / 10000.0


def interpolate_bargain(xi: np.ndarray, si: np.ndarray, p_i: np.ndarray, xj: np.ndarray,
                        sj: np.ndarray, p_j: np.ndarray, how: str
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Positions offered to initiator and receiver, per dimension (arrays broadcast: positions
    and saliences (L, K), probabilities (L, 1))."""
    if how in ("S1P1", "S2P2"):
        e = 1 if how == "S1P1" else 2
        wi = (si ** e) * (p_i ** e)
        wj = (sj ** e) * (p_j ** e)
        den = wi + 1e-6 + wj
        bi = _round4(((wi + 1e-6) * xi + wj * xj) / den)
        bj = _round4((wi * xi + (1e-6 + wj) * xj) / den)
        return bi, bj
    if how == "S2PMax":
        di = np.maximum(p_j - p_i, 0.0)
        dj = np.maximum(p_i - p_j, 0.0)
        si2, sj2 = si * si, sj * sj
        dik = (di * sj2) / ((di * sj2) + 1e-6 + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + 1e-6 + ((1 - dj) * sj2))
        return xi + dik * (xj - xi), xj + djk * (xi - xj)
    raise ValueError(f"unknown InterVecBrgn {how!r}")


@dataclass
class Bargains:
    """All proposed bargains of a round, in creation order (initiators in actor order)."""

    init: np.ndarray      #: (B,) initiator
    rcvr: np.ndarray      #: (B,) receiver
    pos_init: np.ndarray  #: (B, K) position offered to the initiator
    pos_rcvr: np.ndarray  #: (B, K) position offered to the receiver


def propose(x: np.ndarray, act: np.ndarray, sal: np.ndarray, cap: np.ndarray,
            target: np.ndarray, p_win: np.ndarray, a: Assessment, weight: np.ndarray,
            total_sal: np.ndarray, params: Mapping[str, Any]) -> Bargains:
    """Step 4: one bargain per challenge (two with ``InitRcvrInterp``)."""
    how, model = params["inter_vec_brgn"], params["bargn_model"]
    ii = np.flatnonzero(target >= 0)
    jj = target[ii]
    both = act[ii] & act[jj]                                # dimensions open to bargaining

    def build(p_i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bi, bj = interpolate_bargain(x[ii], sal[ii], p_i[:, None], x[jj], sal[jj],
                                     1 - p_i[:, None], how)
        return np.where(both, bi, x[ii]), np.where(both, bj, x[jj])

    own_i, own_j = build(p_win[ii])
    if model == "InitOnlyInterp":
        return Bargains(ii, jj, own_i, own_j)
    # the receiver's view: j's estimate of the challenge i -> j
    p_rcvr, gain_rcvr = challenge_estimates(jj, ii, ii, jj, a, weight, total_sal, params)
    ktab = params["receiver_view"] == "ktab"
    rv_i, rv_j = build(gain_rcvr if ktab else p_rcvr)
    if model == "InitRcvrInterp":
        B = ii.shape[0]
        order = np.stack([np.arange(B), np.arange(B) + B], axis=1).ravel()   # IIJ, JIJ, ...
        return Bargains(np.concatenate([ii, ii])[order], np.concatenate([jj, jj])[order],
                        np.concatenate([own_i, rv_i])[order], np.concatenate([own_j, rv_j])[order])
    # PWCompInterp: capability x total salience weighted mean of the two views
    wi = cap[ii] * total_sal[ii]
    wj = (cap[ii] if ktab else cap[jj]) * total_sal[jj]
    den = wi + wj
    ok = (den > 0)[:, None]
    safe = np.where(den > 0, den, 1.0)[:, None]
    comp_i = np.where(ok, (wi[:, None] * own_i + wj[:, None] * rv_i) / safe, own_i)
    comp_j = np.where(ok, (wi[:, None] * own_j + wj[:, None] * rv_j) / safe, own_j)
    return Bargains(ii, jj, np.where(both, comp_i, x[ii]), np.where(both, comp_j, x[jj]))


# ------------------------------------------------------------------------------------------
# resolution


def resolve(x: np.ndarray, act: np.ndarray, sal: np.ndarray, cap: np.ndarray,
            a: Assessment, bargains: Bargains, params: Mapping[str, Any],
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Step 5: for every actor the index of the bargain it adopts (-1: its status quo) and the
    PCE probability of that choice."""
    N = x.shape[0]
    B = bargains.init.shape[0]
    # every actor's rating of every bargain: its status-quo row sum with the two principals'
    # positions replaced, divided by N (own risk attitude throughout)
    base = a.own.sum(axis=1)                                            # (N,)
    if B:
        pts = np.concatenate([bargains.pos_init, bargains.pos_rcvr])
        pts_act = np.concatenate([act[bargains.init], act[bargains.rcvr]])
        ub = utility(distances(x, sal, pts, pts_act), a.risk[:, None])  # (N, 2B)
        # the status quo plus the change the bargain brings: exactly the status quo for an
        # actor indifferent to it, and symmetric in the two principals
        change = (ub[:, :B] + ub[:, B:]) - (a.own[:, bargains.init] + a.own[:, bargains.rcvr])
        rating = base[:, None] / N + change / N                          # (N, B)
    else:
        rating = np.zeros((N, 0))
    sq_rating = base / N
    # queues: the status quo first, then the bargains the actor is party to, in order
    members = [[] for _ in range(N)]
    for b in range(B):
        members[int(bargains.init[b])].append(b)
        members[int(bargains.rcvr[b])].append(b)
    choice = np.full(N, -1)
    chosen_p = np.ones(N)
    by_length: dict[int, list[int]] = {}
    for k in range(N):
        by_length.setdefault(len(members[k]) + 1, []).append(k)
    probs: dict[int, np.ndarray] = {}
    for length, queue_owners in sorted(by_length.items()):
        if length == 1:
            for k in queue_owners:
                probs[k] = np.ones(1)
            continue
        idx = np.array([members[k] for k in queue_owners])              # (Q, length-1)
        U = np.concatenate([np.broadcast_to(sq_rating[None, :, None], (len(queue_owners), N, 1)),
                            np.transpose(rating[:, idx], (1, 0, 2))], axis=2)   # (Q, N, L)
        C = coalitions(U, cap[None, :], params["voting_rule"])
        P = victory_probabilities(C, params["victory_prob_model"])
        p = pce(P, params["pce_model"], C)
        for q, k in enumerate(queue_owners):
            probs[k] = p[q]
    stochastic = params["state_transitions"] == "Stochastic"
    for k in range(N):
        p = probs[k]
        if stochastic:
            m = int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"))
            m = min(m, p.shape[0] - 1)
        else:
            m = int(np.argmax(p >= p.max() * (1.0 - TIE)))
        chosen_p[k] = p[m]
        choice[k] = -1 if m == 0 else members[k][m - 1]
    return choice, chosen_p


# ------------------------------------------------------------------------------------------
# the rule


def init(state: BargainingState, params: Mapping[str, Any]) -> dict[str, Any]:
    """Per-run memory: the turn count and the first turn's total move (for the stopping rule)."""
    return {"turn": 0, "delta1": None}


def _held(state: BargainingState, finished: bool) -> RoundOutcome:
    act = np.asarray(state.active, dtype=bool)
    kind = np.where(act, MoveKind.HELD, MoveKind.INACTIVE).astype(np.int8)
    nan = np.full(act.shape, np.nan)
    return RoundOutcome(positions=np.array(state.positions, dtype=float), kind=kind,
                        partner=np.full(act.shape, -1, dtype=np.int32),
                        actor_info={name: nan.copy() for name, _ in ACTOR_INFO},
                        finished=finished)


def step(state: BargainingState, params: Mapping[str, Any], rng: np.random.Generator
         ) -> RoundOutcome:
    """One SMP turn on every issue jointly (see the module docstring)."""
    memo = state.memo
    memo.setdefault("turn", 0)
    memo.setdefault("delta1", None)
    memo["turn"] += 1
    turn = memo["turn"]
    active = np.asarray(state.active, dtype=bool)
    present = np.flatnonzero(active.any(axis=0))
    if present.size < 2:
        return _held(state, finished=True)
    low = np.asarray(state.low, dtype=float)
    width = np.asarray(state.high, dtype=float) - low
    act = active[:, present].T                                          # (N, K)
    x = ((np.asarray(state.positions, dtype=float)[:, present] - low[:, None])
         / width[:, None]).T
    x = np.where(act, x, 0.0)
    sal = normalised_saliences(np.asarray(state.salience, dtype=float)[:, present].T, act,
                               params["salience_scaling"])
    capk = np.asarray(state.capability, dtype=float)[:, present].T
    cap = np.where(act, capk, 0.0).sum(axis=1) / act.sum(axis=1)
    total_sal = sal.sum(axis=1)
    weight = total_sal * cap

    a = assess(x, act, sal, cap, params)
    target, p_win, gain = best_targets(a, weight, total_sal, params)
    bargains = propose(x, act, sal, cap, target, p_win, a, weight, total_sal, params)
    choice, chosen_p = resolve(x, act, sal, cap, a, bargains, params, rng)

    N = present.size
    new = x.copy()
    partner = np.full(N, -1)
    for k in range(N):
        b = choice[k]
        if b < 0:
            continue
        if bargains.init[b] == k:
            new[k] = bargains.pos_init[b]
            partner[k] = bargains.rcvr[b]
        else:
            new[k] = bargains.pos_rcvr[b]
            partner[k] = bargains.init[b]
    new = np.where(act, np.clip(new, 0.0, 1.0), x)
    moved = np.where(act, new - x, 0.0)
    delta = float(np.sqrt((moved * moved).sum(axis=1)).sum())
    if turn == 1 or memo["delta1"] is None:
        memo["delta1"] = delta
    ratio = delta / (memo["delta1"] + params["min_significant_delta"])
    finished = turn >= params["max_turns"] or (turn >= 2 and ratio < params["min_delta_ratio"])

    m, n = active.shape
    positions = np.array(state.positions, dtype=float)
    back = (low[:, None] + new.T * width[:, None])
    positions[:, present] = np.where(act.T, back, positions[:, present])
    kind = np.full((m, n), MoveKind.INACTIVE, dtype=np.int8)
    kind[:, present] = np.where(act.T, np.where(choice >= 0, MoveKind.BARGAIN, MoveKind.HELD)[None],
                                MoveKind.INACTIVE)
    partner_slots = np.where(partner >= 0, present[np.maximum(partner, 0)], -1)
    partner_full = np.full((m, n), -1, dtype=np.int32)
    partner_full[:, present] = np.where(act.T, partner_slots[None, :], -1)

    def per_actor(values: np.ndarray) -> np.ndarray:
        out = np.full((m, n), np.nan)
        out[:, present] = np.where(act.T, values[None, :], np.nan)
        return out

    return RoundOutcome(
        positions=positions, kind=kind, partner=partner_full,
        actor_info={"risk": per_actor(a.risk), "prob": per_actor(a.prob),
                    "target_gain": per_actor(gain), "win_prob": per_actor(p_win),
                    "bargain_prob": per_actor(chosen_p),
                    "change_ratio": per_actor(np.full(N, ratio))},
        finished=finished)


ACTOR_INFO = (
    ("risk", "R: risk attitude inferred from the round's starting positions (-1 risk-seeking "
             ".. +1 risk-averse)"),
    ("prob", "PCE probability of the actor's position at the start of the round (KTAB's "
             "'prob' history)"),
    ("target_gain", "expected gain of the actor's best challenge (empty: no challenge)"),
    ("win_prob", "the actor's estimate that it would beat its target"),
    ("bargain_prob", "PCE probability of the bargain (or status quo) the actor adopted"),
    ("change_ratio", "the round's total move over the first round's (KTAB's 'fractional "
                     "change'; stops below min_delta_ratio)"),
)

RULE = register(Rule(
    name="smp",
    title="Spatial Model of Politics (KTAB, KAPSARC)",
    description="Multi-dimensional bargaining: risk attitudes from probabilistic Condorcet "
                "elections, challenges weighed with third-party coalitions, interpolated "
                "bargains resolved by each actor's PCE over its queue (random only with "
                "state_transitions: Stochastic).",
    citation="KAPSARC (2015-2017). KTAB: the KAPSARC Toolkit for Behavioral Analysis, Spatial "
             "Model of Politics (github.com/KAPSARC/KTAB, MIT licence). Efird, B., Lester, L. "
             "& Wise, B. (2016). Analyzing coalitions in China's policy formulation: reforming "
             "the role of state-owned enterprises in China's energy sector. Journal of East "
             "Asian Studies 16(1).",
    step=step,
    init=init,
    stochastic=True,
    multidimensional=True,
    single_issue=False,
    params=(
        Param("voting_rule", "Prop",
              "VotingRule: how influence follows a utility difference du: Prop (w du), Binary "
              "(w sign, saturating at 1e-8), PropBin (0.8 Prop + 0.2 Binary), PropCbc "
              "(0.5 du + 0.5 du^3), Cubic (w du^3), ASymProsp (gains count 2/3).",
              choices=VOTING_RULES),
        Param("victory_prob_model", "Linear",
              "VictoryProbModel: P[a beats b] = C_ab^v / (C_ab^v + C_ba^v) with v = 1 (Linear), "
              "2, 4, 8 (Square, Quartic, Octic); Binary: certain at a 10% advantage.",
              choices=VP_MODELS),
        Param("pce_model", "Conditional",
              "PCEModel: Conditional (p_a ~ prod_b P[a beats b]), MarkovUniform, "
              "MarkovIncentive (challenges in proportion to their incentive).",
              choices=PCE_MODELS),
        Param("state_transitions", "Deterministic",
              "StateTransitions: each actor adopts its most probable bargain (Deterministic, "
              "first on ties) or one drawn by probability with the run's seed (Stochastic).",
              choices=STATE_TRANSITIONS),
        Param("big_r_range", "Mid",
              "BigRRange: risk attitudes from position probabilities rescaled to [0, 1] (Min), "
              "[-1/2, 1] (Mid) or [-1, 1] (Max).", choices=BIG_R_RANGES),
        Param("big_r_adjust", "OneThird",
              "BigRAdjust: h's estimate of i's R: its own (None), (2R_h + R_i)/3 (OneThird), "
              "halfway (Half), (R_h + 2R_i)/3 (TwoThirds), i's own (Full).",
              choices=BIG_R_ADJUSTS),
        Param("third_party_commit", "SemiCommit",
              "ThirdPartyCommit: what a third party expects to adopt when its side wins or "
              "loses: FullCommit (the winner's position either way), SemiCommit (keeps its own "
              "if its side wins), NoCommit (always keeps its own).",
              choices=THIRD_PARTY_COMMITS),
        Param("inter_vec_brgn", "S2P2",
              "InterVecBrgn: bargain point per dimension weighted by salience^2 x "
              "probability^2 (S2P2), first powers (S1P1), or shifted by max(0, P_j - P_i) "
              "(S2PMax).", choices=INTER_VEC_BRGNS),
        Param("bargn_model", "InitOnlyInterp",
              "BargnModel: the bargain is interpolated from the initiator's view "
              "(InitOnlyInterp), both views are offered (InitRcvrInterp), or their "
              "capability x salience weighted compromise (PWCompInterp).",
              choices=BARGN_MODELS),
        Param("receiver_view", "ktab",
              "How the receiver's view is formed (InitRcvrInterp, PWCompInterp only): 'ktab' "
              "as KTAB does it (its estimate of the initiator's gain stands in for a "
              "probability; the compromise weighs the receiver with the initiator's "
              "capability), 'corrected' (its victory probability; its own capability).",
              choices=("ktab", "corrected")),
        Param("salience_scaling", "auto",
              "How per-issue saliences become SMP's (each actor's total at most 1): 'auto' "
              "(as given if every total <= 1, as in KTAB files; else all divided by the "
              "largest total), 'actor' (each actor's divided by its own total), 'given'.",
              choices=("auto", "actor", "given")),
        Param("min_delta_ratio", 0.02,
              "Stop once a turn's total move is below this fraction of the first turn's.",
              low=0.0, high=1.0),
        Param("min_significant_delta", 1e-4,
              "Added to the first turn's total move in that ratio (guards 0/0).", low=0.0),
        Param("max_turns", 100, "The rule stops after this many turns.", low=1),
    ),
    actor_info=ACTOR_INFO,
))
