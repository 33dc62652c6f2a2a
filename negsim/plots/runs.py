"""Charts of one run: convergence by round per issue, small multiples of all issues, and the
final-state strip chart. Each reads a :class:`~negsim.result.RunResult` (typically loaded from a
run directory) and returns a :class:`matplotlib.figure.Figure`; nothing is re-simulated and no
file is touched (save with :func:`negsim.plots.save_figure`).

Artists that tests and tools look for carry a ``gid``: ``actor:<id>`` (an actor's line or
point), ``forecast``, ``mean``, ``dispersion``, ``settled`` (the round an issue reached
consensus or deadlock), ``event:<round>`` (its line) and ``event-label:<round>``, ``label:<ids>``
(a name, ``<ids>`` the actors it names, or ``label:bloc:<bloc>`` for a bloc's members at its
median) and ``leader:label:<ids>`` (the line from a moved label to its marker).

Names: the convergence chart names actors at the end of their lines and the strip chart beside
their points, both by the rule of :func:`negsim.plots._style.name_groups` (every actor not at its
bloc's median; the members at the median as one "16 NATO members" label), or only the
highlighted actors.

Event labels sit inside the axes beside their line, on whichever side (and end) keeps the whole
label inside the plotting area, so they never cross the axes or the tick labels; a long label is
wrapped narrower until it fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..errors import InputError, Problem
from ._labels import PointLabel, labels_collide, place_labels, remove_labels
from ._style import (BAND, DEFAULT_DPI, FORECAST, MEAN, STATUS_COLOURS, STATUS_ORDER, Styles,
                     actor_styles, finish_layout, forecast_words, grid_shape, house_style,
                     issue_ticks, name_groups, new_figure, plain, size_scale, status_text,
                     tick_label, verdict_colour, verdict_text, wrap)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from ..result import RunResult

__all__ = ["plot_convergence", "plot_small_multiples", "plot_final_strip", "issue_order",
           "check_issue", "check_round", "issue_title", "shown_until"]

#: Two positions closer than this share of the scale's width are one position (shared labels).
SAME = 0.005


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
def participants(result: "RunResult", k: int) -> list[int]:
    """Slots of the actors that take part in issue k in any round."""
    return [int(i) for i in np.flatnonzero(result.active[:, k, :].any(axis=0))]


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


def group_handles(result: "RunResult", styles: Styles, slots: list[int]) -> list:
    counts: dict[str, int] = {}
    for i in slots:
        name = styles[result.actor_ids[i]].group
        counts[name] = counts.get(name, 0) + 1
    handles = []
    for key, st in styles.groups:
        if st.group not in counts:
            continue
        label = plain(st.group)
        if styles.mode not in ("actor", "highlight") or st.muted:
            n = counts[st.group]
            label += f" ({n} actor{'s' if n != 1 else ''})"
        handles.append(Line2D([], [], color=st.colour, lw=2.4, ls="--" if st.dashes else "-",
                              label=label))
    return handles


def _summary_handles(result: "RunResult", settled: str | None, events: bool) -> list:
    handles = [Line2D([], [], color=FORECAST, lw=3.2,
                      label=plain(wrap(f"forecast ({forecast_words(result)})", 40))),
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


def run_caption(result: "RunResult") -> str:
    import negsim

    return (f"{result.scenario.title} · rule {result.rule}, seed {result.seed}, "
            f"{result.rounds_run} rounds · negsim {negsim.__version__}")


def legend_with_caption(fig: "Figure", handles: list, ncols: int, caption: str,
                         ax: "Axes | None" = None, in_layout: bool = True) -> None:
    """The legend headed by the run's provenance in small grey: in ``ax`` (an empty panel of
    the grid, axis off) when given, else below the panels. ``in_layout=False``: the panel's
    cell as laid out holds the legend (it may not make its row taller)."""
    if ax is not None:
        ax.set_axis_off()
        legend = ax.legend(handles=handles, loc="center", ncols=ncols, title=plain(caption),
                           title_fontsize=8, fontsize=9, borderaxespad=0, columnspacing=1.2)
        legend.set_in_layout(in_layout)
    else:
        legend = fig.legend(handles=handles, loc="outside lower center",
                            ncols=min(ncols, len(handles)), title=plain(caption),
                            title_fontsize=8.5)
    legend.get_title().set_color("#666666")
    legend.get_title().set_multialignment("center")


def darker(colour: str, factor: float = 0.72) -> str:
    """Text in a darker shade of a line's colour (light colours read badly as text)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return "#{:02x}{:02x}{:02x}".format(*(int(round(255 * factor * c)) for c in (r, g, b)))


def _draw_institutions(ax: "Axes", result: "RunResult", issue_id: str,
                       rounds: np.ndarray) -> None:
    """The one place where an issue's institutional references are to be drawn under the
    positions: a horizontal status-quo line (gid ``status_quo``) and the zone of agreement as a
    shaded band by round (gid ``zone``). Runs do not carry them per round yet, so nothing is
    drawn; the convergence chart and the small multiples both call this hook."""
    return None


# -- convergence chart -----------------------------------------------------------------------------
def draw_convergence(ax: "Axes", result: "RunResult", issue_id: str, styles: Styles,
                      compact: bool, *, zorder: float = 2.0, gid: str = "",
                      last: int | None = None) -> tuple[str | None, list[tuple[int, str]]]:
    """Draw one issue's positions by round on ``ax``; return (settled status or None, the
    events marked). ``gid`` prefixes every artist's gid (``baseline:`` for a what-if's
    baseline) and ``zorder`` is the base of the lines' stacking order; ``last`` the last round
    to show (default: :func:`shown_until`)."""
    k = result.issue_ids.index(issue_id)
    issue = result.scenario.issues[issue_id]
    low, high = issue.scale.low, issue.scale.high
    T = result.rounds_run
    until, note = shown_until(result, issue_id)
    last = until if last is None else last
    rounds = np.arange(T + 1)
    slots = participants(result, k)
    first_cap = {i: float(result.capability[int(np.flatnonzero(result.active[:, k, i])[0]), k, i])
                 for i in slots}
    largest = max(first_cap.values(), default=1.0)
    _draw_institutions(ax, result, issue_id, rounds)
    # Greyed actors first, then the heaviest lines, so that thin lines stay visible on top.
    order = sorted(slots, key=lambda i: (not styles[result.actor_ids[i]].muted, -first_cap[i]))
    for rank, i in enumerate(order):
        aid = result.actor_ids[i]
        st = styles[aid]
        width = _line_width(first_cap[i], largest) * (0.8 if compact else 1.0)
        if styles.mode == "highlight":   # the chosen stand out, the rest recede
            width = min(width, 1.2) if st.muted else max(width, 1.8 if compact else 2.4)
        ax.plot(rounds, result.trajectory(issue_id, aid), color=st.colour, lw=width,
                ls=(0, (4, 2)) if st.dashes else "-", alpha=0.8, solid_capstyle="round",
                zorder=zorder + (0 if st.muted else 0.5) + rank * 1e-3,
                gid=f"{gid}actor:{aid}")
    mean, disp = result.mean[:, k], result.dispersion[:, k]
    ax.fill_between(rounds, np.clip(mean - disp, low, high), np.clip(mean + disp, low, high),
                    color=BAND, alpha=0.45, lw=0, zorder=zorder - 1, gid=f"{gid}dispersion")
    ax.plot(rounds, mean, color=MEAN, lw=1.6 if compact else 2.0, ls=(0, (5, 2)),
            zorder=zorder + 2, gid=f"{gid}mean")
    ax.plot(rounds, result.forecast_series[:, k], color=FORECAST, lw=2.4 if compact else 3.2,
            zorder=zorder + 3, gid=f"{gid}forecast")

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
                    fontsize=8.5 if compact else 10, fontweight="bold", gid="settled-label")
    events = _relevant_events(result, issue_id)
    for t, _ in events:
        ax.axvline(t - 0.5, color="#444444", lw=1.0, ls=":", zorder=6, gid=f"event:{t}")
    ax.set_xlim(0, max(last, 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6 if compact else 10))
    if not compact:
        ax.set_xlabel("round (0 = the scenario's positions)" + (f"\n{note}" if note else ""))
    elif note:
        ax.set_xlabel(wrap("round; " + note.replace("the positions repeat", "repeats")
                           .replace(" rounds up to round", " rounds to").replace(
                               "not drawn", "left out"), 44), fontsize=8.5, style="italic")
    _set_scale_axis(ax, result, issue_id, "y", 16 if compact else 24, compact)
    return settled, events


def place_event_labels(ax: "Axes", events: list[tuple[int, str]],
                        avoid: Sequence = ()) -> list["Text"]:
    """Event labels, rotated, beside their dotted lines and wholly inside the axes: the first
    of left-bottom, right-bottom, left-top, right-top where the label fits without covering
    another event label or ``avoid`` (artists); a label too tall for the axes is wrapped
    narrower. Call after the layout is final."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    inner = (frame.x0 + 4, frame.y0 + 4, frame.x1 - 4, frame.y1 - 4)   # the label box pads
    taken = [a.get_window_extent(renderer) for a in avoid]
    out = []
    for t, text in events:
        best = None
        for width in (30, 22, 16, 12):
            words = plain(wrap(f"round {t}: {text}", width))
            for side, end in (("left", "bottom"), ("right", "bottom"), ("left", "top"),
                              ("right", "top")):
                label = ax.annotate(
                    words, xy=(t - 0.5, 0.015 if end == "bottom" else 0.985),
                    xycoords=("data", "axes fraction"), xytext=(-4 if side == "left" else 4, 0),
                    textcoords="offset points", rotation=90,
                    ha="right" if side == "left" else "left", va=end, fontsize=9,
                    color="#333333", zorder=7, gid=f"event-label:{t}", annotation_clip=False,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
                box = label.get_window_extent(renderer)
                fits = (box.x0 >= inner[0] and box.x1 <= inner[2] and box.y0 >= inner[1]
                        and box.y1 <= inner[3])
                clash = sum(box.overlaps(o) for o in taken)
                score = (0 if fits else 1000) + 100 * clash + (30 - width)
                if best is None or score < best[0]:
                    if best is not None:
                        best[1].remove()
                    best = (score, label, box)
                else:
                    label.remove()
                if score == 0:
                    break
            if best is not None and best[0] < 100:
                break
        assert best is not None
        best[1].set_in_layout(False)
        taken.append(best[2])
        out.append(best[1])
    return out


def _end_groups(result: "RunResult", issue_id: str, styles: Styles, T: int,
                max_names: int | None = None):
    k = result.issue_ids.index(issue_id)
    issue = result.scenario.issues[issue_id]
    width = issue.scale.high - issue.scale.low
    alive = [i for i in participants(result, k) if result.active[T, k, i]]
    return name_groups(result, alive, result.positions[T, k, alive], styles, SAME * width,
                       max_names)


def label_ends(ax: "Axes", result: "RunResult", issue_id: str, styles: Styles,
                T: int | None = None) -> list[tuple["Text", float]]:
    """Name actors at the end of their lines, just right of the last round drawn (outside the
    plotting area): (text, the position it names) pairs, to be spread by :func:`spread_ends`
    once the layout is final."""
    T = shown_until(result, issue_id)[0] if T is None else T
    k = result.issue_ids.index(issue_id)
    out = []
    for g in _end_groups(result, issue_id, styles, T, max_names=8):
        y = float(np.mean(result.positions[T, k, list(g.members)]))
        gid = "label:" + ",".join(result.actor_ids[i] for i in g.members)
        text = ax.annotate(plain(wrap(g.text, 34)), xy=(T, y), xycoords="data",
                           xytext=(8, 0), textcoords="offset points", ha="left", va="center",
                           fontsize=9.5, color=darker(g.colour), annotation_clip=False,
                           fontstyle="italic" if g.summary else "normal", gid=gid)
        out.append((text, y))
    return out


def spread_ends(ax: "Axes", labels: list[tuple["Text", float]]) -> None:
    """Move end labels apart vertically (display pixels, measured heights) as little as
    possible, keep them within the axes' height, and draw a leader where one had to move."""
    if not labels:
        return
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    want = [float(ax.transData.transform((0, y))[1]) for _, y in labels]
    heights = [t.get_window_extent(renderer).height + 2 for t, _ in labels]
    order = sorted(range(len(labels)), key=lambda j: want[j])
    placed = {j: want[j] for j in order}
    # Up from the bottom, then down from the top: a minimal spreading on a line.
    for a in range(1, len(order)):
        lo, hi = order[a - 1], order[a]
        placed[hi] = max(placed[hi], placed[lo] + (heights[lo] + heights[hi]) / 2)
    top = frame.y1 + 0.04 * frame.height
    over = placed[order[-1]] + heights[order[-1]] / 2 - top
    if over > 0:
        placed[order[-1]] -= over
        for a in range(len(order) - 2, -1, -1):
            lo, hi = order[a], order[a + 1]
            placed[lo] = min(placed[lo], placed[hi] - (heights[lo] + heights[hi]) / 2)
    for j, (text, y) in enumerate(labels):
        shift = placed[j] - want[j]
        text.set_position((8, shift * 72 / ax.figure.dpi))
        text.set_in_layout(False)
        if abs(shift) > 1.0:
            x_end = text.xy[0]
            start = ax.transData.transform((x_end, y))
            stop = start + np.array([7 * ax.figure.dpi / 72, shift])
            (x0, y0), (x1, y1) = ax.transData.inverted().transform([start, stop])
            line, = ax.plot([x0, x1], [y0, y1], color="#888888", lw=0.6, zorder=8,
                            clip_on=False, gid=f"leader:{text.get_gid()}")
            line.set_in_layout(False)


def plot_convergence(result: "RunResult", issue_id: str | None = None, *,
                     highlight: Sequence[str] | str | None = None,
                     dpi: float = DEFAULT_DPI) -> "Figure":
    """Every actor's position by round on one issue.

    Line width grows with capability, colour shows the bloc (colour-blind-safe palette); the
    forecast (the rule's: the capability x salience weighted median unless the rule says
    otherwise) and the weighted mean are bold lines, the dispersion (mean ± one weighted
    standard deviation) a shaded band. The round from which the issue held consensus or
    deadlock is marked, events (what-ifs) are dotted lines between the rounds they separate,
    and the title states the status. The y axis is labelled with the issue's end labels and
    anchors. ``highlight``: actor ids (or names) to colour and name, the rest grey.
    """
    issue_id = check_issue(result, issue_id)
    with house_style():
        styles = actor_styles(result, highlight)
        fig = new_figure(dpi=dpi)
        ax = fig.add_subplot()
        settled, events = draw_convergence(ax, result, issue_id, styles, compact=False)
        k = result.issue_ids.index(issue_id)
        ax.set_title(plain(f"{issue_title(result, issue_id)}: "
                           f"{status_text(result.statuses[k], result.rounds_run)}"
                           f"{verdict_text(result, k)}; "
                           f"forecast {result.forecast_series[-1, k]:.4g}"), loc="left")
        fig.suptitle(plain(run_caption(result)), x=0.01, ha="left", fontsize=9, color="#555555")
        ends = label_ends(ax, result, issue_id, styles)
        handles = group_handles(result, styles, participants(result, k)) + \
            _summary_handles(result, settled, bool(events))
        fig.legend(handles=handles, loc="outside lower center",
                   ncols=min(4, len(handles)), handlelength=2.4)
        finish_layout(fig)
        spread_ends(ax, ends)
        place_event_labels(ax, events, [t for t in ax.texts
                                         if t.get_gid() == "settled-label"])
    return fig


# -- small multiples ---------------------------------------------------------------------------
def multiples_grid(result: "RunResult", highlight: Sequence[str] | str | None, dpi: float
                   ) -> tuple[list[str], Styles, "Figure", np.ndarray]:
    """A figure of one panel per issue of ``result``, ordered by status (inside
    :func:`house_style`): the issue order, the actor styles, the figure and its axes (flat;
    cells beyond the issues are left for :func:`finish_multiples`)."""
    order = issue_order(result)
    nrows, ncols = grid_shape(len(order))
    styles = actor_styles(result, highlight)
    fig = new_figure(dpi=dpi)
    return order, styles, fig, fig.subplots(nrows, ncols, squeeze=False).ravel()


def finish_multiples(fig: "Figure", axes: np.ndarray, m: int, handles: list, caption: str,
                     legend_cols: int) -> None:
    """Label the lowest panel of each column "round", put the legend and caption in the first
    empty cell (else below the grid, in ``legend_cols`` columns), hide the other empty cells
    and lay the figure out."""
    ncols = grid_shape(m)[1]
    for j, ax in enumerate(axes[:m]):
        if j + ncols >= m and not ax.get_xlabel():  # nothing drawn below this panel
            ax.set_xlabel("round")
    spare = axes[m] if m < len(axes) else None
    for ax in axes[m + 1:]:
        ax.set_visible(False)
    legend_with_caption(fig, handles, 1 if spare is not None else legend_cols, caption, spare)
    finish_layout(fig)


def plot_small_multiples(result: "RunResult", *, highlight: Sequence[str] | str | None = None,
                         dpi: float = DEFAULT_DPI) -> "Figure":
    """All issues of the run on one figure, ordered by status (consensus, then deadlock, then
    unsettled), each panel titled with its status; the legend takes an empty cell of the grid
    when there is one."""
    with house_style():
        order, styles, fig, axes = multiples_grid(result, highlight, dpi)
        m = len(order)
        any_settled: set[str] = set()
        any_events = False
        for ax, iid in zip(axes, order):
            settled, events = draw_convergence(ax, result, iid, styles, compact=True)
            any_settled |= {settled} if settled else set()
            any_events |= bool(events)
            k = result.issue_ids.index(iid)
            st = result.statuses[k]
            ax.set_title(plain(wrap(issue_title(result, iid), 30)), loc="left", fontsize=11,
                         pad=18)
            ax.annotate(status_text(st, result.rounds_run).split(" after ")[0]
                        + verdict_text(result, k, short=True), xy=(0, 1),
                        xycoords="axes fraction",
                        xytext=(0, 5), textcoords="offset points", ha="left", va="bottom",
                        fontsize=9, color=verdict_colour(result, k, st), fontweight="bold",
                        gid="status").set_in_layout(False)   # the title's pad holds it
            ax.set_gid(f"issue:{iid}")
            ax.tick_params(labelsize=9)
        counts = {s: sum(st.status == s for st in result.statuses) for s in STATUS_ORDER}
        fig.suptitle(plain(result.scenario.title) + ": issues ordered by status ("
                     + ", ".join(f"{n} {s}" for s, n in counts.items()) + ")", fontsize=13,
                     fontweight="bold")
        slots = sorted({i for iid in order for i in participants(
            result, result.issue_ids.index(iid))})
        handles = group_handles(result, styles, slots) + \
            _summary_handles(result, None, any_events)
        handles += [Line2D([], [], color=STATUS_COLOURS[s], lw=1.6, label=f"{s} reached")
                    for s in ("consensus", "deadlock") if s in any_settled]
        finish_multiples(fig, axes, m, handles, wrap(run_caption(result), 48), 5)
    return fig


# -- final-state strip chart -------------------------------------------------------------------
#: On the strip chart, this many or more members of one bloc at one position are drawn as one
#: badge with their count instead of one point each.
BADGE_MIN = 4


def swarm(x: np.ndarray, r: np.ndarray, order: np.ndarray, height: float,
           fixed: Sequence[tuple[float, float, float]] = (), gap: float = 1.0) -> np.ndarray:
    """Vertical offsets (display pixels) that keep circles of radii ``r`` at horizontal
    positions ``x`` (pixels) from overlapping each other and the ``fixed`` (x, y, radius)
    discs: each circle in ``order`` takes the free height nearest the middle line within
    ``height`` (a beeswarm); with no free height it sits on the middle line."""
    px = [f[0] for f in fixed]
    py = [f[1] for f in fixed]
    pr = [f[2] for f in fixed]
    y = np.zeros(len(x))
    for i in (int(i) for i in order):
        if px:
            ax_, ay, ar = np.array(px), np.array(py), np.array(pr)
            reach = ar + r[i] + gap
            dx = np.abs(ax_ - x[i])
            near = dx < reach
            lift = np.sqrt(np.maximum(reach[near] ** 2 - dx[near] ** 2, 0.0))
            cands = np.concatenate([[0.0], ay[near] + lift, ay[near] - lift])
            cands = cands[np.abs(cands) <= max(height - r[i], 0.0) + 1e-9]
            for c in cands[np.argsort(np.abs(cands), kind="stable")]:
                if np.all(np.hypot(ax_ - x[i], ay - c) >= reach - 1e-6):
                    y[i] = c
                    break
        px.append(float(x[i]))
        py.append(float(y[i]))
        pr.append(float(r[i]))
    return y


def _strip_groups(result: "RunResult", styles: Styles, slots: np.ndarray, at: np.ndarray,
                  tol: float) -> tuple[list[tuple[str, list[int]]], list[int]]:
    """(badges: (bloc, indices into ``slots``) for :data:`BADGE_MIN` or more members of a bloc
    at one position, the indices drawn as single points). With a highlight, no badges."""
    if styles.mode in ("highlight", "actor"):
        return [], list(range(len(slots)))
    by_key: dict[tuple[str | None, int], list[int]] = {}
    for j in np.argsort(at, kind="stable"):
        bloc = styles.blocs.get(result.actor_ids[int(slots[j])])
        for (b, _), members in by_key.items():
            if b == bloc and abs(at[members[0]] - at[j]) <= tol:
                members.append(int(j))
                break
        else:
            by_key[(bloc, int(j))] = [int(j)]
    badges = [(b, ms) for (b, _), ms in by_key.items() if b is not None and len(ms) >= BADGE_MIN]
    inside = {j for _, ms in badges for j in ms}
    return badges, [j for j in range(len(slots)) if j not in inside]


#: Marker areas (points squared) of the strip charts: the smallest and the largest weight.
STRIP_AREAS = (22.0, 300.0)


def strip_point(ax: "Axes", x: float, area: float, styles: Styles, aid: str) -> Line2D:
    """One actor's point on a strip panel (its height is set once the panel is swarmed)."""
    st = styles[aid]
    return ax.plot([x], [0.0], ls="none", marker=st.marker, ms=float(np.sqrt(area)),
                   mfc=st.colour, mec="white", mew=0.7, alpha=0.95,
                   zorder=2 if st.muted else 3, gid=f"actor:{aid}")[0]


def strip_axes(ax: "Axes", result: "RunResult", iid: str, forecast: float, note: str,
                status: str, colour: str) -> None:
    """A strip panel's frame: the issue's scale on x, no y axis, the forecast's note above its
    line, the issue's title on the left and its status on the right."""
    ax.annotate(note, xy=(forecast, 1.0), xycoords=("data", "axes fraction"), xytext=(3, 1),
                textcoords="offset points", fontsize=8.5, ha="left", va="bottom",
                fontweight="bold")
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    _set_scale_axis(ax, result, iid, "x", 17, compact=False)
    ax.tick_params(axis="x", labelsize=8.5)
    ax.set_title(plain(issue_title(result, iid)), loc="left", fontsize=11, pad=12)
    ax.set_title(status, loc="right", fontsize=9, color=colour, fontweight="bold", pad=12)
    ax.set_gid(f"issue:{iid}")


def _size_handles(largest: float) -> list:
    """Legend entries for the points' sizes (area proportional to capability x salience)."""
    return [Line2D([], [], color="#888888", marker="o", ls="none",
                   markersize=float(np.sqrt(size_scale([share * largest], largest,
                                                       *STRIP_AREAS)[0])), label=what)
            for share, what in ((1.0, "largest capability × salience"),
                                (0.25, "a quarter of that"))]


def plot_final_strip(result: "RunResult", rnd: int | None = None, *,
                     highlight: Sequence[str] | str | None = None,
                     dpi: float = DEFAULT_DPI) -> "Figure":
    """Per issue, where each actor stands at the end (or at round ``rnd``): points sized by
    capability x salience and coloured by bloc (swarmed vertically where they would overlap:
    the vertical offset means nothing), the forecast and the weighted mean.

    Every actor is named beside its point (actors at one position share a name), except that
    :data:`BADGE_MIN` or more members of one bloc at one position are one badge with their
    count ("16 NATO"); the names are placed without collisions (:mod:`negsim.plots._labels`).
    With ``highlight``, only the chosen actors are coloured and named.
    """
    T = check_round(result, rnd, result.rounds_run)
    m = len(result.issue_ids)
    ncols = 1 if m <= 3 else 2
    nrows = -(-m // ncols)
    with house_style():
        styles = actor_styles(result, highlight)
        fig = new_figure(dpi=dpi)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        largest = float(max((result.capability[T] * result.salience[T])[result.active[T]].max()
                            if result.active[T].any() else 1.0, 1e-300))
        panels = []
        any_badge = False
        for ax, (k, iid) in zip(axes, enumerate(result.issue_ids)):
            issue = result.scenario.issues[iid]
            slots = np.flatnonzero(result.active[T, k])
            at = result.positions[T, k, slots]
            w = result.capability[T, k, slots] * result.salience[T, k, slots]
            sizes = size_scale(w, largest, *STRIP_AREAS)
            badges, singles = _strip_groups(result, styles, slots, at,
                                            SAME * (issue.scale.high - issue.scale.low))
            any_badge |= bool(badges)
            marks = []
            for bloc, members in badges:
                ids = [result.actor_ids[int(slots[j])] for j in members]
                colour = styles[ids[0]].colour
                marks.append((members, ax.text(
                    float(at[members[0]]), 0.0, f"{len(members)}", ha="center",
                    va="center", fontsize=8.5, fontweight="bold", color="white", zorder=5,
                    gid="badge:" + ",".join(ids),
                    bbox=dict(boxstyle="round,pad=0.3", fc=colour, ec="white", lw=0.8))))
            # Largest points first so that small ones stay visible on top; greyed ones below.
            dots = [(j, strip_point(ax, float(at[j]), float(sizes[j]), styles,
                               result.actor_ids[int(slots[j])]))
                    for j in sorted(singles, key=lambda j: -w[j])]
            forecast, mean = float(result.forecast_series[T, k]), float(result.mean[T, k])
            ax.axvline(forecast, color=FORECAST, lw=2.2, zorder=4, gid="forecast")
            ax.axvline(mean, color=MEAN, lw=1.4, ls=(0, (5, 2)), zorder=4, gid="mean")
            st = result.statuses[k]
            strip_axes(ax, result, iid, forecast, f"forecast {forecast:.3g}",
                        status_text(st, result.rounds_run) + verdict_text(result, k),
                        verdict_colour(result, k, st))
            panels.append((ax, slots, at, w, sizes, dots, marks, (forecast, mean)))
        when = "at the end" if T == result.rounds_run else f"after round {T}"
        fig.suptitle(plain(f"{result.scenario.title}: where each actor stands {when}"),
                     fontsize=13, fontweight="bold")
        slots_all = [int(i) for i in np.flatnonzero(result.active[T].any(axis=0))]
        handles = group_handles(result, styles, slots_all)
        handles = [Line2D([], [], color=h.get_color(),
                          marker="s" if h.get_linestyle() != "-" else "o", ls="none",
                          markersize=8, label=h.get_label()) for h in handles]
        handles += _size_handles(largest)
        if any_badge:
            handles.append(Patch(facecolor="#888888", label=f"n: n members of a bloc at one "
                                 f"position (n ≥ {BADGE_MIN})"))
        handles += [Line2D([], [], color=FORECAST, lw=2.2,
                           label=plain(wrap(f"forecast ({forecast_words(result)})", 40))),
                    Line2D([], [], color=MEAN, lw=1.4, ls=(0, (5, 2)), label="weighted mean")]
        spare = axes[m] if m < len(axes) else None
        for ax in axes[m + 1:]:
            ax.set_visible(False)
        legend_with_caption(fig, handles, 2 if spare is not None else 4,
                             wrap(run_caption(result), 90), spare, in_layout=False)
        finish_layout(fig)
        for panel in panels:
            _swarm_and_name(result, styles, dpi, *panel)
    return fig


def _swarm_and_name(result: "RunResult", styles: Styles, dpi: float, ax: "Axes",
                    slots: np.ndarray, at: np.ndarray, w: np.ndarray, sizes: np.ndarray,
                    dots: list, marks: list, lines: tuple[float, float]) -> None:
    """Swarm one strip panel's points in display pixels (one data unit of y = one pixel)
    round its badges, and name every single point beside it."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    half = frame.height / 2
    ax.set_ylim(-half, half)
    px = ax.transData.transform(np.column_stack([at, np.zeros(len(at))]))[:, 0]
    radii = np.sqrt(sizes) / 2 * dpi / 72
    # badges first, stacked where they would overlap; each is a row of discs for the swarm
    fixed: list[tuple[float, float, float]] = []
    boxes: list[tuple[float, float, float, float]] = []   # centre x, centre y, half w, half h
    for members, badge in sorted(marks, key=lambda m: -len(m[0])):
        box = badge.get_window_extent(renderer)
        hw, hh = box.width / 2 + 1.5, box.height / 2 + 1.5
        cx = float(px[members[0]])
        for k in range(40):
            cy = (k + 1) // 2 * (2 * hh + 2) * (1 if k % 2 else -1)
            if abs(cy) + hh > half or all(abs(cx - bx) >= hw + bw or abs(cy - by) >= hh + bh
                                          for bx, by, bw, bh in boxes):
                break
        badge.set_y(cy)
        boxes.append((cx, cy, hw, hh))
        for fx in np.linspace(cx - hw + hh, cx + hw - hh, max(2, int(np.ceil(hw / hh)) + 1)):
            fixed.append((float(fx), cy, hh))
    single = [j for j, _ in dots]
    y = np.zeros(len(at))
    if single:
        order = np.array(sorted(single, key=lambda j: -w[j]))
        y = swarm(px, radii, order, half - 2, fixed)
    for j, line in dots:
        line.set_ydata([y[j]])
    # what the labels avoid: the single points, then each badge as a box
    points = [(at[j], y[j]) for j in single] + [(at[m[0]], b[1]) for m, b in
                                                 zip(sorted((m for m, _ in marks),
                                                            key=lambda m: -len(m)), boxes)]
    rad = [(radii[j], radii[j]) for j in single] + [(b[2], b[3]) for b in boxes]
    index = {j: n for n, j in enumerate(single)}
    span = ax.get_xlim()[1] - ax.get_xlim()[0]
    # A crowded panel whose names cannot all be placed apart tries more candidate places per
    # name, then names near neighbours together (a wider grouping tolerance) in smaller type.
    tries = ((1, 40, 8.5), (2, 40, 8.0), (1, 150, 8.5), (2, 150, 8.0), (3, 150, 7.5),
             (5, 150, 7.5))
    for widen, keep, size in tries:
        labels = []
        for g in name_groups(result, [int(slots[j]) for j in single], at[single], styles,
                             SAME * span * widen, everyone=True):
            members = [index[int(np.flatnonzero(slots == s)[0])] for s in g.members]
            gid = "label:" + ",".join(result.actor_ids[s] for s in g.members)
            labels.append(PointLabel(plain(wrap(g.text, 24)), members, gid, darker(g.colour),
                                     fontsize=size))
        texts = place_labels(ax, np.array(points).reshape(-1, 2), np.array(rad).reshape(-1, 2),
                             labels, soft_x=list(lines), direct_gap=6.0, keep=keep)
        if (widen, keep, size) == tries[-1] or not labels_collide(texts):
            break
        remove_labels(ax, labels)
