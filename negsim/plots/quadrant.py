"""The "view from an actor" quadrant chart of the expected-utility rule (Bueno de Mesquita 1994,
the Belgium chart; octants as in Scholz, Calbert & Smith 2011, fig. 6).

For a focal actor i, each other actor j is placed at

* x = i's expected utility of challenging j (``eu_ij[round, issue, i, j]``),
* y = j's expected utility of challenging i, computed with i's risk exponent (``eu_ji``): the
  chart is i's perception, drawn from i's perspective.

The values are read from the run's pairwise records (``pairs.parquet``), recorded during the
round's bargaining: round 1 shows the view from the scenario's positions after the round-1 risk
exponents, as BDM's chart does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D

from ..errors import InputError, Problem
from ._labels import PointLabel, place_labels
from ._style import (DEFAULT_DPI, Styles, actor_styles, finish_layout, house_style, new_figure,
                     plain, wrap)
from .runs import check_issue, check_round

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..result import RunResult

__all__ = ["plot_quadrant", "view_region", "view_from", "default_focal", "REGIONS"]

#: |EU| below this is zero (actors at the same position expect nothing from a challenge).
ZERO = 1e-9

#: Region key -> (label, who moves, the quadrant it lies in (sign of x, sign of y), the corner
#: of that quadrant its caption prefers (0 left/bottom, 1 right/top)).
REGIONS: dict[str, tuple[str, str, tuple[int, int], tuple[int, int]]] = {
    "confrontation": ("Confrontation", "both expect to gain: the side expecting less gives way",
                      (1, 1), (1, 1)),
    "compromise:focal": ("Compromise", "{focal} concedes part way", (-1, 1), (1, 1)),
    "capitulation:focal": ("Capitulation", "{focal} gives in", (-1, 1), (0, 0)),
    "compromise:other": ("Compromise", "the other concedes part way", (1, -1), (1, 1)),
    "capitulation:other": ("Capitulation", "the other gives in", (1, -1), (0, 0)),
    "status quo": ("Status quo", "neither expects to gain", (-1, -1), (0, 0)),
}
#: Each side of an axis (below and above zero) keeps at least this share of it, so that every
#: region has room for its caption.
MIN_SIDE = 0.24


def view_limits(values: np.ndarray) -> tuple[float, float]:
    """Axis limits that hold every value and zero with a margin, each side of zero at least
    :data:`MIN_SIDE` of the axis: the chart zooms on the actors instead of on empty regions."""
    v = np.asarray(values, dtype=float)
    lo, hi = min(float(v.min(initial=0.0)), 0.0), max(float(v.max(initial=0.0)), 0.0)
    pad = max(0.08 * (hi - lo), 0.05)
    lo, hi = lo - pad, hi + pad
    ratio = MIN_SIDE / (1 - MIN_SIDE)
    lo = min(lo, -ratio * hi)
    hi = max(hi, -ratio * lo)
    return lo, hi


def view_region(x: float, y: float) -> str:
    """The region of the view chart a point falls in (SCH 2011 fig. 6, focal actor's side).

    ``x``: focal actor's EU of challenging the other; ``y``: the other's EU of challenging the
    focal actor. Returns a key of :data:`REGIONS`, or ``"same position"`` at the origin.
    In the mixed quadrants the diagonal y = -x separates compromise (the side that expects to
    gain does so by more than the other expects to lose) from capitulation.
    """
    if abs(x) <= ZERO and abs(y) <= ZERO:
        return "same position"
    if x > 0 and y > 0:
        return "confrontation"
    if x <= 0 and y <= 0:
        return "status quo"
    if x > 0:                  # y <= 0: the focal actor has the upper hand
        return "compromise:other" if x >= -y else "capitulation:other"
    return "compromise:focal" if y >= -x else "capitulation:focal"


def _check_pairs(result: "RunResult") -> None:
    if "eu_ij" in result.pair_info and "eu_ji" in result.pair_info:
        return
    if result.pair_info or result.rule != "eum":
        why = (f"rule {result.rule!r} records no expected utilities; the view from an actor "
               "exists for the expected-utility rule (eum) only")
    else:
        why = ("this run has no pairwise records (pairs.parquet); run it again with --out "
               "(or --pairs)")
    raise InputError([Problem("--kind quadrant", "", why)])


def default_focal(result: "RunResult", issue_id: str, rnd: int) -> str:
    """The actor with the largest capability x salience on the issue in that round."""
    k = result.issue_ids.index(issue_id)
    w = np.where(result.active[rnd, k], result.capability[rnd, k] * result.salience[rnd, k],
                 -np.inf)
    return result.actor_ids[int(np.argmax(w))]


def view_from(result: "RunResult", actor_id: str | None = None, issue_id: str | None = None,
              rnd: int | None = None) -> tuple[str, str, int, dict[str, tuple[float, float]]]:
    """(focal actor, issue, round, {other: (x, y)}) read from the pairwise records."""
    _check_pairs(result)
    issue_id = check_issue(result, issue_id)
    rnd = check_round(result, rnd, 1, lowest=1)
    k = result.issue_ids.index(issue_id)
    if actor_id is None:
        actor_id = default_focal(result, issue_id, rnd)
    if actor_id not in result.actor_ids:
        raise InputError([Problem("--actor", "", "unknown actor (known: "
                                  + ", ".join(result.actor_ids) + ")", actor_id)])
    i = result.actor_ids.index(actor_id)
    if not result.active[rnd, k, i]:
        raise InputError([Problem("--actor", "", f"takes no part in issue {issue_id} in round "
                                  f"{rnd}", actor_id)])
    xs = result.pair_info["eu_ij"][rnd, k, i]
    ys = result.pair_info["eu_ji"][rnd, k, i]
    points = {}
    for j, other in enumerate(result.actor_ids):
        if j == i or not result.active[rnd, k, j]:
            continue
        x, y = float(xs[j]), float(ys[j])
        if np.isfinite(x) and np.isfinite(y):
            points[other] = (x, y)
    return actor_id, issue_id, rnd, points


def plot_quadrant(result: "RunResult", actor_id: str | None = None,
                  issue_id: str | None = None, rnd: int | None = None, *,
                  highlight: Sequence[str] | str | None = None,
                  dpi: float = DEFAULT_DPI) -> "Figure":
    """The view from ``actor_id`` (default: the heaviest actor) on ``issue_id`` (default: the
    first) in round ``rnd`` (default 1): every other actor at (focal's EU of challenging it, its
    EU of challenging the focal actor), with the quadrants and octants labelled.

    Every actor is named beside its marker (actors at one point share a label), without
    collisions (:mod:`negsim.plots._labels`); ``highlight`` names and colours only the chosen
    actors and greys the rest. ``dpi`` is the resolution the labels are placed for.
    """
    focal, issue_id, rnd, points = view_from(result, actor_id, issue_id, rnd)
    name = result.actor_name(focal)
    with house_style():
        styles = actor_styles(result, highlight)
        fig = new_figure(dpi=dpi)
        ax = fig.add_subplot()
        values = np.array(list(points.values())) if points else np.zeros((1, 2))
        (x0, x1), (y0, y1) = view_limits(values[:, 0]), view_limits(values[:, 1])
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
            ax.spines[side].set_color("#BBBBBB")
        for side in ("left", "bottom"):
            ax.spines[side].set_color("#BBBBBB")
        ax.axhline(0, color="#222222", lw=1.1, zorder=1)
        ax.axvline(0, color="#222222", lw=1.1, zorder=1)
        # Octant boundaries: y = -x splits the mixed quadrants, y = x the confrontation one.
        far = 2 * max(abs(x0), abs(x1), abs(y0), abs(y1))
        ax.plot([-far, 0], [far, 0], color="#888888", lw=0.8, ls=(0, (4, 3)), zorder=1)
        ax.plot([0, far], [0, -far], color="#888888", lw=0.8, ls=(0, (4, 3)), zorder=1)
        ax.plot([0, far], [0, far], color="#BBBBBB", lw=0.7, ls=":", zorder=1)
        regions = [ax.text(0.5, 0.5, f"{title}\n" + plain(wrap(who.format(focal=name), 30)),
                           transform=ax.transAxes, fontsize=10, color="#444444", linespacing=1.3,
                           gid=f"region:{key}",
                           bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none",
                                     alpha=0.85))
                   for key, (title, who, _, _) in REGIONS.items()]
        others = list(points)
        xy = np.array([points[o] for o in others]).reshape(-1, 2)
        # Grey (not highlighted) markers first, so that the chosen ones stay on top.
        for o, (x, y) in sorted(zip(others, xy), key=lambda p: not styles[p[0]].muted):
            st = styles[o]
            colour = st.colour if styles.mode in ("bloc", "highlight") else "#000000"
            ax.plot([x], [y], ls="none", marker="x", ms=float(np.sqrt(MARKER_AREA)), mew=2.0,
                    color=colour, zorder=3 if st.muted else 4, gid=f"actor:{o}")
        ax.set_xlabel(plain(f"{name}'s expected utility of challenging the other actor"))
        ax.set_ylabel(plain(f"the other actor's expected utility of challenging {name}\n"
                            f"(as {name} sees it)"))
        issue = result.scenario.issues[issue_id]
        ax.set_title(plain(f"View from {name}: {issue.label}, round {rnd}"), loc="left")
        fig.suptitle(plain(f"{result.scenario.title} · rule {result.rule}, seed {result.seed}"),
                     x=0.01, ha="left", fontsize=9, color="#555555")
        if styles.mode in ("bloc", "highlight"):
            present = {styles[o].group for o in others}
            handles = [Line2D([], [], color=st.colour, marker="x", ls="none", markersize=9,
                              markeredgewidth=2, label=plain(st.group))
                       for _, st in styles.groups if st.group in present]
            fig.legend(handles=handles, loc="outside right upper")
        finish_layout(fig)
        radius = np.sqrt(MARKER_AREA) / 2 * dpi / 72
        _place_captions(ax, regions, xy, radius, name)
        place_labels(ax, xy, np.full(len(others), radius), _point_labels(result, others, xy,
                                                                         styles),
                     obstacles=regions)
    return fig


def _place_captions(ax, regions: list, xy: np.ndarray, radius: float, focal: str) -> None:
    """Put each region's caption at a corner or an edge's middle of its quadrant, wrapped wide
    or narrow, where it lies wholly in its region and crowds no actor's marker (the preferred
    corner when it is free). The two regions of a mixed quadrant choose together, so that
    their captions never overlap."""
    import itertools

    renderer = ax.figure.canvas.get_renderer()
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    origin = (-x0 / (x1 - x0), -y0 / (y1 - y0))
    markers = ax.transData.transform(xy) if len(xy) else np.zeros((0, 2))
    to_data = ax.transAxes + ax.transData.inverted()
    to_axes = ax.transAxes.inverted()
    options: dict[str, list] = {}
    for text, (key, (title, who, signs, prefer)) in zip(regions, REGIONS.items()):
        spans = [(origin[d], 1.0) if signs[d] > 0 else (0.0, origin[d]) for d in (0, 1)]
        spots = sorted([(u, v) for u in (0, 0.5, 1) for v in (0, 0.5, 1) if (u, v) != (0.5, 0.5)],
                       key=lambda c: (c != prefer, 0.5 in c, abs(c[0] - prefer[0])
                                      + abs(c[1] - prefer[1]), c))
        options[key] = []
        for width, (rank, (u, v)) in itertools.product((30, 14), enumerate(spots)):
            fx = spans[0][0] + u * (spans[0][1] - spans[0][0]) + 0.012 * (1 - 2 * u)
            fy = spans[1][0] + v * (spans[1][1] - spans[1][0]) + 0.018 * (1 - 2 * v)
            if view_region(*to_data.transform((fx, fy))) != key:
                continue
            align = ({0: "left", 0.5: "center", 1: "right"}[u],
                     {0: "bottom", 0.5: "center", 1: "top"}[v])
            words = f"{title}\n" + plain(wrap(who.format(focal=focal), width))
            text.set_text(words)
            text.set_position((fx, fy))
            text.set_ha(align[0])
            text.set_va(align[1])
            box = text.get_window_extent(renderer).padded(4)
            corners = to_data.transform(to_axes.transform(box.corners()))
            spill = sum(view_region(cx, cy) != key for cx, cy in corners)
            dx = np.maximum(np.maximum(box.x0 - markers[:, 0], markers[:, 0] - box.x1), 0)
            dy = np.maximum(np.maximum(box.y0 - markers[:, 1], markers[:, 1] - box.y1), 0)
            gap = float(np.hypot(dx, dy).min(initial=np.inf)) - radius
            # free spots first; among them, the preferred corner unless it crowds an actor
            score = 1000 * (gap < 0) + 300 * spill - min(gap, 40.0) + 2.0 * rank \
                + (8.0 if width < 30 else 0.0)
            options[key].append((score, words, (fx, fy), align, box))
    chosen: dict[str, tuple] = {}
    for keys in (("confrontation",), ("status quo",), ("compromise:focal", "capitulation:focal"),
                 ("compromise:other", "capitulation:other")):
        combos = itertools.product(*(options[k] for k in keys))
        best = min(combos, key=lambda c: sum(o[0] for o in c) + 1e5 * sum(
            a[4].overlaps(b[4]) for a, b in itertools.combinations(c, 2)), default=None)
        if best is not None:
            chosen.update(zip(keys, best))
    for text, key in zip(regions, REGIONS):
        if key in chosen:
            _, words, at, align, _ = chosen[key]
            text.set_text(words)
            text.set_position(at)
            text.set_ha(align[0])
            text.set_va(align[1])


#: Marker area of the view chart, points squared.
MARKER_AREA = 80.0


def _point_labels(result: "RunResult", others: list[str], xy: np.ndarray,
                  styles: Styles) -> list[PointLabel]:
    """One label per point (actors at the same point share it, as on BDM's chart); with a
    highlight, only the highlighted actors are named."""
    groups: dict[tuple[float, float], list[int]] = {}
    for j, (x, y) in enumerate(xy):
        groups.setdefault((round(float(x), 9) + 0.0, round(float(y), 9) + 0.0), []).append(j)
    labels = []
    for members in groups.values():
        named = [j for j in members if not styles[others[j]].muted]
        if not named:
            continue
        colours = {styles[others[j]].colour for j in named}
        colour = colours.pop() if len(colours) == 1 and styles.mode != "actor" else "#222222"
        labels.append(PointLabel(
            plain(wrap(", ".join(_names(result, [others[j] for j in named])), 30)),
            members, "label:" + ",".join(others[j] for j in named),
            colour=_darker(colour), fontsize=9.5))
    return labels


def _names(result: "RunResult", ids: list[str]) -> list[str]:
    """Names for one label: a whole bloc at one point (a two-level run's plenary, where the bloc
    is one party) reads as "NATO (all 30 members)" instead of thirty names."""
    scenario, left, names = result.scenario, list(ids), []
    for bid, bloc in (getattr(scenario, "blocs", None) or {}).items():
        members = scenario.bloc_members(bid)
        if len(members) >= 3 and set(members) <= set(left):
            names.append(f"{bloc.name or bid} (all {len(members)} members)")
            left = [a for a in left if a not in members]
    return names + [result.actor_name(a) for a in left]


def _darker(colour: str) -> str:
    """Label text in a darker shade of its marker's colour (light colours read badly as text)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return "#{:02x}{:02x}{:02x}".format(*(int(round(255 * 0.72 * c)) for c in (r, g, b)))
