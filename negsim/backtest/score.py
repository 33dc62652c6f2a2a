"""Scoring a back-test: errors, bootstrap intervals, paired differences (see the package
docstring)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .cases import HITS, TIE

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["score"]


def _group_seed(seed: int, key: str) -> np.random.Generator:
    """A generator for one breakdown group: the same resamples for every model in it, and
    independent of which other groups or models are in the run."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(key.encode())]))


def _metric_fns() -> dict[str, Any]:
    def mae(x, axis=-1):
        return np.mean(x, axis=axis)

    def median_ae(x, axis=-1):
        return np.median(x, axis=axis)

    def hit(limit):
        return lambda x, axis=-1: np.mean(x <= limit + TIE, axis=axis)

    return {"mae": mae, "median_ae": median_ae,
            **{f"hit{int(h)}": hit(h) for h in HITS}}


def _interval(data: tuple[np.ndarray, ...], statistic, rng: np.random.Generator, resamples: int,
              confidence: float, paired: bool = False) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval; (None, None) when it cannot be computed (fewer than two
    issues, or no resampling asked for)."""
    if resamples <= 0 or len(data[0]) < 2:
        return None, None
    import warnings

    from scipy.stats import bootstrap

    kw = dict(n_resamples=resamples, confidence_level=confidence, method="percentile",
              vectorized=True, paired=paired)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = bootstrap(data, statistic, rng=rng, **kw)
        except TypeError:   # scipy < 1.15 names the generator random_state
            res = bootstrap(data, statistic, random_state=rng, **kw)
    lo, hi = (float(v) for v in res.confidence_interval)
    return (lo if math.isfinite(lo) else None), (hi if math.isfinite(hi) else None)


def _detectable(diff: np.ndarray, confidence: float) -> float | None:
    """Smallest mean paired difference detectable with 80% power at level 1 - confidence."""
    if diff.size < 2:
        return None
    from scipy.stats import norm

    sd = float(np.std(diff, ddof=1))
    return float((norm.ppf(1 - (1 - confidence) / 2) + norm.ppf(0.8)) * sd / math.sqrt(diff.size))


def score(issues: "pd.DataFrame", models: Sequence[str], *, seed: int = 0,
          resamples: int = 2000, confidence: float = 0.95,
          groups: Sequence[str] = ()) -> tuple["pd.DataFrame", "pd.DataFrame"]:
    """(summary, paired) tables from the per-issue table of :func:`run_models`."""
    import pandas as pd

    fns = _metric_fns()
    summary_rows = []
    breakdown: list[tuple[str, str, Any]] = [("all", "all", None)]
    for g in groups:
        values = issues[g].dropna().unique().tolist()
        breakdown += [(g, str(v), v) for v in sorted(values, key=str)]
    for by, label, value in breakdown:
        sub = issues if value is None else issues[issues[by] == value]
        for m in models:
            err = sub.loc[sub["model"] == m, "error_pct"].to_numpy(dtype=float)
            ae = np.abs(err)
            row: dict[str, Any] = {"model": m, "by": by, "group": label, "n": int(ae.size)}
            for name, fn in fns.items():
                row[name] = float(fn(ae)) if ae.size else None
                lo, hi = _interval((ae,), fn, _group_seed(seed, f"{by}={label}"), resamples,
                                   confidence)
                row[f"{name}_low"], row[f"{name}_high"] = lo, hi
            row["bias"] = float(err.mean()) if err.size else None
            lo, hi = _interval((err,), fns["mae"], _group_seed(seed, f"{by}={label}"),
                               resamples, confidence)
            row["bias_low"], row["bias_high"] = lo, hi
            summary_rows.append(row)
    summary = pd.DataFrame(summary_rows)

    paired_rows = []
    wide = issues.pivot_table(index=["case", "issue"], columns="model", values="abs_error_pct",
                              sort=False) if len(issues) else None
    for i, a in enumerate(models):
        for b in models[i + 1:]:
            if wide is None or a not in wide or b not in wide:
                continue
            both = wide[[a, b]].dropna()
            ea, eb = both[a].to_numpy(dtype=float), both[b].to_numpy(dtype=float)
            rng_key = f"paired={a}|{b}"
            mae_diff = float(ea.mean() - eb.mean()) if ea.size else None
            lo, hi = _interval((ea, eb), lambda x, y, axis=-1: np.mean(x, axis=axis)
                               - np.mean(y, axis=axis), _group_seed(seed, rng_key), resamples,
                               confidence, paired=True)
            hit_a, hit_b = ((ea <= HITS[-1] + TIE).astype(float),
                            (eb <= HITS[-1] + TIE).astype(float))
            hlo, hhi = _interval((hit_a, hit_b), lambda x, y, axis=-1: np.mean(x, axis=axis)
                                 - np.mean(y, axis=axis), _group_seed(seed, rng_key),
                                 resamples, confidence, paired=True)
            paired_rows.append({
                "model_a": a, "model_b": b, "n": int(ea.size), "mae_diff": mae_diff,
                "mae_diff_low": lo, "mae_diff_high": hi,
                "detectable": _detectable(ea - eb, confidence),
                f"hit{int(HITS[-1])}_diff": float(hit_a.mean() - hit_b.mean()) if ea.size else None,
                f"hit{int(HITS[-1])}_diff_low": hlo, f"hit{int(HITS[-1])}_diff_high": hhi,
                "a_closer": int((ea < eb - TIE).sum()), "b_closer": int((eb < ea - TIE).sum()),
                "ties": int((np.abs(ea - eb) <= TIE).sum()),
            })
    paired = pd.DataFrame(paired_rows, columns=[
        "model_a", "model_b", "n", "mae_diff", "mae_diff_low", "mae_diff_high", "detectable",
        f"hit{int(HITS[-1])}_diff", f"hit{int(HITS[-1])}_diff_low",
        f"hit{int(HITS[-1])}_diff_high", "a_closer", "b_closer", "ties"])
    return summary, paired


