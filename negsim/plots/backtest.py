"""The back-test figure: how far each model's forecasts fall from the outcomes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..backtest.cases import HITS
from ._style import OKABE_ITO

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..backtest.result import BacktestResult

__all__ = ["plot_errors"]

# Line styles beside the colours, so that print in grey works too.
_STYLES = ("-", "--", "-.", ":")


def plot_errors(result: "BacktestResult") -> "Figure":
    """Error distributions: cumulative share of issues by absolute error (left) and
    histograms of signed errors (right), one line per model."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.4), layout="constrained")

    ax_cdf, ax_hist = fig.subplots(1, 2)
    bins = np.arange(-102.5, 103, 5)   # a bin centred on 0: exact hits stand out
    for k, m in enumerate(result.models):
        err = result.issues.loc[result.issues["model"] == m, "error_pct"].to_numpy(dtype=float)
        if not err.size:
            continue
        style = {"color": OKABE_ITO[k % len(OKABE_ITO)],
                 "linestyle": _STYLES[k % len(_STYLES)], "linewidth": 1.8}
        ae = np.sort(np.abs(err))
        share = np.arange(1, ae.size + 1) / ae.size
        ax_cdf.step(np.concatenate([[0.0], ae]), np.concatenate([[0.0], share]),
                    where="post", label=f"{m} (MAE {ae.mean():.1f})", **style)
        ax_hist.hist(err, bins=bins, histtype="step", label=m, **style)
    for h in HITS:
        ax_cdf.axvline(h, color="0.5", linewidth=0.8, linestyle=":")
    ax_cdf.set_xlim(0, 100)
    ax_cdf.set_ylim(0, 1)
    ax_cdf.set_xlabel("absolute error (points of a 0-100 scale)")
    ax_cdf.set_ylabel("share of issues with error at most x")
    ax_cdf.legend(loc="lower right", fontsize="small")
    ax_hist.axvline(0, color="0.5", linewidth=0.8)
    ax_hist.set_xlabel("forecast minus outcome (points)")
    ax_hist.set_ylabel("issues")
    ax_hist.legend(loc="upper right", fontsize="small")
    n = result.manifest["counts"].get("scored", 0)
    fig.suptitle(f"Back-test: {result.manifest.get('title', '')} ({n} issues)")
    return fig
