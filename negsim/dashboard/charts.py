"""The dashboard's live charts: drawn again after every step, so they are light.

Two figures, each drawn from the current run so far and its baseline (the unchanged scenario
with the same rule, parameters and seed, run to its end):

* :func:`issue_figure`: one issue by round: every actor's position (grey), the chosen actor
  (colour), the forecast (black); under them, greyed, the baseline's forecast (a wide grey
  line) and the chosen actor's baseline path (dotted).
* :func:`issues_figure`: every issue in small multiples: this run's forecast and mean +-
  dispersion band (blue) over the baseline's forecast (wide grey) and band edges (dashed grey).

Both span the longer of the two runs, so the baseline shows where the unchanged scenario goes
while the current run grows on top of it. They are written as SVG (:func:`to_svg`) and put
into the page inline: the baseline's artists keep their ``gid`` as the ``id`` of their SVG
group (``issue-baseline-forecast``, ``issues-baseline-forecast-I6``, ...), so a test (or a
screen reader's user, with the chart's ``aria-label``) can tell what is drawn without reading
pixels. Colours follow the house style (:mod:`negsim.plots._style`); the baseline is its grey.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..plots._style import BASELINE, FORECAST, GREY, STATUS_COLOURS

if TYPE_CHECKING:  # pragma: no cover
    from ..result import RunResult

__all__ = ["issue_figure", "issues_figure", "to_svg", "baseline_ids", "CHOSEN", "BAND_NOW"]

#: The chosen actor's line (Okabe-Ito vermillion) and this run's band (Okabe-Ito sky blue).
CHOSEN = "#D55E00"
BAND_NOW = "#56B4E9"
#: The baseline's forecast is a wide grey line under this run's black one: where the two agree
#: it shows as a grey halo, where they part it shows on its own.
HALO = 6.0
RC = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 9.5,
      "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
      "legend.fontsize": 8, "svg.fonttype": "none", "svg.hashsalt": "negsim-dashboard"}


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _span(result: "RunResult", baseline: "RunResult") -> int:
    return max(result.rounds_run, baseline.rounds_run, 1)


def _events(ax, result: "RunResult") -> None:
    for t, _text in result.events:
        if t > 0:
            ax.axvline(t - 0.5, color="#444444", lw=0.9, ls=":", zorder=6, gid=f"event-{t}")


def issue_figure(result: "RunResult", baseline: "RunResult", issue_id: str, actor_id: str,
                 width: float = 7.2, height: float = 4.0) -> Figure:
    """One issue by round, with the baseline greyed underneath (see the module docstring)."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        k = result.issue_ids.index(issue_id)
        issue = result.scenario.issues[issue_id]
        span = _span(result, baseline)
        kb = baseline.issue_ids.index(issue_id)
        rb = np.arange(baseline.rounds_run + 1)
        ax.plot(rb, baseline.forecast_series[:, kb], color=BASELINE, lw=HALO, alpha=0.55,
                solid_capstyle="butt", zorder=3, gid="issue-baseline-forecast")
        if actor_id in baseline.actor_ids:
            ax.plot(rb, baseline.trajectory(issue_id, actor_id), color=BASELINE, lw=1.6,
                    ls=(0, (1, 2)), zorder=3, gid="issue-baseline-actor")
        rounds = np.arange(result.rounds_run + 1)
        for i in np.flatnonzero(result.active[:, k, :].any(axis=0)):
            aid = result.actor_ids[int(i)]
            if aid != actor_id:
                ax.plot(rounds, result.trajectory(issue_id, aid), color=GREY, lw=0.8,
                        alpha=0.8, zorder=2, gid=f"actor-{aid}")
        if actor_id in result.actor_ids:
            ax.plot(rounds, result.trajectory(issue_id, actor_id), color=CHOSEN, lw=2.2,
                    zorder=4, gid="issue-chosen-actor", marker="o" if rounds.size < 3 else None,
                    ms=3)
        ax.plot(rounds, result.forecast_series[:, k], color=FORECAST, lw=2.4, zorder=5,
                gid="issue-forecast", marker="o" if rounds.size < 3 else None, ms=3)
        _events(ax, result)
        ax.set_xlim(0, span)
        ax.set_ylim(issue.scale.low, issue.scale.high)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
        ax.set_xlabel("round (0 = the scenario's positions)")
        ax.set_ylabel(issue.scale.unit or "position")
        name = result.actor_name(actor_id) if actor_id in result.actor_ids else actor_id
        ax.set_title(f"{issue_id} {issue.short or issue.name}: round {result.rounds_run}",
                     loc="left", fontweight="bold")
        handles = [Line2D([], [], color=FORECAST, lw=2.4, label="forecast"),
                   Line2D([], [], color=CHOSEN, lw=2.2, label=name),
                   Line2D([], [], color=GREY, lw=1, label="other actors"),
                   Line2D([], [], color=BASELINE, lw=HALO, alpha=0.55,
                          label="baseline forecast"),
                   Line2D([], [], color=BASELINE, lw=1.6, ls=(0, (1, 2)),
                          label=f"{name}, baseline")]
        fig.legend(handles=handles, loc="outside lower center", ncols=5, handlelength=2.2)
        return fig


def _grid(m: int) -> tuple[int, int]:
    cols = min(m, 4)
    return math.ceil(m / cols), cols


def issues_figure(result: "RunResult", baseline: "RunResult", width: float = 7.2) -> Figure:
    """Every issue: forecast and mean +- dispersion, this run over the baseline's."""
    import matplotlib

    with matplotlib.rc_context(RC):
        m = len(result.issue_ids)
        rows, cols = _grid(m)
        fig = _figure(width, 0.4 + 1.75 * rows)
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
        span = _span(result, baseline)
        rounds = np.arange(result.rounds_run + 1)
        rb = np.arange(baseline.rounds_run + 1)
        for k, iid in enumerate(result.issue_ids):
            ax = axes[k // cols][k % cols]
            issue = result.scenario.issues[iid]
            low, high = issue.scale.low, issue.scale.high
            kb = baseline.issue_ids.index(iid)
            bm, bd = baseline.mean[:, kb], baseline.dispersion[:, kb]
            edges = np.stack([np.clip(bm - bd, low, high), np.clip(bm + bd, low, high)], axis=1)
            ax.plot(rb, edges, color=BASELINE, lw=0.9, ls=(0, (3, 2)), zorder=3,
                    gid=f"issues-baseline-band-{iid}")
            ax.plot(rb, baseline.forecast_series[:, kb], color=BASELINE, lw=HALO - 1,
                    alpha=0.55, solid_capstyle="butt", zorder=3,
                    gid=f"issues-baseline-forecast-{iid}")
            mean, disp = result.mean[:, k], result.dispersion[:, k]
            ax.fill_between(rounds, np.clip(mean - disp, low, high),
                            np.clip(mean + disp, low, high), color=BAND_NOW, alpha=0.35, lw=0,
                            zorder=2, gid=f"issues-band-{iid}")
            ax.plot(rounds, result.forecast_series[:, k], color=FORECAST, lw=2.0, zorder=4,
                    gid=f"issues-forecast-{iid}", marker="o" if rounds.size < 3 else None, ms=2.5)
            st = result.statuses[k]
            ax.set_title(f"{iid} {issue.short or issue.name}\n{st.status}", loc="left",
                         color=STATUS_COLOURS.get(st.status, "#333333"), fontsize=8.5)
            ax.set_xlim(0, span)
            ax.set_ylim(low, high)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
            ax.tick_params(labelsize=7.5)
        for k in range(m, rows * cols):
            axes[k // cols][k % cols].set_visible(False)
        handles = [Line2D([], [], color=FORECAST, lw=2, label="forecast"),
                   Patch(color=BAND_NOW, alpha=0.35, label="mean +- dispersion"),
                   Line2D([], [], color=BASELINE, lw=HALO - 1, alpha=0.55,
                          label="baseline forecast"),
                   Line2D([], [], color=BASELINE, lw=0.9, ls=(0, (3, 2)),
                          label="baseline mean +- dispersion")]
        fig.legend(handles=handles, loc="outside lower center", ncols=4)
        return fig


def to_svg(fig: Figure) -> str:
    """The figure as an SVG document for inline use (no XML prologue or DOCTYPE)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def baseline_ids(fig: Figure) -> list[str]:
    """The gids of the baseline's artists drawn in ``fig``."""
    return sorted({a.get_gid() for ax in fig.axes for a in (*ax.lines, *ax.collections)
                   if (a.get_gid() or "").find("baseline") >= 0})
