"""Charts of one run: convergence by round per issue, small multiples of all issues, and the
final-state strip chart. Each reads a :class:`~negsim.result.RunResult` (typically loaded from a
run directory) and returns a :class:`matplotlib.figure.Figure`; nothing is re-simulated.

Artists that tests and tools look for carry a ``gid``: ``actor:<id>`` (an actor's line or
point), ``forecast``, ``mean``, ``dispersion``, ``settled`` (the round an issue reached
consensus or deadlock), ``event:<round>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..errors import InputError, Problem
from ._style import (BAND, FORECAST, MEAN, STATUS_COLOURS, STATUS_ORDER, Styles, actor_styles,
                     house_style, issue_ticks, new_figure, plain, size_scale, status_text,
                     tick_label, wrap)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..result import RunResult

__all__ = ["plot_convergence", "plot_small_multiples", "plot_final_strip", "issue_order",
           "check_issue", "check_round"]

#: Actors named at the end of their line on crowded (bloc-coloured) charts.
LABELLED_ACTORS = 4


# -- checks shared with the command line ------------------------------------------------------
def check_issue(result: "RunResult", issue_id: str | None) -> str:
    """The issue id to draw (the first issue when none is given); unknown ids are input errors."""
    if issue_id is None:
        return result.issue_ids[0]
    if issue_id not in result.issue_ids:
        raise InputError([Problem("--issue", "", "unknown issue (known: "
                                  + ", ".join(result.issue_ids) + ")", issue_id)])
    return issue_id


def check_round(result: "RunResult", rnd: int | None, default: int, lowest: int = 0) -> int:
    if rnd is None:
        return default
    if not lowest <= rnd <= result.rounds_run:
        raise InputError([Problem("--round", "", f"round must be between {lowest} and "
                                  f"{result.rounds_run} (rounds run)", rnd)])
    return int(rnd)


def issue_order(result: "RunResult") -> list[str]:
    """Issues ordered by status: consensus (earliest first), deadlock, unsettled; ties keep the
    scenario's order."""
    def key(k: int) -> tuple[int, int, int]:
        st = result.statuses[k]
        return STATUS_ORDER[st.status], st.since if st.since is not None else 0, k

    return [result.issue_ids[k] for k in sorted(range(len(result.issue_ids)), key=key)]


# -- helpers --------------------------------------------------------------------------------------
def _participants(result: "RunResult", k: int) -> list[int]:
    """Slots of the actors that take part in issue k in any round."""
    return [int(i) for i in np.flatnonzero(result.active[:, k, :].any(axis=0))]


def _last_active(result: "RunResult", k: int, i: int) -> int:
    return int(np.flatnonzero(result.active[:, k, i])[-1])


def _weight(result: "RunResult", t: int, k: int, i: int) -> float:
    return float(result.capability[t, k, i] * result.salience[t, k, i])


def _line_width(capability: float, largest: float) -> float:
    """Line width grows with the square root of capability (0.7 to 4 points)."""
    share = capability / largest if largest > 0 else 1.0
    return 0.7 + 3.3 * float(np.sqrt(np.clip(share, 0.0, 1.0)))


def _relevant_events(result: "RunResult", issue_id: str) -> list[tuple[int, str]]:
    """The events that happened (round <= rounds run) and touch the issue, merged per round."""
    by_round: dict[int, list[str]] = {}
    events = result.scenario.events
    if events:
        for ev in sorted(events, key=lambda e: e.round):
            if ev.round > result.rounds_run:
                continue
            if ev.kind == "set" and ev.issue is not None and ev.issue != issue_id:
                continue
            by_round.setdefault(ev.round, []).append(ev.describe(result.scenario))
    else:  # a record without the scenario's events: every recorded event counts
        for t, text in result.events:
            by_round.setdefault(t, []).append(text)
    return [(t, "; ".join(texts)) for t, texts in sorted(by_round.items())]


def _set_scale_axis(ax: "Axes", result: "RunResult", issue_id: str, axis: str, width: int,
                    compact: bool) -> None:
    """Ticks at the ends and anchors of the issue's scale, labelled with their meaning."""
    issue = result.scenario.issues[issue_id]
    low, high = issue.scale.low, issue.scale.high
    ticks = issue_ticks(issue)
    values = [v for v, _ in ticks]
    ends = {low, high}
    labels = [tick_label(v, plain(lab), width) if (not compact or v in ends) else f"{v:g}"
              for v, lab in ticks]
    pad = 0.04 * (high - low)
    if axis == "y":
        ax.set_yticks(values, labels)
        ax.set_ylim(low - pad, high + pad)
        for v in values:
            ax.axhline(v, color="#E6E6E6", lw=0.7, zorder=0)
        unit = f" ({issue.scale.unit})" if issue.scale.unit else ""
        if not compact:
            ax.set_ylabel(f"position{unit}")
    else:
        ax.set_xticks(values, labels)
        ax.set_xlim(low - pad, high + pad)
        for v in values:
            ax.axvline(v, color="#E6E6E6", lw=0.7, zorder=0)


def _spread_labels(ys: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label heights at least ``gap`` apart, as close to ``ys`` as possible (input order kept)."""
    order = sorted(range(len(ys)), key=lambda j: ys[j])
    placed = [ys[j] for j in order]
    for a in range(1, len(placed)):
        placed[a] = max(placed[a], placed[a - 1] + gap)
    overshoot = placed[-1] - high if placed else 0.0
    if overshoot > 0:
        placed = [p - overshoot for p in placed]
        for a in range(len(placed) - 2, -1, -1):
            placed[a] = min(placed[a], placed[a + 1] - gap)
    out = [0.0] * len(ys)
    for j, p in zip(order, placed):
        out[j] = p
    return out


def _group_handles(result: "RunResult", styles: Styles, slots: list[int]) -> list:
    counts: dict[str, int] = {}
    for i in slots:
        name = styles[result.actor_ids[i]].group
        counts[name] = counts.get(name, 0) + 1
    handles = []
    for key, st in styles.groups:
        if st.group not in counts:
            continue
        label = plain(st.group)
        if styles.mode != "actor":
            n = counts[st.group]
            label += f" ({n} actor{'s' if n != 1 else ''})"
        handles.append(Line2D([], [], color=st.colour, lw=2.4, ls="--" if st.dashes else "-",
                              label=label))
    return handles


def _summary_handles(settled: str | None, events: bool) -> list:
    handles = [Line2D([], [], color=FORECAST, lw=3.2, label="forecast (weighted median)"),
               Line2D([], [], color=MEAN, lw=2.0, ls=(0, (5, 2)), label="weighted mean"),
               Patch(facecolor=BAND, alpha=0.45, label="mean ± 1 s.d. (dispersion)")]
    if settled:
        handles.append(Line2D([], [], color=STATUS_COLOURS[settled], lw=1.6,
                              label=f"{settled} reached"))
    if events:
        handles.append(Line2D([], [], color="#444444", lw=1.0, ls=":",
                              label="event (what-if), between rounds"))
    return handles


def issue_title(result: "RunResult", issue_id: str) -> str:
    """``I1 Open door``; just the label when it already names the issue."""
    label = result.scenario.issues[issue_id].label
    return label if issue_id.lower() in label.lower() else f"{issue_id} {label}"


def shown_until(result: "RunResult", issue_id: str) -> tuple[int, str | None]:
    """The last round worth drawing, and a note when later rounds are left out.

    An issue that ends in a cycle (the rule's positions repeat every N rounds, so a
    deterministic rule goes round for ever) is drawn until a few turns of the cycle after it
    began; the note says that the same positions repeat until the last round. Everything else
    is drawn in full.
    """
    k = result.issue_ids.index(issue_id)
    T = result.rounds_run
    detail = result.statuses[k].detail or ""
    if not detail.startswith("cycle of "):
        return T, None
    try:
        period = int(detail.split()[-1])
    except ValueError:
        return T, None
    issue = result.scenario.issues[issue_id]
    tol = float(result.settings.get("move_tolerance", 1e-6)) * (issue.scale.high
                                                                 - issue.scale.low)
    pos = np.where(result.active[:, k], result.positions[:, k], 0.0)
    same = np.all(np.abs(pos[period:] - pos[:-period]) <= tol, axis=1)  # round t vs t - period
    repeats = int(np.argmin(same[::-1])) if not same.all() else len(same)
    begins = T - repeats - period + 1          # positions repeat from this round on
    until = max(begins + 4 * period, 12)
    if until >= T - 2:
        return T, None
    return until, (f"from round {begins} the positions repeat every {period} rounds up to "
                   f"round {T}; rounds {until + 1}-{T} not drawn")


def _caption(result: "RunResult") -> str:
    import negsim

    return (f"{result.scenario.title} · rule {result.rule}, seed {result.seed}, "
            f"{result.rounds_run} rounds · negsim {negsim.__version__}")


def _legend_with_caption(fig: "Figure", handles: list, ncols: int, result: "RunResult") -> None:
    """The figure legend below the panels, headed by the run's provenance in small grey."""
    legend = fig.legend(handles=handles, loc="outside lower center",
                        ncols=min(ncols, len(handles)), title=plain(_caption(result)),
                        title_fontsize=7.5)
    legend.get_title().set_color("#666666")


# -- convergence chart -----------------------------------------------------------------------------
def _draw_convergence(ax: "Axes", result: "RunResult", issue_id: str, styles: Styles,
                      compact: bool) -> tuple[str | None, bool]:
    """Draw one issue's positions by round on ``ax``; return (settled status or None, whether
    events were marked)."""
    k = result.issue_ids.index(issue_id)
    issue = result.scenario.issues[issue_id]
    low, high = issue.scale.low, issue.scale.high
    T = result.rounds_run
    last, note = shown_until(result, issue_id)
    rounds = np.arange(T + 1)
    slots = _participants(result, k)
    first_cap = {i: float(result.capability[int(np.flatnonzero(result.active[:, k, i])[0]), k, i])
                 for i in slots}
    largest = max(first_cap.values(), default=1.0)
    # Heaviest lines first, so that thin lines stay visible on top of them.
    for rank, i in enumerate(sorted(slots, key=lambda i: -first_cap[i])):
        aid = result.actor_ids[i]
        st = styles[aid]
        ax.plot(rounds, result.trajectory(issue_id, aid), color=st.colour,
                lw=_line_width(first_cap[i], largest) * (0.8 if compact else 1.0),
                ls=(0, (4, 2)) if st.dashes else "-", alpha=0.8, solid_capstyle="round",
                zorder=2 + rank * 1e-3, gid=f"actor:{aid}")
    mean, disp = result.mean[:, k], result.dispersion[:, k]
    ax.fill_between(rounds, np.clip(mean - disp, low, high), np.clip(mean + disp, low, high),
                    color=BAND, alpha=0.45, lw=0, zorder=1, gid="dispersion")
    ax.plot(rounds, mean, color=MEAN, lw=1.6 if compact else 2.0, ls=(0, (5, 2)), zorder=4,
            gid="mean")
    ax.plot(rounds, result.forecast_series[:, k], color=FORECAST, lw=2.4 if compact else 3.2, zorder=5,
            gid="forecast")

    status = result.statuses[k]
    settled = status.status if status.settled and status.since is not None else None
    if settled:
        colour = STATUS_COLOURS[settled]
        since = int(status.since)  # type: ignore[arg-type]
        ax.axvspan(since, max(T, since), color=colour, alpha=0.07, lw=0, zorder=0)
        ax.axvline(since, color=colour, lw=1.6, zorder=6, gid="settled")
        ax.annotate(f"{settled}\nfrom round {since}", xy=(since, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(4, -4),
                    textcoords="offset points", ha="left", va="top", color=colour,
                    fontsize=7.5 if compact else 8.5, fontweight="bold")
    events = _relevant_events(result, issue_id)
    for t, text in events:
        ax.axvline(t - 0.5, color="#444444", lw=1.0, ls=":", zorder=6, gid=f"event:{t}")
        if not compact:
            ax.annotate(plain(wrap(f"round {t}: {text}", 28)), xy=(t - 0.5, 0.02),
                        xycoords=("data", "axes fraction"), xytext=(-3, 0),
                        textcoords="offset points", rotation=90, ha="right", va="bottom",
                        fontsize=7.5, color="#333333", zorder=7,
                        bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
    ax.set_xlim(0, max(last, 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6 if compact else 10))
    if not compact:
        ax.set_xlabel("round (0 = the scenario's positions)" + (f"\n{note}" if note else ""))
    elif note:
        ax.set_xlabel(wrap(f"round; {note}", 60), fontsize=7.5, style="italic")
    _set_scale_axis(ax, result, issue_id, "y", 16 if compact else 24, compact)
    return settled, bool(events)


def _label_ends(ax: "Axes", result: "RunResult", issue_id: str, styles: Styles) -> None:
    """Name actors at the end of their lines: every actor when each has its own colour (actors
    sharing a position share a label), else the heaviest few (capability x salience)."""
    k = result.issue_ids.index(issue_id)
    issue = result.scenario.issues[issue_id]
    width = issue.scale.high - issue.scale.low
    T, _ = shown_until(result, issue_id)
    alive = [i for i in _participants(result, k) if result.active[T, k, i]]
    if styles.mode == "actor":
        chosen = alive
    else:
        chosen = sorted(alive, key=lambda i: -_weight(result, T, k, i))[:LABELLED_ACTORS]
    groups: list[tuple[float, list[int]]] = []
    for i in sorted(chosen, key=lambda i: (result.positions[T, k, i], i)):
        y = float(result.positions[T, k, i])
        if groups and abs(groups[-1][0] - y) <= 0.005 * width:
            groups[-1][1].append(i)
        else:
            groups.append((y, [i]))
    if not groups:
        return
    placed = _spread_labels([y for y, _ in groups], 0.05 * width, issue.scale.low,
                            issue.scale.high)
    # Labels sit just right of the last round drawn, outside the plotting area, with a leader
    # line when they had to be moved apart.
    to_right = ax.transData + _shift(ax, 8)
    for (y, members), y_text in zip(groups, placed):
        names = ", ".join(result.actor_name(result.actor_ids[i]) for i in members)
        colour = styles[result.actor_ids[members[0]]].colour if len(members) == 1 \
            else "#333333"
        moved = abs(y_text - y) > 1e-9 * width
        ax.annotate(plain(wrap(names, 34)), xy=(T, y), xycoords="data", xytext=(T, y_text),
                    textcoords=to_right, ha="left", va="center", fontsize=8, color=colour,
                    annotation_clip=False,
                    gid="label:" + ",".join(result.actor_ids[i] for i in members),
                    arrowprops=dict(arrowstyle="-", lw=0.5, color="#888888", shrinkA=0,
                                    shrinkB=1) if moved else None)


def _shift(ax: "Axes", points: float):
    from matplotlib.transforms import ScaledTranslation

    return ScaledTranslation(points / 72, 0, ax.figure.dpi_scale_trans)


def plot_convergence(result: "RunResult", issue_id: str | None = None) -> "Figure":
    """Every actor's position by round on one issue.

    Line width grows with capability, colour shows the bloc (colour-blind-safe palette); the
    forecast (capability x salience weighted median) and the weighted mean are bold lines, the
    dispersion (mean ± one weighted standard deviation) a shaded band. The round from which the
    issue held consensus or deadlock is marked, events (what-ifs) are dotted lines between the
    rounds they separate, and the title states the status. The y axis is labelled with the
    issue's end labels and anchors.
    """
    issue_id = check_issue(result, issue_id)
    with house_style():
        styles = actor_styles(result)
        fig = new_figure(8.6, 5.4)
        ax = fig.add_subplot()
        settled, events = _draw_convergence(ax, result, issue_id, styles, compact=False)
        k = result.issue_ids.index(issue_id)
        ax.set_title(plain(f"{issue_title(result, issue_id)}: "
                           f"{status_text(result.statuses[k], result.rounds_run)}; "
                           f"forecast {result.forecast_series[-1, k]:.4g}"), loc="left")
        fig.suptitle(plain(_caption(result)), x=0.01, ha="left", fontsize=8, color="#555555")
        _label_ends(ax, result, issue_id, styles)
        handles = _group_handles(result, styles, _participants(result, k)) + \
            _summary_handles(settled, events)
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=min(4, len(handles)), handlelength=2.4)
    return fig


# -- small multiples ---------------------------------------------------------------------------
def plot_small_multiples(result: "RunResult") -> "Figure":
    """All issues of the run on one figure, ordered by status (consensus, then deadlock, then
    unsettled), each panel titled with its status."""
    order = issue_order(result)
    m = len(order)
    ncols = 1 if m == 1 else 2 if m <= 4 else 3
    nrows = -(-m // ncols)
    with house_style():
        styles = actor_styles(result)
        fig = new_figure(4.3 * ncols + 0.6, 3.1 * nrows + 1.3)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        any_settled: set[str] = set()
        any_events = False
        for ax, iid in zip(axes, order):
            settled, events = _draw_convergence(ax, result, iid, styles, compact=True)
            any_settled |= {settled} if settled else set()
            any_events |= events
            k = result.issue_ids.index(iid)
            st = result.statuses[k]
            ax.set_title(plain(wrap(issue_title(result, iid), 30)), loc="left", fontsize=10,
                         pad=14)
            ax.set_title(wrap(status_text(st, result.rounds_run), 26), loc="right",
                         fontsize=8, color=STATUS_COLOURS[st.status], fontweight="bold", pad=14)
            ax.set_gid(f"issue:{iid}")
        for j, ax in enumerate(axes[:m]):
            if j + ncols >= m and not ax.get_xlabel():  # nothing drawn below this panel
                ax.set_xlabel("round")
        for ax in axes[m:]:
            ax.set_visible(False)
        counts = {s: sum(st.status == s for st in result.statuses) for s in STATUS_ORDER}
        fig.suptitle(plain(result.scenario.title) + "\nissues ordered by status: "
                     + ", ".join(f"{n} {s}" for s, n in counts.items()), fontsize=12,
                     fontweight="bold")
        slots = sorted({i for iid in order for i in _participants(
            result, result.issue_ids.index(iid))})
        handles = _group_handles(result, styles, slots) + _summary_handles(None, any_events)
        handles += [Line2D([], [], color=STATUS_COLOURS[s], lw=1.6, label=f"{s} reached")
                    for s in ("consensus", "deadlock") if s in any_settled]
        _legend_with_caption(fig, handles, 5, result)
    return fig


# -- final-state strip chart -------------------------------------------------------------------
def _stack(xs: np.ndarray, order: np.ndarray, tol: float) -> np.ndarray:
    """Vertical offsets that stack points sharing a position: 0, +1, -1, +2, ... in ``order``."""
    offsets = np.zeros(len(xs))
    columns: list[tuple[float, int]] = []
    for j in order:
        for c, (x, n) in enumerate(columns):
            if abs(xs[j] - x) <= tol:
                offsets[j] = (n + 1) // 2 * (1 if n % 2 else -1)
                columns[c] = (x, n + 1)
                break
        else:
            columns.append((float(xs[j]), 1))
    return offsets


def plot_final_strip(result: "RunResult", rnd: int | None = None) -> "Figure":
    """Per issue, where each actor stands at the end (or at round ``rnd``): points sized by
    capability x salience and coloured by bloc, with the forecast (weighted median) and mean."""
    T = check_round(result, rnd, result.rounds_run)
    m = len(result.issue_ids)
    with house_style():
        styles = actor_styles(result)
        fig = new_figure(9.0, 1.75 * m + 1.6)
        axes = fig.subplots(m, 1, squeeze=False).ravel()
        largest = float(max((result.capability[T] * result.salience[T])[result.active[T]].max()
                            if result.active[T].any() else 1.0, 1e-300))
        for ax, (k, iid) in zip(axes, enumerate(result.issue_ids)):
            issue = result.scenario.issues[iid]
            slots = np.flatnonzero(result.active[T, k])
            xs = result.positions[T, k, slots]
            w = result.capability[T, k, slots] * result.salience[T, k, slots]
            offsets = _stack(xs, np.argsort(-w, kind="stable"),
                             0.005 * (issue.scale.high - issue.scale.low))
            spread = max(float(np.abs(offsets).max(initial=0.0)), 1.0)
            # Largest points first so that small ones stay visible on top.
            draw = np.argsort(-w, kind="stable")
            for j in draw:
                aid = result.actor_ids[int(slots[j])]
                ax.scatter([xs[j]], [offsets[j]], s=size_scale([w[j]], largest),
                           color=styles[aid].colour, marker=styles[aid].marker, alpha=0.85, edgecolors="white",
                           linewidths=0.6, zorder=3, gid=f"actor:{aid}")
            median, mean = float(result.median[T, k]), float(result.mean[T, k])
            ax.axvline(median, color=FORECAST, lw=2.2, zorder=4, gid="forecast")
            ax.axvline(mean, color=MEAN, lw=1.4, ls=(0, (5, 2)), zorder=4, gid="mean")
            ax.annotate(f"forecast {median:.3g}", xy=(median, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(3, 1),
                        textcoords="offset points", fontsize=7.5, ha="left", va="bottom",
                        fontweight="bold")
            ax.set_ylim(-spread - 1, spread + 1)
            ax.set_yticks([])
            ax.spines["left"].set_visible(False)
            _set_scale_axis(ax, result, iid, "x", 16, compact=False)
            ax.tick_params(axis="x", labelsize=7.5)
            st = result.statuses[k]
            ax.set_title(plain(issue_title(result, iid)), loc="left", fontsize=10, pad=14)
            ax.set_title(status_text(st, result.rounds_run), loc="right", fontsize=8.5,
                         color=STATUS_COLOURS[st.status], fontweight="bold", pad=14)
            ax.set_gid(f"issue:{iid}")
        when = "at the end" if T == result.rounds_run else f"after round {T}"
        fig.suptitle(plain(f"{result.scenario.title}: where each actor stands {when}"),
                     fontsize=12, fontweight="bold")
        slots_all = [int(i) for i in np.flatnonzero(result.active[T].any(axis=0))]
        handles = _group_handles(result, styles, slots_all)
        handles = [Line2D([], [], color=h.get_color(),
                          marker="s" if h.get_linestyle() != "-" else "o", ls="none",
                          markersize=7, label=h.get_label()) for h in handles]
        for share in (1.0, 0.25):
            handles.append(Line2D([], [], color="#888888", marker="o", ls="none",
                                  markersize=float(np.sqrt(size_scale([share * largest],
                                                                      largest)[0])),
                                  label=f"capability × salience {share:.0%} of the largest"))
        handles += [Line2D([], [], color=FORECAST, lw=2.2, label="forecast (weighted median)"),
                    Line2D([], [], color=MEAN, lw=1.4, ls=(0, (5, 2)), label="weighted mean")]
        _legend_with_caption(fig, handles, 4, result)
    return fig
