"""The expected-utility round (:mod:`negsim.rules.eum`) as one numba-compiled call over all
issues: the ``"fused"`` backend of :mod:`negsim.rules.kernels`.

Same model, same equations, same decisions as the numpy kernel of :mod:`negsim.rules.eum` (its
docstring is the model, ``docs/eum.md`` the ledger); what differs is only how it is computed:

* **No per-round (m, n, n) temporaries.** Issues are processed one after another, each with
  O(n^2) work buffers kept per actor count (and thread) and reused every round. The (m, n, n)
  pairwise diagnostics are written only when asked for: :mod:`negsim.rules.eum` hands them out
  lazily and recomputes the round with them if a caller (a run recording pairs) reads them.
* **Position order inside an issue.** Active actors are sorted once (insertion sort, stable)
  and everything is indexed by rank, so the voters nearer to either side of a pair are a prefix
  or a suffix, and every row loop runs over contiguous memory.
* **Win probabilities in O(n^2) per issue.** As in the numpy kernel, voter ``k`` prefers ``i``
  to ``j`` exactly when it lies on ``i``'s side of their midpoint, so the numerator is a
  difference of prefix sums of ``w_k D_ka`` over the voters in position order. Compiled, the
  numpy kernel's binary searches become two pointers that only move forward while ``j`` runs
  up the order from ``i`` (the midpoint only grows). ``experiments/bench_eum.py`` measures this
  sweep against a compiled plain O(n^3) voter loop: the loop wins below about 20 actors, the
  sweep from there on (2x at 33 actors, 5x at 128).
* **Transcendentals.** Every power ``b**r`` is ``exp(r log b)`` with the logarithms of the
  symmetric terms (``|x_t - x_u|/R``, ``0.5 -+ 0.5 d``) taken once per unordered pair; the
  exponentials depend on the row's exponent and are taken per ordered pair. libm's ``exp`` and
  ``log`` are opaque calls that keep loops scalar, so :func:`vexp` and :func:`vlog` are written
  out as arithmetic (range reduction, a polynomial, the exponent by bit manipulation), accurate
  to about one unit in the last place, and the compiler vectorises the loops that use them.
  These are most of the remaining time of a round (the benchmark's phase profile). A voter
  with ``r_k = 1`` uses ``d`` itself, as the numpy kernel's ``pow(d, 1) = d`` does.
* **E_ij and E_ji together.** From the receiver's perspective both use its exponent, so they
  share ``U_s``, ``U_f`` and ``U_sq``; each receiver's row computes both, classifies every offer
  (vectorised: class, key, destination), and a scalar scan in actor order then takes the best,
  replacing it only on a strictly smaller key, so ties go to the first proposer in actor order
  exactly as the numpy kernel's ``argmin`` does (its keys are never infinite for a member of
  the class, so its argmin-over-inf never selects a non-member).

Results agree with the numpy kernel and the plain-loop oracle (``tests/eum_oracle.py``) to
1e-9, not bit for bit: sums run in a different order, security sums are reassociated, and
``exp(r log b)`` differs from ``pow`` in the last places. Decisions that sit within rounding of
a boundary (an offer class, or a compromise-key tie between different destinations) may
therefore go the other way, exactly as between the numpy kernel and the oracle; the tests stop
comparing at such a round. Positions of inactive actors are never read (they may be NaN).

numba is imported when this module is, which :mod:`negsim.rules.eum` does on the first round
of the fused backend only. Compiled code is cached on disk (``cache=True``): the first process
compiles (seconds), later ones load the cache.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["round_arrays", "pair_arrays", "PROBABILITY_CODES"]

PROBABILITY_CODES = {"scholz": 0, "literal": 1, "masad": 2}
_SCHOLZ, _LITERAL, _MASAD = 0, 1, 2
_HELD, _CONFRONTATION, _COMPROMISE, _CAPITULATION, _INACTIVE = 0, 1, 2, 3, -1
_LOG_HALF = math.log(0.5)


# ------------------------------------------------------------------------------------------
# exp and log that vectorise
#
# libm's exp and log are opaque calls, so a loop that calls them runs one element at a time;
# these are plain arithmetic (a polynomial after range reduction, the exponent handled by bit
# manipulation), which the compiler turns into SIMD code. Both are accurate to about one unit in
# the last place on the arguments used here (tested against numpy in tests/test_fused_kernels.py).

_LN2_HI = 6.93147180369123816490e-01     # ln 2 split so that k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.4426950408889634
_SQRT2 = 1.4142135623730951
_TINY = 2.2250738585072014e-308          # smallest normal double


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _float(typingctx, x):
    """The float64 whose IEEE-754 bits are this int64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@njit(cache=True, error_model="numpy")
def vexp(t):
    """``exp(t)``: ``t = k ln 2 + f`` with ``|f| <= ln(2)/2``, ``e^f`` by its Taylor series to
    degree 13 (truncation below 1e-17), times ``2^k`` built from its bits (in two factors, so
    results down to the smallest subnormal come out right). ``exp(-inf) = 0``; no argument here
    is positive beyond ``log 2``."""
    t = max(t, -746.0)
    k = math.floor(t * _INV_LN2 + 0.5)
    f = (t - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * f + 1.0 / 479001600.0
    p = p * f + 1.0 / 39916800.0
    p = p * f + 1.0 / 3628800.0
    p = p * f + 1.0 / 362880.0
    p = p * f + 1.0 / 40320.0
    p = p * f + 1.0 / 5040.0
    p = p * f + 1.0 / 720.0
    p = p * f + 1.0 / 120.0
    p = p * f + 1.0 / 24.0
    p = p * f + 1.0 / 6.0
    p = p * f + 0.5
    p = p * f + 1.0
    p = p * f + 1.0
    ki = int(k)
    k1 = ki >> 1
    return p * _float((k1 + 1023) << 52) * _float((ki - k1 + 1023) << 52)


@njit(cache=True, error_model="numpy")
def vlog(v):
    """``log(v)`` for ``v >= 0``: ``v = 2^e m`` with ``m`` in [sqrt(1/2), sqrt(2)), and
    ``log m = 2 atanh(s)``, ``s = (m - 1)/(m + 1)``, by its series to ``s^23`` (|s| <= 0.172:
    truncation below 1e-17). ``log(0) = -inf``; subnormals are scaled first."""
    small = v < _TINY
    u = v * 18014398509481984.0 if small else v          # 2^54
    b = _bits(u)
    e = ((b >> 52) & 0x7FF) - 1023 - (54 if small else 0)
    m = _float((b & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    ef = float(e + (1 if big else 0))
    s = (m - 1.0) / (m + 1.0)
    z = s * s
    p = 1.0 / 23.0
    p = p * z + 1.0 / 21.0
    p = p * z + 1.0 / 19.0
    p = p * z + 1.0 / 17.0
    p = p * z + 1.0 / 15.0
    p = p * z + 1.0 / 13.0
    p = p * z + 1.0 / 11.0
    p = p * z + 1.0 / 9.0
    p = p * z + 1.0 / 7.0
    p = p * z + 1.0 / 5.0
    p = p * z + 1.0 / 3.0
    p = p * z + 1.0
    out = ef * _LN2_HI + (ef * _LN2_LO + 2.0 * s * p)
    return -np.inf if v == 0.0 else out


@njit(cache=True, error_model="numpy")
def vexp_array(t, out):
    """``out[:] = vexp(t)`` (for the accuracy tests)."""
    for a in range(t.shape[0]):
        out[a] = vexp(t[a])


@njit(cache=True, error_model="numpy")
def vlog_array(v, out):
    """``out[:] = vlog(v)`` (for the accuracy tests)."""
    for a in range(v.shape[0]):
        out[a] = vlog(v[a])


# ------------------------------------------------------------------------------------------
# one issue, in position order
#
# Within an issue everything is indexed by rank in position order (t, u): the active actors
# sorted by position, so that the voters nearer to either side of a pair are a prefix or a
# suffix and every row loop runs over contiguous memory. Actor order comes back only where it
# decides something: each receiver scans its proposers in actor order (ties go to the first).


@njit(cache=True, error_model="numpy")
def _sort_active(xk, ak, order, rank, xs):
    """Active actors of one issue in position order (stable insertion sort); returns count.
    ``order[t]`` is the actor at rank t, ``rank[a]`` the rank of actor a."""
    na = 0
    for a in range(xk.shape[0]):
        if not ak[a]:
            continue
        v = xk[a]
        t = na
        while t > 0 and xs[t - 1] > v:
            xs[t] = xs[t - 1]
            order[t] = order[t - 1]
            t -= 1
        xs[t] = v
        order[t] = a
        na += 1
    for t in range(na):
        rank[order[t]] = t
    return na


@njit(cache=True, error_model="numpy")
def _pack_gaps(na, xs, R, packed):
    """``packed[p] = |x_t - x_u| / R`` for the pairs t < u in row order; returns their count.
    The logarithms below are symmetric in the pair: taking them once per pair in one long
    loop vectorises far better than short triangular rows, and better than whole rows."""
    p = 0
    for t in range(na):
        xt = xs[t]
        for u in range(t + 1, na):
            packed[p] = abs(xs[u] - xt) / R
            p += 1
    return p


@njit(cache=True, error_model="numpy")
def _unpack(na, packed, diagonal, M):
    """The symmetric ``M[:na, :na]`` from its packed upper triangle and diagonal value."""
    p = 0
    for t in range(na):
        M[t, t] = diagonal
        for u in range(t + 1, na):
            M[t, u] = M[u, t] = packed[p]
            p += 1


@njit(cache=True, error_model="numpy")
def _log_distances(na, xs, R, LD, packed):
    """``LD[t, u] = log(|x_t - x_u| / R)`` (-inf at equal positions)."""
    count = _pack_gaps(na, xs, R, packed)
    for p in range(count):
        packed[p] = vlog(packed[p])
    _unpack(na, packed, -np.inf, LD)


@njit(cache=True, error_model="numpy")
def _log_bases(na, xs, R, LN, LF, packed, packed2):
    """``LN = log(0.5 - 0.5 d)``, ``LF = log(0.5 + 0.5 d)`` with ``d = min(|x_t - x_u|/R, 1)``:
    the logged bases of ``U_s`` and ``U_f`` (``LN = -inf`` at d = 1)."""
    count = _pack_gaps(na, xs, R, packed)
    for p in range(count):
        d = min(packed[p], 1.0)
        packed[p] = vlog(0.5 - 0.5 * d)
        packed2[p] = vlog(0.5 + 0.5 * d)
    _unpack(na, packed, _LOG_HALF, LN)
    _unpack(na, packed2, _LOG_HALF, LF)


@njit(cache=True, error_model="numpy")
def _prefix_sums(na, xs, ws, rs, R, variant, powers, LD, PFT, row):
    """``PFT[t, u] = sum_{voters v < t} w_v D_vu`` with ``D = (dist/R)**r_v`` (``powers``;
    ``LD`` holds the logarithms; ``pow(d, 1) = d`` kept exact), ``dist/R`` (scholz) or
    ``dist`` (literal, masad). Each voter's terms go to the scratch ``row`` first (a loop
    that writes the row it reads the previous one from does not vectorise)."""
    scholz = variant == _SCHOLZ
    for u in range(na):
        PFT[0, u] = 0.0
    for t in range(na):
        xt, wt, rt = xs[t], ws[t], rs[t]
        if powers and rt != 1.0:
            logs = LD[t]
            for u in range(na):
                row[u] = wt * vexp(rt * logs[u])
        elif scholz:
            for u in range(na):
                row[u] = wt * (abs(xs[u] - xt) / R)
        else:
            for u in range(na):
                row[u] = wt * abs(xs[u] - xt)
        prev, nxt = PFT[t], PFT[t + 1]
        for u in range(na):
            nxt[u] = prev[u] + row[u]


@njit(cache=True, error_model="numpy")
def _sweep(na, xs, variant, PFT, PS, PST):
    """Win probabilities from the prefix sums: ``PS[t, u]`` for t beating u (``PST`` its
    transpose); for ``scholz`` still to be divided by the returned denominator (the sum of
    ``sum_k w_k |D_kj - D_ki|`` over ordered pairs), for the others final. 0 at equal
    positions. For each t the midpoint with u only grows as u runs up the order, so the
    counts of voters below and up to it are two pointers that only move forward."""
    den = 0.0
    for ti in range(na):
        PS[ti, ti] = PST[ti, ti] = 0.0
        below = ti          # voters strictly below the midpoint (at least 0..ti)
        upto = ti           # voters at or below it
        for tj in range(ti + 1, na):
            if xs[tj] == xs[ti]:
                PS[ti, tj] = PS[tj, ti] = PST[ti, tj] = PST[tj, ti] = 0.0
                continue
            mid = 0.5 * (xs[ti] + xs[tj])
            while below < na and xs[below] < mid:
                below += 1
            if upto < below:
                upto = below
            while upto < na and xs[upto] <= mid:
                upto += 1
            # voters on ti's (lower) side favour ti, those on tj's side favour tj; a voter at
            # the midpoint contributes zero either way
            pos_ij = max(PFT[upto, tj] - PFT[upto, ti], 0.0)
            pos_ji = max((PFT[na, ti] - PFT[below, ti]) - (PFT[na, tj] - PFT[below, tj]), 0.0)
            absum = pos_ij + pos_ji
            if variant == _SCHOLZ:
                den += 2.0 * absum
                p_ij, p_ji = pos_ij, pos_ji
            else:
                if variant == _LITERAL:
                    num_ij, num_ji = pos_ij, pos_ji
                else:
                    lin = PFT[na, tj] - PFT[na, ti]         # sum_k w_k (D_kj - D_ki)
                    num_ij, num_ji = max(lin, 0.0), max(-lin, 0.0)
                scale = absum if absum > 0.0 else 1.0
                p_ij = min(max(num_ij / scale, 0.0), 1.0)
                p_ji = min(max(num_ji / scale, 0.0), 1.0)
            PS[ti, tj] = PST[tj, ti] = p_ij
            PS[tj, ti] = PST[ti, tj] = p_ji
    return den


@njit(cache=True, error_model="numpy")
def _win_probabilities(na, xs, ws, rs, R, variant, powers, LD, PFT, PS, PST, row, packed):
    """Fill ``PS``/``PST`` (see :func:`_sweep`); returns the factor that turns them into
    probabilities (``1/den`` for scholz, else 1; clip to [0, 1] after scaling)."""
    if powers:
        _log_distances(na, xs, R, LD, packed)
    _prefix_sums(na, xs, ws, rs, R, variant, powers, LD, PFT, row)
    den = _sweep(na, xs, variant, PFT, PS, PST)
    return 1.0 / den if variant == _SCHOLZ and den > 0.0 else 1.0


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _security(na, xs, ss, tm, R, q, pscale, PST, sec):
    """Pass-1 security sums ``Sec_b = sum_{a != b} E^a(U_ab)`` with r = 1 (U_s = 2d,
    U_f = -2d, U_sq = 0; U_b/U_w = +-4 spread). ``P(a beats b) = PST[b, a]``."""
    for tb in range(na):
        xb, sb = xs[tb], ss[tb]
        acc = 0.0
        for ta in range(na):
            gap = abs(xs[ta] - xb)
            d = min(gap / R, 1.0)
            p = min(max(PST[tb, ta] * pscale, 0.0), 1.0)
            us, uf = 2.0 * d, -2.0 * d
            e = sb * (p * us + (1.0 - p) * uf) + (1.0 - sb) * us
            if q != 1.0:
                sp = min(max(0.25 * (tm[ta] + gap) / R, 0.0), 0.5)
                e -= (1.0 - q) * (4.0 * sp if tm[ta] < gap else -4.0 * sp)
            acc += 0.0 if ta == tb else e
        sec[tb] = acc


@njit(cache=True, error_model="numpy")
def _risk(na, sec, rs):
    """Risk exponents from security sums (SCH eqs 33-34); all 1 if the sums are equal."""
    big, small = -np.inf, np.inf
    for t in range(na):
        big = max(big, sec[t])
        small = min(small, sec[t])
    if na == 0:
        big, small = 0.0, 0.0
    spread = big - small
    flat = spread <= 1e-12 * max(1.0, max(abs(big), abs(small)))
    for t in range(na):
        if flat:
            rs[t] = 1.0
        else:
            Rt = (2.0 * sec[t] - big - small) / spread
            rs[t] = (1.0 - Rt / 3.0) / (1.0 + Rt / 3.0)


@njit(cache=True, error_model="numpy")
def _receiver_row(ti, na, xs, ss, tm, R, q, ri, pscale, least_move, capitulation, LN, LF, PS,
                  PST, e_own, e_other, cls, key, dest):
    """For the receiver at rank ti and every rank u: ``e_own[u] = E^i(U_iu)``,
    ``e_other[u] = E^u(U_ui)``, both with the receiver's exponent ``ri`` (they share U_s, U_f
    and U_sq); then the class of u's offer (``cls``: 0 none or equal position, 1
    confrontation, 2 compromise, 3 capitulation), its key (the move, or the compromise key) and
    its destination. Vectorised over u."""
    si, xi = ss[ti], xs[ti]
    usq = 2.0 - 4.0 * vexp(ri * _LOG_HALF)
    for u in range(na):
        us = 2.0 - 4.0 * vexp(ri * LN[ti, u])
        uf = 2.0 - 4.0 * vexp(ri * LF[ti, u])
        su = ss[u]
        p_iu = min(max(PS[ti, u] * pscale, 0.0), 1.0)
        p_ui = min(max(PST[ti, u] * pscale, 0.0), 1.0)
        e_own[u] = su * (p_iu * us + (1.0 - p_iu) * uf) + (1.0 - su) * us - q * usq
        e_other[u] = si * (p_ui * us + (1.0 - p_ui) * uf) + (1.0 - si) * us - q * usq
    if q != 1.0:
        # the status-quo terms U_b or U_w (T: the challenger is nearer the median than the
        # target), from each challenger's side
        t_i = tm[ti]
        for u in range(na):
            gap = abs(xi - xs[u])
            t_u = tm[u]
            sp_i = min(max(0.25 * (t_i + gap) / R, 0.0), 0.5)
            sp_u = min(max(0.25 * (t_u + gap) / R, 0.0), 0.5)
            b_i = vexp(ri * vlog(0.5 - sp_i if t_i < gap else 0.5 + sp_i))
            b_u = vexp(ri * vlog(0.5 - sp_u if t_u < gap else 0.5 + sp_u))
            e_own[u] -= (1.0 - q) * (2.0 - 4.0 * b_i)
            e_other[u] -= (1.0 - q) * (2.0 - 4.0 * b_u)
    for u in range(na):
        eo, et, xu = e_own[u], e_other[u], xs[u]
        a = abs(eo)
        conf = et > eo and eo > 0.0
        yielding = et > 0.0 and eo < 0.0
        comp = yielding and et > a
        cap = yielding and not comp and capitulation
        to = xi + (xu - xi) * (a / et) if comp else xu
        move = abs(to - xi)
        ckey = move if least_move else (a * xi + et * xu) / (a + et)
        c = 1 if conf else (2 if comp else (3 if cap else 0))
        cls[u] = 0 if xu == xi else c
        key[u] = ckey if comp else move
        dest[u] = to


@njit(cache=True, error_model="numpy")
def _choose(i, ak, rank, cls, key):
    """Receiver i's accepted offer: a confrontation (smallest move) if any, else a compromise
    (smallest key), else a capitulation (smallest move). Proposers are scanned in actor order
    and only a strictly smaller key replaces the best, so ties keep the earlier proposer, as
    the numpy kernel's argmin does. Returns (class, proposer) or (0, -1)."""
    best = np.inf
    best_c, best_j = 4, -1
    for j in range(ak.shape[0]):
        if not ak[j]:
            continue
        u = rank[j]
        c = cls[u]
        if c == 0 or c > best_c:
            continue
        if c < best_c or key[u] < best:
            best_c, best_j, best = c, j, key[u]
    if best_j < 0:
        return 0, -1
    return best_c, best_j


@njit(cache=True, error_model="numpy")
def _issue(k, x, salience, capability, act, R, mu, q, variant, least_move, capitulation,
           two_pass, want_pairs, new_x, kind, partner, eu_self, eu_partner, risk, security,
           eu_ij, eu_ji, order, rank, mats, vec):
    """Issue k of one round (see :func:`eum_round`)."""
    PFT, PS, PST, LD, LN, LF = mats[0], mats[1], mats[2], mats[3], mats[4], mats[5]
    packed, packed2 = mats[6].ravel(), mats[7].ravel()
    xs, ws, ss, rs, tm, sec, e_own, e_other, row, key, dest, cls = (
        vec[0], vec[1], vec[2], vec[3], vec[4], vec[5], vec[6], vec[7], vec[8], vec[9], vec[10],
        vec[11])
    n = x.shape[1]
    xk, ak = x[k], act[k]
    Rk, mk = R[k], mu[k]
    na = _sort_active(xk, ak, order, rank, xs)
    for t in range(na):
        a = order[t]
        ss[t] = salience[k, a]
        ws[t] = capability[k, a] * salience[k, a]
        tm[t] = abs(xs[t] - mk)
        rs[t] = 1.0
        sec[t] = 0.0
    if two_pass:
        pscale = _win_probabilities(na, xs, ws, rs, Rk, variant, False, LD, PFT, PS, PST, row,
                                    packed)
        _security(na, xs, ss, tm, Rk, q, pscale, PST, sec)
        _risk(na, sec, rs)
    powers = False
    for t in range(na):
        powers = powers or rs[t] != 1.0
    pscale = _win_probabilities(na, xs, ws, rs, Rk, variant, powers and variant == _SCHOLZ,
                                LD, PFT, PS, PST, row, packed)
    _log_bases(na, xs, Rk, LN, LF, packed, packed2)
    for i in range(n):
        if not ak[i]:
            new_x[k, i] = xk[i]
            kind[k, i] = _INACTIVE
            partner[k, i] = -1
            eu_self[k, i] = eu_partner[k, i] = risk[k, i] = security[k, i] = np.nan
    for ti in range(na):
        i = order[ti]
        _receiver_row(ti, na, xs, ss, tm, Rk, q, rs[ti], pscale, least_move, capitulation, LN,
                      LF, PS, PST, e_own, e_other, cls, key, dest)
        c, j = _choose(i, ak, rank, cls, key)
        kind[k, i] = c                  # HELD, CONFRONTATION, COMPROMISE, CAPITULATION
        partner[k, i] = j
        if j < 0:
            new_x[k, i] = xk[i]
            eu_self[k, i] = eu_partner[k, i] = np.nan
        else:
            u = rank[j]
            new_x[k, i] = dest[u]
            eu_self[k, i] = e_own[u]
            eu_partner[k, i] = e_other[u]
        risk[k, i] = rs[ti]
        security[k, i] = sec[ti]
        if want_pairs:
            for u in range(na):
                if u != ti:
                    eu_ij[k, i, order[u]] = e_own[u]
                    eu_ji[k, i, order[u]] = e_other[u]


@njit(cache=True, error_model="numpy")
def eum_round(x, salience, capability, act, R, mu, q, variant, least_move, capitulation,
              two_pass, want_pairs, new_x, kind, partner, eu_self, eu_partner, risk, security,
              eu_ij, eu_ji, mats, vec, ints):
    """One round on every issue. Inputs (m, n) (``R``, ``mu``: (m,)); outputs written in place
    (``eu_ij``/``eu_ji`` only with ``want_pairs``). ``mats``/``vec``/``ints``: the work
    buffers of :func:`_workspace` for this n."""
    for k in range(x.shape[0]):
        _issue(k, x, salience, capability, act, R, mu, q, variant, least_move, capitulation,
               two_pass, want_pairs, new_x, kind, partner, eu_self, eu_partner, risk,
               security, eu_ij, eu_ji, ints[0], ints[1], mats, vec)


# ------------------------------------------------------------------------------------------
# Python side

_local = threading.local()
_NO_PAIRS = np.empty((0, 0, 0))


def _workspace(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Work buffers for n actor slots, made once per n and thread and reused every round: eight
    (n + 1, n) blocks (prefix sums, win probabilities and their transpose, the three logged
    distance terms, two packed triangles), twelve per-actor rows, and the position order and
    ranks."""
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    work = cache.get(n)
    if work is None:
        work = cache[n] = (np.zeros((8, n + 1, max(n, 1))), np.zeros((12, max(n, 1))),
                           np.zeros((2, max(n, 1)), dtype=np.int64))
    return work


def round_arrays(x: np.ndarray, salience: np.ndarray, capability: np.ndarray,
                 active: np.ndarray, R: np.ndarray, mu: np.ndarray, q: float,
                 probability: str, compromise_choice: str, capitulation: bool, risk: str,
                 want_pairs: bool = False) -> dict[str, np.ndarray]:
    """One round's arrays: ``positions``, ``kind`` (int8), ``partner`` (int32), ``eu_self``,
    ``eu_partner``, ``risk``, ``security`` (m, n), and with ``want_pairs`` ``eu_ij``, ``eu_ji``
    (m, n, n; NaN off the active pairs)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    m, n = x.shape
    out = np.empty((5, m, n))
    kind = np.empty((m, n), dtype=np.int8)
    partner = np.empty((m, n), dtype=np.int32)
    if want_pairs:
        eu_ij = np.full((m, n, n), np.nan)
        eu_ji = np.full((m, n, n), np.nan)
    else:
        eu_ij = eu_ji = _NO_PAIRS
    mats, vec, ints = _workspace(n)
    eum_round(x, np.ascontiguousarray(salience, dtype=np.float64),
              np.ascontiguousarray(capability, dtype=np.float64),
              np.ascontiguousarray(active, dtype=np.bool_),
              np.ascontiguousarray(R, dtype=np.float64), np.ascontiguousarray(mu, np.float64),
              float(q), PROBABILITY_CODES[probability], compromise_choice == "least_move",
              bool(capitulation), risk == "two_pass", want_pairs, out[0], kind, partner, out[1],
              out[2], out[3], out[4], eu_ij, eu_ji, mats, vec, ints)
    arrays = {"positions": out[0], "kind": kind, "partner": partner, "eu_self": out[1],
              "eu_partner": out[2], "risk": out[3], "security": out[4]}
    if want_pairs:
        arrays["eu_ij"] = eu_ij
        arrays["eu_ji"] = eu_ji
    return arrays


def pair_arrays(*args: object) -> dict[str, np.ndarray]:
    """Only the (m, n, n) pairwise diagnostics of a round (same arguments as
    :func:`round_arrays` without ``want_pairs``): the round computed again with them."""
    full = round_arrays(*args, want_pairs=True)  # type: ignore[arg-type]
    return {"eu_ij": full["eu_ij"], "eu_ji": full["eu_ji"]}
