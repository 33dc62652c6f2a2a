"""What-if charts: a changed run drawn over its baseline (two runs of one scenario, e.g. the
``baseline`` and ``whatif`` run directories of ``negsim whatif``, or any two ``negsim run --out``
directories of the same scenario).

Every function is pure: it takes two :class:`~negsim.result.RunResult` objects (baseline first,
then the what-if) and returns a :class:`matplotlib.figure.Figure`; nothing is read, written or
re-simulated.

- :func:`plot_whatif_convergence`: one issue by round, the baseline's actors in light grey under
  the what-if's coloured lines, both forecasts.
- :func:`plot_whatif_multiples`: the same for every issue on one figure.
- :func:`plot_whatif_strip`: per issue, each actor's final position in the baseline (open grey
  point) and in the what-if (filled), joined by an arrow where it moved; the actors that moved
  most (or the highlighted ones) are named with their change.

Gids: the baseline's artists carry the prefix ``baseline:`` (``baseline:actor:<id>``,
``baseline:forecast``), the what-if's the plain gids of :mod:`negsim.plots.runs`; the strip's
arrows are ``move:<id>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..errors import InputError, Problem
from ._labels import PointLabel, place_labels
from .batch import plot_whatif_dirs  # noqa: F401 - the what-if charts of two run directories
from ._style import (BAND, BASELINE, DEFAULT_DPI, FORECAST, GREY, MEAN, STATUS_COLOURS,
                     actor_styles, finish_layout, forecast_words, house_style,
                     new_figure, plain, size_scale, status_text, verdict_text, wrap)
from .runs import (STRIP_AREAS, run_caption, darker, draw_convergence, group_handles,
                   label_ends, legend_with_caption, participants, place_event_labels,
                   strip_point, spread_ends, strip_axes, swarm, check_issue, issue_title,
                   shown_until, multiples_grid, finish_multiples)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..result import RunResult

__all__ = ["plot_whatif_convergence", "plot_whatif_multiples", "plot_whatif_strip",
           "check_pair", "moved_most", "plot_whatif_dirs"]

#: Actors named per issue on the what-if strip (besides highlighted ones).
NAMED_MOVERS = 4


def check_pair(baseline: "RunResult", whatif: "RunResult") -> None:
    """Two runs can be compared when they hold the same issues (one scenario, changed)."""
    if list(baseline.issue_ids) != list(whatif.issue_ids):
        raise InputError([Problem("--baseline", "", "the two runs are not of the same scenario "
                                  f"(issues {', '.join(baseline.issue_ids)} against "
                                  f"{', '.join(whatif.issue_ids)})")])
    if not set(baseline.actor_ids) & set(whatif.actor_ids):
        raise InputError([Problem("--baseline", "", "the two runs share no actor")])


def _final(result: "RunResult", k: int, aid: str) -> float | None:
    """An actor's position at the end of a run on issue k (None if not there at the end)."""
    if aid not in result.actor_ids:
        return None
    i = result.actor_ids.index(aid)
    return float(result.positions[-1, k, i]) if result.active[-1, k, i] else None


def moved_most(baseline: "RunResult", whatif: "RunResult", issue_id: str,
               n: int = NAMED_MOVERS) -> list[tuple[str, float]]:
    """The ``n`` actors whose final position differs most between the runs on the issue:
    (actor, what-if minus baseline), largest change first; changes within the scenario's move
    tolerance do not count."""
    k = whatif.issue_ids.index(issue_id)
    issue = whatif.scenario.issues[issue_id]
    tol = float(whatif.settings.get("move_tolerance", 1e-6)) * (issue.scale.high
                                                                 - issue.scale.low)
    out = []
    for aid in whatif.actor_ids:
        a, b = _final(baseline, k, aid), _final(whatif, k, aid)
        if a is not None and b is not None and abs(b - a) > tol:
            out.append((aid, b - a))
    out.sort(key=lambda p: (-abs(p[1]), whatif.actor_ids.index(p[0])))
    return out[:n]


def _draw_baseline(ax: "Axes", baseline: "RunResult", issue_id: str, compact: bool) -> None:
    """The baseline under a what-if: every actor's line in light grey, its forecast in grey."""
    k = baseline.issue_ids.index(issue_id)
    rounds = np.arange(baseline.rounds_run + 1)
    for i in participants(baseline, k):
        aid = baseline.actor_ids[i]
        ax.plot(rounds, baseline.trajectory(issue_id, aid), color=GREY,
                lw=0.8 if compact else 1.0, alpha=0.75, zorder=0.6,
                gid=f"baseline:actor:{aid}")
    ax.plot(rounds, baseline.forecast_series[:, k], color=BASELINE, lw=2.0 if compact else 2.6,
            ls=(0, (6, 2)), zorder=0.8, gid="baseline:forecast")


def _overlay_handles(baseline: "RunResult", whatif: "RunResult") -> list:
    return [Line2D([], [], color=GREY, lw=1.4, label="baseline: every actor (grey)"),
            Line2D([], [], color=BASELINE, lw=2.6, ls=(0, (6, 2)),
                   label=plain(wrap(f"baseline forecast ({forecast_words(baseline)})", 40))),
            Line2D([], [], color=FORECAST, lw=3.2,
                   label=plain(wrap(f"what-if forecast ({forecast_words(whatif)})", 40))),
            Line2D([], [], color=MEAN, lw=2.0, ls=(0, (5, 2)), label="what-if weighted mean"),
            Patch(facecolor=BAND, alpha=0.45, label="what-if mean ± 1 s.d.")]


def _change_text(baseline: "RunResult", whatif: "RunResult", issue_id: str) -> str:
    """``unsettled (cycle of 2) → consensus from round 15; forecast 25.7 → 50``."""
    k = whatif.issue_ids.index(issue_id)
    a = status_text(baseline.statuses[k], baseline.rounds_run) + verdict_text(baseline, k)
    b = status_text(whatif.statuses[k], whatif.rounds_run) + verdict_text(whatif, k)
    fa, fb = float(baseline.forecast_series[-1, k]), float(whatif.forecast_series[-1, k])
    return f"{a} → {b}; forecast {fa:.4g} → {fb:.4g}"


def _last_round(baseline: "RunResult", whatif: "RunResult", issue_id: str) -> int:
    return max(shown_until(baseline, issue_id)[0], shown_until(whatif, issue_id)[0])


def plot_whatif_convergence(baseline: "RunResult", whatif: "RunResult",
                            issue_id: str | None = None, *,
                            highlight: Sequence[str] | str | None = None,
                            dpi: float = DEFAULT_DPI) -> "Figure":
    """One issue by round: the baseline's actors in light grey (and its forecast, grey dashed)
    under the what-if's lines, coloured as in :func:`~negsim.plots.plot_convergence`; events of
    the what-if marked; the title gives both statuses and forecasts."""
    check_pair(baseline, whatif)
    issue_id = check_issue(whatif, issue_id)
    k = whatif.issue_ids.index(issue_id)
    with house_style():
        styles = actor_styles(whatif, highlight)
        fig = new_figure(dpi=dpi)
        ax = fig.add_subplot()
        last = _last_round(baseline, whatif, issue_id)
        _draw_baseline(ax, baseline, issue_id, compact=False)
        settled, events = draw_convergence(ax, whatif, issue_id, styles, compact=False,
                                            last=last)
        ax.set_title(plain(wrap(f"What-if, {issue_title(whatif, issue_id)}: "
                                + _change_text(baseline, whatif, issue_id), 130)), loc="left",
                     fontsize=12)
        fig.suptitle(plain("what-if: " + run_caption(whatif)), x=0.01, ha="left", fontsize=9,
                     color="#555555")
        ends = label_ends(ax, whatif, issue_id, styles,
                           min(shown_until(whatif, issue_id)[0], whatif.rounds_run))
        handles = group_handles(whatif, styles, participants(whatif, k)) + \
            _overlay_handles(baseline, whatif)
        if settled:
            handles.append(Line2D([], [], color=STATUS_COLOURS[settled], lw=1.6,
                                  label=f"what-if {settled} reached"))
        if events:
            handles.append(Line2D([], [], color="#444444", lw=1.0, ls=":",
                                  label="event (what-if), between rounds"))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)),
                   handlelength=2.4)
        finish_layout(fig)
        spread_ends(ax, ends)
        place_event_labels(ax, events, [t for t in ax.texts if t.get_gid() == "settled-label"])
    return fig


def plot_whatif_multiples(baseline: "RunResult", whatif: "RunResult", *,
                          highlight: Sequence[str] | str | None = None,
                          dpi: float = DEFAULT_DPI) -> "Figure":
    """Every issue by round, the baseline in grey under the what-if, ordered by the what-if's
    status; each panel says how its status and forecast changed."""
    check_pair(baseline, whatif)
    with house_style():
        order, styles, fig, axes = multiples_grid(whatif, highlight, dpi)
        m = len(order)
        any_events = False
        for ax, iid in zip(axes, order):
            k = whatif.issue_ids.index(iid)
            _draw_baseline(ax, baseline, iid, compact=True)
            _, events = draw_convergence(ax, whatif, iid, styles, compact=True,
                                          last=_last_round(baseline, whatif, iid))
            any_events |= bool(events)
            st = whatif.statuses[k]
            changed = (baseline.statuses[k].status != st.status
                       or abs(float(baseline.forecast_series[-1, k])
                              - float(whatif.forecast_series[-1, k])) > 1e-9)
            ax.set_title(plain(wrap(issue_title(whatif, iid), 30)), loc="left", fontsize=11,
                         pad=30)
            text = (f"{baseline.statuses[k].status} → {status_text(st, whatif.rounds_run)}"
                    .split(" after ")[0] + verdict_text(whatif, k, short=True)
                    + f"\nforecast {float(baseline.forecast_series[-1, k]):.3g} → "
                    f"{float(whatif.forecast_series[-1, k]):.3g}"
                    + ("" if changed else " (unchanged)"))
            ax.annotate(text, xy=(0, 1), xycoords="axes fraction", xytext=(0, 4),
                        textcoords="offset points", ha="left", va="bottom", fontsize=8.5,
                        color=STATUS_COLOURS[st.status],
                        fontweight="bold" if changed else "normal",
                        gid="status").set_in_layout(False)
            ax.set_gid(f"issue:{iid}")
            ax.tick_params(labelsize=9)
        fig.suptitle(plain(f"What-if against its baseline (grey): {whatif.scenario.title}"),
                     fontsize=13, fontweight="bold")
        slots = sorted({i for iid in order for i in participants(
            whatif, whatif.issue_ids.index(iid))})
        handles = group_handles(whatif, styles, slots) + _overlay_handles(baseline, whatif)
        if any_events:
            handles.append(Line2D([], [], color="#444444", lw=1.0, ls=":",
                                  label="event (what-if)"))
        finish_multiples(fig, axes, m, handles, wrap("what-if: " + run_caption(whatif), 48), 4)
    return fig


def plot_whatif_strip(baseline: "RunResult", whatif: "RunResult", *,
                      highlight: Sequence[str] | str | None = None,
                      named: int = NAMED_MOVERS, dpi: float = DEFAULT_DPI) -> "Figure":
    """Per issue, where each actor ends in the baseline (open grey point) and in the what-if
    (filled, sized by capability x salience, coloured by bloc), with an arrow where it moved;
    the ``named`` actors that moved most on the issue (or the highlighted ones) are named with
    their change; both forecasts are marked."""
    check_pair(baseline, whatif)
    m = len(whatif.issue_ids)
    ncols = 1 if m <= 3 else 2
    nrows = -(-m // ncols)
    T = whatif.rounds_run
    with house_style():
        styles = actor_styles(whatif, highlight)
        fig = new_figure(dpi=dpi)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        w_all = (whatif.capability[T] * whatif.salience[T])[whatif.active[T]]
        largest = float(max(w_all.max() if w_all.size else 1.0, 1e-300))
        panels = []
        for ax, (k, iid) in zip(axes, enumerate(whatif.issue_ids)):
            slots = [int(i) for i in np.flatnonzero(whatif.active[T, k])]
            after = whatif.positions[T, k, slots]
            before = np.array([np.nan if (b := _final(baseline, k, whatif.actor_ids[i])) is None
                               else b for i in slots])
            w = whatif.capability[T, k, slots] * whatif.salience[T, k, slots]
            sizes = size_scale(w, largest, *STRIP_AREAS)
            dots, rings = [], []
            for j in np.argsort(-w, kind="stable"):
                aid = whatif.actor_ids[slots[j]]
                if np.isfinite(before[j]):
                    rings.append((j, ax.plot([before[j]], [0.0], ls="none", marker="o",
                                             ms=float(np.sqrt(sizes[j])), mfc="none",
                                             mec=BASELINE, mew=1.0, zorder=2,
                                             gid=f"baseline:actor:{aid}")[0]))
                dots.append((j, strip_point(ax, float(after[j]), float(sizes[j]), styles, aid)))
            fb = float(baseline.forecast_series[-1, k])
            fw = float(whatif.forecast_series[-1, k])
            ax.axvline(fb, color=BASELINE, lw=2.0, ls=(0, (6, 2)), zorder=1.5,
                       gid="baseline:forecast")
            ax.axvline(fw, color=FORECAST, lw=2.2, zorder=4, gid="forecast")
            sb, sw = baseline.statuses[k], whatif.statuses[k]
            strip_axes(ax, whatif, iid, fw, f"forecast {fb:.3g} → {fw:.3g}",
                        f"{sb.status} → {sw.status}" + (f" from round {sw.since}"
                                                        if sw.since is not None else ""),
                        STATUS_COLOURS[sw.status])
            panels.append((ax, iid, slots, after, before, w, sizes, dots, rings, (fb, fw)))
        fig.suptitle(plain(f"What-if against its baseline: where each actor ends "
                           f"({whatif.scenario.title})"), fontsize=13, fontweight="bold")
        slots_all = [int(i) for i in np.flatnonzero(whatif.active[T].any(axis=0))]
        handles = [Line2D([], [], color=h.get_color(), marker="o", ls="none", markersize=8,
                          label=h.get_label()) for h in group_handles(whatif, styles,
                                                                       slots_all)]
        handles += [Line2D([], [], color=BASELINE, marker="o", mfc="none", ls="none",
                           markersize=8, label="baseline position (open)"),
                    Line2D([], [], color="#777777", lw=1.2, marker=">", markersize=5,
                           label="moved (baseline → what-if)"),
                    Line2D([], [], color=BASELINE, lw=2.0, ls=(0, (6, 2)),
                           label="baseline forecast"),
                    Line2D([], [], color=FORECAST, lw=2.2,
                           label=plain(wrap(f"what-if forecast ({forecast_words(whatif)})", 40)))]
        spare = axes[m] if m < len(axes) else None
        for ax in axes[m + 1:]:
            ax.set_visible(False)
        legend_with_caption(fig, handles, 2 if spare is not None else 4,
                             wrap("what-if: " + run_caption(whatif), 90), spare, in_layout=False)
        finish_layout(fig)
        for panel in panels:
            _pair_and_name(baseline, whatif, styles, dpi, named, *panel)
    return fig


def _pair_and_name(baseline: "RunResult", whatif: "RunResult", styles, dpi: float, named: int,
                   ax: "Axes", iid: str, slots: list[int], after: np.ndarray,
                   before: np.ndarray, w: np.ndarray, sizes: np.ndarray, dots: list,
                   rings: list, lines: tuple[float, float]) -> None:
    """Swarm one panel's what-if points (display pixels), put each baseline point at its
    actor's height, draw the arrows, and name the actors that moved most."""
    renderer = ax.figure.canvas.get_renderer()
    half = ax.get_window_extent(renderer).height / 2
    ax.set_ylim(-half, half)
    px = ax.transData.transform(np.column_stack([after, np.zeros(len(after))]))[:, 0]
    radii = np.sqrt(sizes) / 2 * dpi / 72
    y = swarm(px, radii, np.argsort(-w, kind="stable"), half - 2)
    for j, line in dots:
        line.set_ydata([y[j]])
    for j, line in rings:
        line.set_ydata([y[j]])
    issue = whatif.scenario.issues[iid]
    tol = float(whatif.settings.get("move_tolerance", 1e-6)) * (issue.scale.high
                                                                 - issue.scale.low)
    for j in range(len(slots)):
        if np.isfinite(before[j]) and abs(after[j] - before[j]) > tol:
            arrow = ax.annotate("", xy=(after[j], y[j]), xytext=(before[j], y[j]),
                                arrowprops=dict(arrowstyle="-|>", color="#777777", lw=0.9,
                                                shrinkA=3, shrinkB=radii[j] * 72 / dpi + 1,
                                                mutation_scale=8), zorder=2.2,
                                gid=f"move:{whatif.actor_ids[slots[j]]}")
            arrow.set_in_layout(False)
    chosen = [a for a in (whatif.actor_ids[i] for i in slots) if not styles[a].muted] \
        if styles.mode == "highlight" else \
        [a for a, _ in moved_most(baseline, whatif, iid, named)]
    labels = []
    for aid in chosen:
        j = slots.index(whatif.actor_ids.index(aid))
        change = "" if not np.isfinite(before[j]) else f" {after[j] - before[j]:+.3g}"
        labels.append(PointLabel(plain(whatif.actor_name(aid) + change), [j], f"label:{aid}",
                                 darker(styles[aid].colour), fontsize=8.5))
    place_labels(ax, np.column_stack([after, y]), radii, labels, soft_x=list(lines),
                 direct_gap=6.0)
