"""Forecast baselines: one-shot rules with no bargaining dynamics.

The forecasting literature on EU decision-making (Thomson et al. 2006) found these simple
predictors hard to beat; negsim runs them in the same registry so any scenario can put a dynamic
model beside them. Each returns, in its single round, the predicted outcome of every issue as
the new position of every participating actor (move kind ``forecast``), so the forecast is also
the issue's weighted median and the run reports ``consensus`` from round 1.

``compromise``
    the capability x salience weighted mean of positions (van den Bos 1991; Achen 2006).
``median``
    the capability x salience weighted median, the Condorcet winner on a line (Black 1948).
``nash``
    the asymmetric Nash bargaining solution (Nash 1950; Kalai 1977): the point ``x`` on the issue
    scale that maximises ``prod_i (u_i(x) - u_i(d))^(c_i)``, i.e. the capability-weighted sum
    of log utility gains over a disagreement point ``d``. Utilities are linear losses
    ``u_i(x) = -s_i |x - x_i|`` (``utility="linear"``, default) or quadratic ones
    (``"quadratic"``); Achen (2006) discusses how the compromise model itself arises as a Nash
    bargaining solution under particular assumptions. The disagreement point is the
    issue's status quo when the scenario gives one (``disagreement="status_quo"``, default),
    else each actor's worst point on the scale. With a status quo, only outcomes every actor
    weakly prefers to it are feasible; if that leaves only the status quo, it is the solution.
    Maximised with ``scipy.optimize.minimize_scalar`` on the feasible interval, where the
    objective is concave.

Actors that take no part in an issue are ignored on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..stats import weighted_mean, weighted_median
from . import register
from .base import BargainingState, MoveKind, Param, RoundOutcome, Rule

__all__ = ["COMPROMISE", "MEDIAN", "NASH", "nash_solution"]


def _outcome(state: BargainingState, forecast: np.ndarray) -> RoundOutcome:
    act = np.asarray(state.active, dtype=bool)
    x = np.where(act, forecast[:, None], state.positions)
    kind = np.where(act, MoveKind.FORECAST, MoveKind.INACTIVE).astype(np.int8)
    return RoundOutcome(positions=x, kind=kind, partner=np.full(act.shape, -1, dtype=np.int32))


def _compromise(state: BargainingState, params: Mapping[str, Any], rng) -> RoundOutcome:
    w = state.capability * state.salience
    return _outcome(state, weighted_mean(state.positions, w, state.active))


def _median(state: BargainingState, params: Mapping[str, Any], rng) -> RoundOutcome:
    w = state.capability * state.salience
    return _outcome(state, weighted_median(state.positions, w, state.active))


def nash_solution(x: np.ndarray, weight: np.ndarray, salience: np.ndarray, low: float,
                  high: float, status_quo: float | None = None, utility: str = "linear"
                  ) -> float:
    """Asymmetric Nash bargaining solution on one issue (see the module docstring).

    x, weight, salience: (n,) for the participating actors; ``weight`` are the exponents.
    """
    from scipy.optimize import minimize_scalar

    x = np.asarray(x, dtype=float)
    a = np.asarray(weight, dtype=float)
    s = np.asarray(salience, dtype=float)
    keep = a > 0
    if not keep.any():
        keep = np.ones_like(keep)
        a = np.ones_like(a)
    x, a, s = x[keep], a[keep] / a[keep].sum(), s[keep]
    power = 2.0 if utility == "quadratic" else 1.0

    def loss(point: float | np.ndarray) -> np.ndarray:
        return np.abs(np.asarray(point)[..., None] - x) ** power

    if status_quo is not None and np.isfinite(status_quo):
        reach = np.abs(status_quo - x)            # feasible: |p - x_i| <= |sq - x_i| for all i
        lo, hi = max(low, float(np.max(x - reach))), min(high, float(np.min(x + reach)))
        d_loss = loss(status_quo)
        if hi - lo <= 1e-12 * max(1.0, high - low):
            return float(status_quo)
    else:
        lo, hi = low, high
        d_loss = np.maximum(loss(low), loss(high))
    scale = np.where(s > 0, s, 1.0)

    def objective(point: float) -> float:
        gain = scale * (d_loss - loss(point))
        if np.any(gain <= 0):
            # at the edge of the feasible set; steer the search back inside
            return 1e300
        return -float(np.sum(a * np.log(gain)))

    res = minimize_scalar(objective, bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-10 * max(1.0, high - low)})
    best = float(res.x)
    if not np.isfinite(objective(best)) or objective(best) >= 1e299:
        best = 0.5 * (lo + hi)
    return float(np.clip(best, low, high))


def _nash(state: BargainingState, params: Mapping[str, Any], rng) -> RoundOutcome:
    m = state.positions.shape[0]
    forecast = np.zeros(m)
    weights = state.capability * (state.salience if params["weights"] == "capability_salience"
                                  else 1.0)
    sq = state.status_quo if state.status_quo is not None else np.full(m, np.nan)
    for k in range(m):  # one small one-dimensional optimisation per issue
        act = np.asarray(state.active[k], dtype=bool)
        d = sq[k] if params["disagreement"] == "status_quo" else np.nan
        forecast[k] = nash_solution(state.positions[k, act], weights[k, act],
                                    state.salience[k, act], float(state.low[k]),
                                    float(state.high[k]), None if np.isnan(d) else float(d),
                                    params["utility"])
    return _outcome(state, forecast)


_ONE_SHOT = dict(one_shot=True, stochastic=False, multidimensional=False, single_issue=False)

COMPROMISE = register(Rule(
    name="compromise",
    title="Compromise model (capability x salience weighted mean)",
    description="Forecasts each issue at the weighted mean of positions; no dynamics.",
    citation="van den Bos, J. M. M. (1991). Dutch EC Policy Making. Thesis, Amsterdam. Achen, "
             "C. H. (2006). Evaluating political decision-making models. In Thomson, Stokman, "
             "Achen & Koenig (eds.), The European Union Decides, 264-298. Cambridge UP.",
    step=_compromise, **_ONE_SHOT))

MEDIAN = register(Rule(
    name="median",
    title="Weighted median (median voter)",
    description="Forecasts each issue at the capability x salience weighted median, the "
                "Condorcet winner on a line; no dynamics.",
    citation="Black, D. (1948). On the rationale of group decision-making. Journal of Political "
             "Economy 56(1), 23-34.",
    step=_median, **_ONE_SHOT))

NASH = register(Rule(
    name="nash",
    title="Asymmetric Nash bargaining solution",
    description="Forecasts each issue at the point maximising the capability-weighted product "
                "of utility gains over the disagreement point; no dynamics.",
    citation="Nash, J. F. (1950). The bargaining problem. Econometrica 18(2), 155-162. Kalai, "
             "E. (1977). Nonsymmetric Nash solutions and replications of 2-person bargaining. "
             "International Journal of Game Theory 6(3), 129-133. Achen (2006), as above.",
    step=_nash,
    params=(
        Param("disagreement", "status_quo",
              "Disagreement point: 'status_quo' (the issue's status quo when the scenario gives "
              "one, else each actor's worst point) or 'worst' (always the worst point).",
              choices=("status_quo", "worst")),
        Param("utility", "linear", "Utility of an outcome: 'linear' (-s|x - x_i|) or "
              "'quadratic' (-s (x - x_i)^2).", choices=("linear", "quadratic")),
        Param("weights", "capability", "Bargaining weights (exponents): 'capability' or "
              "'capability_salience'.", choices=("capability", "capability_salience")),
    ),
    **_ONE_SHOT))
