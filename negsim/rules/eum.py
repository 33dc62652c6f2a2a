"""Bueno de Mesquita's expected-utility model (EUM) as reconstructed by Scholz, Calbert & Smith
(2011), in the reading that reproduces their published numbers (the "Scholz-code" reading).

Every issue is bargained on its own, with that issue's positions, saliences and capabilities;
the kernel is vectorised over issues x actors x actors. One round, for each issue (equation
numbers are SCH's):

1. Range ``R`` of the issue (eq. 14): fixed from the initial positions (``range="initial"``;
   1 if they are all equal). It is widened, never narrowed, if an event later places a position
   outside it, so that distances stay within [0, 1].
2. Pass 1, every actor risk-neutral (r = 1): win probabilities ``P`` and expected utilities.
3. Security sums ``Sec_i = sum_{j != i} E^j(U_ji)`` (eq. 32), ``R_i = (2 Sec_i - max - min) /
   (max - min)``, risk exponent ``r_i = (1 - R_i/3) / (1 + R_i/3)`` in [0.5, 2] (eqs 33-34).
   If all security sums are equal (within 1e-12 relative) every ``r_i = 1``. Exponents are
   recomputed from r = 1 every round (not carried over).
4. Pass 2 with the new exponents, then every actor (receiver ``i``) classifies every offer from
   every other active actor (proposer ``j``) at a different position, from the receiver's
   perspective (both expected utilities with ``r_i``):

   * confrontation if ``E_ji > E_ij > 0``: ``i`` moves to ``x_j``;
   * compromise if ``E_ji > 0 > E_ij`` and ``E_ji > |E_ij|``: ``i`` moves the fraction
     ``|E_ij / E_ji|`` of the way to ``x_j`` (eq. 36);
   * capitulation if ``E_ji > 0 > E_ij`` and ``E_ji <= |E_ij|``: ``i`` moves fully to ``x_j``
     (SCH fig. 6).

5. Each receiver accepts one offer: a confrontation if any (the smallest move), else a compromise
   (the smallest weighted position ``(|E_ij| x_i + |E_ji| x_j) / (|E_ij| + |E_ji|)``, the key
   found in Scholz's code), else a capitulation (the smallest move); ties go to the proposer
   first in scenario order. All actors move simultaneously.

Utilities (eqs 15-16, 22-24), with ``d = |x_i - x_j| / R`` and ``r`` the perspective's exponent::

    U_s = 2 - 4 (0.5 - 0.5 d)^r      U_f = 2 - 4 (0.5 + 0.5 d)^r      U_sq = 2 - 4 (0.5)^r
    U_b = 2 - 4 (0.5 - 0.25 (|x_i - mu| + |x_i - x_j|) / R)^r     (U_w: + instead of -)
    E^i(U_ij) = s_j [P U_s + (1 - P) U_f] + (1 - s_j) U_s - Q U_sq - (1 - Q)[T U_b + (1 - T) U_w]

with ``s_j`` the *target's* salience in both directions (eq. 25b's ``s_j`` is a misprint),
``T = 1`` when ``|x_i - mu| < |x_i - x_j|`` and ``mu`` the weighted median (only used if Q < 1).

Win probability, ``probability="scholz"`` (default; reproduces the published tables and charts)::

    P(i beats j) = sum_k max(0, w_k [D_kj - D_ki]) / sum_k sum_a sum_b |w_k [D_kb - D_ka]|
    D_ka = (|x_k - x_a| / R)^{r_k},  w_k = c_k s_k,  P = 0 when x_i = x_j

(each voter with its own exponent; the denominator runs over all ordered actor pairs, so P is
small: 0.006-0.012 on the emission data). ``"literal"`` is SCH eq. 31 as printed,
``P = sum_{a_k > 0} w_k a_k / sum_k w_k |a_k|`` with ``a_k = |x_k - x_j| - |x_k - x_i|``;
``"masad"`` clips the signed numerator instead, ``max(0, sum_k w_k a_k) / sum_k w_k |a_k|``.

Every interpretive choice is a parameter whose default is the published reading; see
``docs/eum.md`` for the ambiguity ledger and why each default was chosen.

Two implementations compute a round, chosen by :mod:`negsim.rules.kernels` (``NEGSIM_KERNEL``):
the numpy kernel below, the reference, and the fused one of :mod:`negsim.rules._eum_fused`
(one numba-compiled call over all issues; the default where numba is installed). They agree to
1e-9 (``tests/test_fused_kernels.py``). The range ``R`` and its memory stay here, in Python, for
both. The pairwise diagnostics (``pair_info``) are computed only when read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..stats import weighted_median
from . import kernels, register
from .base import BargainingState, MoveKind, Param, RoundOutcome, Rule

__all__ = ["RULE", "step", "init", "expected_utilities", "win_probabilities", "risk_exponents"]

class _LineGeometry:
    """Where every voter lies relative to every pair's midpoint, for one set of positions.

    On a line, voter ``k`` is nearer to ``i`` than to ``j`` exactly when it lies on ``i``'s side
    of their midpoint. With the voters sorted by position, those voters are a prefix (``x_i <
    x_j``) or a suffix (``x_i > x_j``) of the order; this object holds the order and, per pair,
    how many voters lie at or below (``upto``) and strictly below (``below``) the midpoint, as
    flat indices into a prefix-sum array of shape (m, n + 1, n). It depends on positions only,
    so one round computes it once for both passes.
    """

    def __init__(self, x: np.ndarray) -> None:
        m, n = x.shape
        self.order = np.argsort(x, axis=1, kind="stable")
        xs = np.take_along_axis(x, self.order, axis=1)
        mid = 0.5 * (x[:, :, None] + x[:, None, :])
        upto = np.empty((m, n, n), dtype=np.intp)
        below = np.empty((m, n, n), dtype=np.intp)
        for k in range(m):  # searchsorted is one-dimensional: a loop over issues only
            upto[k] = np.searchsorted(xs[k], mid[k], side="right")
            below[k] = np.searchsorted(xs[k], mid[k], side="left")
        # flat index of prefix[k, count[k, i, j], a] for a = j and for a = i
        base = (np.arange(m)[:, None, None] * (n + 1)) * n
        j_col = np.arange(n)[None, None, :]
        i_col = np.arange(n)[None, :, None]
        self.near_j = base + upto * n + j_col
        self.near_i = base + upto * n + i_col
        self.far_j = base + below * n + j_col
        self.far_i = base + below * n + i_col
        self.lower = x[:, :, None] < x[:, None, :]
        self.higher = x[:, :, None] > x[:, None, :]


def _positive_sums(geo: _LineGeometry, D: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``out[:, i, j] = sum_k w[:, k] * max(0, D[:, k, j] - D[:, k, i])`` in O(n^2 log n).

    ``D[:, k, a]`` must increase with the distance ``|x_k - x_a|`` (the distance itself or its
    normalised power), so the surviving terms are the voters on ``i``'s side of the midpoint
    (see :class:`_LineGeometry`); prefix sums of ``w_k D_ka`` in position order give every pair
    at once. Voters exactly at a midpoint contribute zero either way.
    w: (m, n); D: (m, n, n) indexed [issue, voter, actor].
    """
    m, n = w.shape
    wd = np.take_along_axis(w[:, :, None] * D, geo.order[:, :, None], axis=1)
    prefix = np.zeros((m, n + 1, n))
    np.cumsum(wd, axis=1, out=prefix[:, 1:])
    total = prefix[:, n, :]
    flat = prefix.reshape(-1)
    left = flat[geo.near_j] - flat[geo.near_i]                          # x_i < x_j: prefix
    right = ((total[:, None, :] - flat[geo.far_j])
             - (total[:, :, None] - flat[geo.far_i]))                   # x_i > x_j: suffix
    out = np.where(geo.lower, left, np.where(geo.higher, right, 0.0))
    return np.maximum(out, 0.0)


def win_probabilities(x: np.ndarray, w: np.ndarray, active: np.ndarray, R: np.ndarray,
                      r: np.ndarray, variant: str = "scholz",
                      geometry: _LineGeometry | None = None) -> np.ndarray:
    """``P[:, i, j]``: probability that ``i`` beats ``j`` (see module docstring for variants).

    x, w, r: (m, n); active: (m, n) bool; R: (m,). Returns (m, n, n), zero where x_i = x_j or
    either actor is inactive. ``geometry`` may pass a precomputed :class:`_LineGeometry` of x.
    """
    geo = geometry if geometry is not None else _LineGeometry(x)
    w = np.where(active, w, 0.0)
    dist = np.abs(x[:, :, None] - x[:, None, :])             # [m, k, a] = |x_k - x_a|
    if variant == "scholz":
        D = dist / R[:, None, None]
        if not np.all(r == 1.0):
            D = D ** r[:, :, None]
    else:
        D = dist
    pos = _positive_sums(geo, D, w)
    lin = np.einsum("mk,mka->ma", w, D)                      # sum_k w_k D_ka
    L = lin[:, None, :] - lin[:, :, None]                    # [i, j] = sum_k w_k (D_kj - D_ki)
    absum = np.maximum(2.0 * pos - L, 0.0)                   # sum_k w_k |D_kj - D_ki|
    pair = active[:, :, None] & active[:, None, :]
    if variant == "scholz":
        den = np.where(pair, absum, 0.0).sum(axis=(1, 2))
        P = pos / np.where(den > 0, den, 1.0)[:, None, None]
    else:
        num = pos if variant == "literal" else np.maximum(L, 0.0)
        P = num / np.where(absum > 0, absum, 1.0)
    P = np.clip(P, 0.0, 1.0)
    return np.where(pair & (geo.lower | geo.higher), P, 0.0)


class _Utilities:
    """The distance terms of one round's utilities, computed once and shared by both passes and
    both perspectives. A power ``b**r`` is taken as ``exp(r log b)`` so the logarithms are
    reused across exponents; with ``r = 1`` the utilities reduce to ``U_s = 2d``, ``U_f = -2d``,
    ``U_sq = 0`` and no power is taken at all."""

    def __init__(self, x: np.ndarray, R: np.ndarray, mu: np.ndarray, q: float) -> None:
        Rb = R[:, None, None]
        self.gap = np.abs(x[:, :, None] - x[:, None, :])
        with np.errstate(over="ignore"):  # inactive cells may lie far outside a tiny range
            self.d = np.clip(self.gap / Rb, 0.0, 1.0)
        self.q = q
        with np.errstate(divide="ignore"):
            self.log_near = np.log(0.5 - 0.5 * self.d)     # -inf at d = 1: exp(-inf) = 0
            self.log_far = np.log(0.5 + 0.5 * self.d)
            if q != 1.0:
                to_mu = np.abs(x - mu[:, None])[:, :, None]
                spread = np.clip(0.25 * (to_mu + self.gap) / Rb, 0.0, 0.5)
                self.better = to_mu < self.gap                    # T = 1
                self.log_bw = np.log(np.where(self.better, 0.5 - spread, 0.5 + spread))
                self.spread = spread

    def eu(self, s: np.ndarray, P: np.ndarray, r: np.ndarray | None) -> np.ndarray:
        """``E[:, a, b]`` with exponent ``r`` (broadcasting against (m, n, n); None for 1)."""
        sb = s[:, None, :]
        if r is None:
            u_s, u_f, u_sq = 2.0 * self.d, -2.0 * self.d, 0.0
        else:
            u_s = 2.0 - 4.0 * np.exp(r * self.log_near)
            u_f = 2.0 - 4.0 * np.exp(r * self.log_far)
            u_sq = 2.0 - 4.0 * np.exp(r * np.log(0.5))
        eu = sb * (P * u_s + (1.0 - P) * u_f) + (1.0 - sb) * u_s - self.q * u_sq
        if self.q != 1.0:
            if r is None:
                u_bw = np.where(self.better, 4.0 * self.spread, -4.0 * self.spread)
            else:
                u_bw = 2.0 - 4.0 * np.exp(r * self.log_bw)
            eu = eu - (1.0 - self.q) * u_bw
        return eu


def expected_utilities(x: np.ndarray, s: np.ndarray, P: np.ndarray, R: np.ndarray,
                       r: np.ndarray | float, mu: np.ndarray, q: float) -> np.ndarray:
    """``E[:, a, b]``: a's expected utility of challenging b, computed with exponent ``r``.

    ``r`` broadcasts against (m, n, n): pass ``r[:, :, None]`` for the challenger's exponent or
    ``r[:, None, :]`` for the target's. ``s`` is (m, n) salience; the target's salience enters.
    """
    return _Utilities(x, R, mu, q).eu(s, P, None if np.isscalar(r) and r == 1.0
                                      else np.asarray(r, dtype=float))


def risk_exponents(security: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Risk exponents from security sums (SCH eqs 33-34), per issue over active actors.

    ``r = (1 - R/3) / (1 + R/3)`` with ``R = (2 Sec - max - min) / (max - min)``; 1 where all
    security sums of an issue are equal (relative tolerance 1e-12) and for inactive actors.
    """
    big = np.where(active, security, -np.inf).max(axis=1)
    small = np.where(active, security, np.inf).min(axis=1)
    has = active.any(axis=1)
    big = np.where(has, big, 0.0)
    small = np.where(has, small, 0.0)
    spread = big - small
    scale = np.maximum(1.0, np.maximum(np.abs(big), np.abs(small)))
    flat = spread <= 1e-12 * scale
    Rk = (2.0 * security - big[:, None] - small[:, None]) / np.where(flat, 1.0, spread)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):  # only inactive cells reach R = -3
        r = (1.0 - Rk / 3.0) / (1.0 + Rk / 3.0)
    return np.where(flat[:, None] | ~active, 1.0, r)


def _issue_range(state: BargainingState, params: Mapping[str, Any]) -> np.ndarray:
    x, act = state.positions, state.active
    hi = np.where(act, x, -np.inf).max(axis=1)
    lo = np.where(act, x, np.inf).min(axis=1)
    spread = np.where(act.any(axis=1), hi - lo, 0.0)
    if params["range"] == "scale":
        return state.high - state.low
    if params["range"] == "dynamic":
        return np.where(spread > 0, spread, 1.0)
    base = state.memo["range"]
    widened = np.maximum(base, spread)
    state.memo["range"] = widened
    return widened


def init(state: BargainingState, params: Mapping[str, Any]) -> dict[str, Any]:
    """Per-run memory: the range of each issue's initial positions (1 where they are equal)."""
    x, act = state.positions, state.active
    hi = np.where(act, x, -np.inf).max(axis=1)
    lo = np.where(act, x, np.inf).min(axis=1)
    spread = np.where(act.any(axis=1), hi - lo, 0.0)
    return {"range": np.where(spread > 0, spread, 1.0)}


def step(state: BargainingState, params: Mapping[str, Any], rng: np.random.Generator
         ) -> RoundOutcome:
    """One round of the expected-utility model on every issue at once, on the backend that
    :mod:`negsim.rules.kernels` selects (numpy here, or the compiled one of ``_eum_fused``)."""
    x = np.asarray(state.positions, dtype=float)
    act = np.asarray(state.active, dtype=bool)
    R = _issue_range(state, params)
    q = float(params["q"])
    if kernels.backend(x.shape[1]) == "fused":
        return _fused_round(x, np.asarray(state.salience, dtype=float),
                            np.asarray(state.capability, dtype=float), act, R, q, params)
    s = np.where(act, state.salience, 0.0)
    w = np.where(act, state.capability * s, 0.0)
    m, n = x.shape
    variant = params["probability"]
    mu = weighted_median(x, w, act) if q != 1.0 else np.zeros(m)
    pair = act[:, :, None] & act[:, None, :] & ~np.eye(n, dtype=bool)[None]

    geo = _LineGeometry(x)
    util = _Utilities(x, R, mu, q)
    if params["risk"] == "two_pass":
        ones = np.ones((m, n))
        P1 = win_probabilities(x, w, act, R, ones, variant, geo)
        E1 = util.eu(s, P1, None)
        security = np.where(pair, E1, 0.0).sum(axis=1)            # sum over challengers j
        r = risk_exponents(security, act)
    else:
        security = np.zeros((m, n))
        r = np.ones((m, n))

    P = win_probabilities(x, w, act, R, r, variant, geo)
    E_own = util.eu(s, P, r[:, :, None])          # [i, j] = E^i(U_ij) with r_i
    E_tgt = util.eu(s, P, r[:, None, :])          # [j, i] = E^j(U_ji) with r_i
    Eij = E_own
    Eji = E_tgt.transpose(0, 2, 1)                                     # [i, j] = E^j(U_ji), r_i

    xi = x[:, :, None]
    xj = x[:, None, :]
    valid = pair & (geo.lower | geo.higher)
    conf = valid & (Eji > Eij) & (Eij > 0)
    yielding = valid & (Eji > 0) & (Eij < 0)
    comp = yielding & (Eji > np.abs(Eij))
    capit = yielding & ~comp & bool(params["capitulation"])
    ratio = np.abs(Eij) / np.where(comp, Eji, 1.0)
    dest = np.where(comp, xi + (xj - xi) * ratio, xj)
    move = np.abs(dest - xi)
    if params["compromise_choice"] == "weighted_position":
        a, b = np.abs(Eij), np.abs(Eji)
        comp_key = (a * xi + b * xj) / np.where(comp, a + b, 1.0)
    else:
        comp_key = move

    inf = np.inf
    j_conf = np.argmin(np.where(conf, move, inf), axis=2)
    j_comp = np.argmin(np.where(comp, comp_key, inf), axis=2)
    j_cap = np.argmin(np.where(capit, move, inf), axis=2)
    has_conf, has_comp, has_cap = conf.any(2), comp.any(2), capit.any(2)

    partner = np.where(has_conf, j_conf, np.where(has_comp, j_comp, np.where(has_cap, j_cap, -1)))
    kind = np.where(has_conf, MoveKind.CONFRONTATION,
                    np.where(has_comp, MoveKind.COMPROMISE,
                             np.where(has_cap, MoveKind.CAPITULATION, MoveKind.HELD)))
    kind = np.where(act, kind, MoveKind.INACTIVE).astype(np.int8)
    partner = np.where(act, partner, -1)
    chosen = partner >= 0
    pick = (np.arange(m * n) * n).reshape(m, n) + np.where(chosen, partner, 0)  # flat [k, i, j]
    new_x = np.where(chosen, dest.reshape(-1)[pick], x)
    eu_self = np.where(chosen, Eij.reshape(-1)[pick], np.nan)
    eu_partner = np.where(chosen, np.ascontiguousarray(Eji).reshape(-1)[pick], np.nan)
    return RoundOutcome(
        positions=new_x,
        kind=kind,
        partner=partner.astype(np.int32),
        actor_info={"eu_self": eu_self, "eu_partner": eu_partner,
                    "risk": np.where(act, r, np.nan),
                    "security": np.where(act, security, np.nan)},
        pair_info=kernels.LazyArrays(_PAIR_NAMES, lambda: {
            "eu_ij": np.where(pair, Eij, np.nan), "eu_ji": np.where(pair, Eji, np.nan)}),
    )


_PAIR_NAMES = ("eu_ij", "eu_ji")


def _fused_round(x: np.ndarray, salience: np.ndarray, capability: np.ndarray, act: np.ndarray,
                 R: np.ndarray, q: float, params: Mapping[str, Any]) -> RoundOutcome:
    """The round in one compiled call (:mod:`negsim.rules._eum_fused`); the pairwise
    diagnostics are computed (by a second call) only if a caller reads them."""
    from . import _eum_fused  # imports numba: first fused round only

    if q != 1.0:
        mu = weighted_median(x, np.where(act, capability * np.where(act, salience, 0.0), 0.0),
                             act)
    else:
        mu = np.zeros(x.shape[0])
    args = (x, salience, capability, act, R, mu, q, params["probability"],
            params["compromise_choice"], bool(params["capitulation"]), params["risk"])
    out = _eum_fused.round_arrays(*args)
    frozen = tuple(np.array(v) if isinstance(v, np.ndarray) else v for v in args)
    return RoundOutcome(
        positions=out["positions"], kind=out["kind"], partner=out["partner"],
        actor_info={"eu_self": out["eu_self"], "eu_partner": out["eu_partner"],
                    "risk": out["risk"], "security": out["security"]},
        pair_info=kernels.LazyArrays(_PAIR_NAMES, lambda: _eum_fused.pair_arrays(*frozen)))


RULE = register(Rule(
    name="eum",
    title="Expected-utility model (Bueno de Mesquita; Scholz et al. 2011 reconstruction)",
    description="Issue-by-issue challenges weighed by expected utility; actors accept "
                "confrontations, compromises or capitulations; risk attitudes from security.",
    citation="Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method. "
             "In Stokman (ed.), European Community Decision Making, 71-104. Scholz, J. B., "
             "Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De Mesquita's group "
             "decision model. J. Theoretical Politics 23(4), 510-531.",
    step=step,
    init=init,
    stochastic=False,
    multidimensional=False,
    single_issue=False,
    # Without events positions only move toward existing positions, so the spread never grows
    # and the range R (the rule's only memory) stays fixed: a round depends on its start state.
    markov=True,
    params=(
        Param("probability", "scholz",
              "Win probability: 'scholz' (voters' own risk exponents, denominator over all "
              "ordered pairs; reproduces the published tables), 'literal' (SCH eq. 31 as "
              "printed), 'masad' (signed numerator clipped at 0).",
              choices=("scholz", "literal", "masad")),
        Param("compromise_choice", "weighted_position",
              "Which compromise a receiver accepts: 'weighted_position' (smallest "
              "(|E_ij| x_i + |E_ji| x_j)/(|E_ij| + |E_ji|), Scholz's code) or 'least_move'.",
              choices=("weighted_position", "least_move")),
        Param("q", 1.0, "Probability Q that the status quo persists if no challenge is made "
              "(1 in SCH's replication; 0.5 in BDM & Lalman 1986).", low=0.0, high=1.0),
        Param("range", "initial",
              "Distance normaliser R: 'initial' (spread of the initial positions, widened only if "
              "an event goes beyond it), 'dynamic' (spread each round), 'scale' (the issue's "
              "scale width).", choices=("initial", "dynamic", "scale")),
        Param("capitulation", True,
              "Allow capitulation offers (E_ji > 0 > E_ij, E_ji <= |E_ij|): SCH fig. 6. One "
              "public implementation disables them by a typo."),
        Param("risk", "two_pass",
              "Risk attitudes: 'two_pass' (exponents from security sums each round, SCH sec. 5) "
              "or 'neutral' (r = 1 throughout).", choices=("two_pass", "neutral")),
    ),
    actor_info=(
        ("eu_self", "E_ij: the receiver's expected utility of challenging the accepted proposer"),
        ("eu_partner", "E_ji: the proposer's expected utility of challenging the receiver "
                       "(receiver's risk exponent)"),
        ("risk", "risk exponent r used this round (0.5 risk-acceptant .. 2 risk-averse)"),
        ("security", "security sum: what all others expect from challenging this actor (r = 1)"),
    ),
    pair_info=(
        ("eu_ij", "E_ij for every receiver i and other actor j (view from i: x axis)"),
        ("eu_ji", "E_ji with i's exponent for every pair (view from i: y axis)"),
    ),
))
