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

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D

from ..errors import InputError, Problem
from ._style import actor_styles, house_style, new_figure, place_labels, plain, wrap
from .runs import check_issue, check_round

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..result import RunResult

__all__ = ["plot_quadrant", "view_region", "view_from", "default_focal", "REGIONS"]

#: |EU| below this is zero (actors at the same position expect nothing from a challenge).
ZERO = 1e-9

#: Region key -> (label, who moves, where its label sits in axes fractions, alignment).
REGIONS: dict[str, tuple[str, str, tuple[float, float], tuple[str, str]]] = {
    "confrontation": ("Confrontation", "both expect to gain: the side expecting less gives way",
                      (0.98, 0.98), ("right", "top")),
    "compromise:focal": ("Compromise", "{focal} concedes part way", (0.47, 0.98),
                         ("right", "top")),
    "capitulation:focal": ("Capitulation", "{focal} gives in", (0.02, 0.53),
                           ("left", "bottom")),
    "compromise:other": ("Compromise", "the other concedes part way", (0.98, 0.47),
                         ("right", "top")),
    "capitulation:other": ("Capitulation", "the other gives in", (0.53, 0.02),
                           ("left", "bottom")),
    "status quo": ("Status quo", "neither expects to gain", (0.02, 0.02), ("left", "bottom")),
}


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
                  issue_id: str | None = None, rnd: int | None = None) -> "Figure":
    """The view from ``actor_id`` (default: the heaviest actor) on ``issue_id`` (default: the
    first) in round ``rnd`` (default 1): every other actor at (focal's EU of challenging it, its
    EU of challenging the focal actor), with the quadrants and octants labelled."""
    focal, issue_id, rnd, points = view_from(result, actor_id, issue_id, rnd)
    name = result.actor_name(focal)
    with house_style():
        styles = actor_styles(result)
        fig = new_figure(7.6, 7.4)
        ax = fig.add_subplot()
        values = np.array(list(points.values())) if points else np.zeros((1, 2))
        lim = max(float(np.abs(values).max()) * 1.25, 0.1)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
            ax.spines[side].set_color("#BBBBBB")
        for side in ("left", "bottom"):
            ax.spines[side].set_color("#BBBBBB")
        ax.axhline(0, color="#222222", lw=1.1, zorder=1)
        ax.axvline(0, color="#222222", lw=1.1, zorder=1)
        # Octant boundaries: y = -x splits the mixed quadrants, y = x the confrontation one.
        ax.plot([-lim, 0], [lim, 0], color="#888888", lw=0.8, ls=(0, (4, 3)), zorder=1)
        ax.plot([0, lim], [0, -lim], color="#888888", lw=0.8, ls=(0, (4, 3)), zorder=1)
        ax.plot([0, lim], [0, lim], color="#BBBBBB", lw=0.7, ls=":", zorder=1)
        regions = []
        for key, (title, who, (fx, fy), (ha, va)) in REGIONS.items():
            regions.append(ax.text(fx, fy, f"{title}\n" + plain(wrap(who.format(focal=name), 26)),
                    transform=ax.transAxes, ha=ha, va=va, fontsize=8.5, color="#444444",
                    linespacing=1.3, gid=f"region:{key}",
                    bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none", alpha=0.8)))
        # Actors at the same point share one label, as on BDM's chart.
        groups: dict[tuple[float, float], list[str]] = {}
        for other, (x, y) in points.items():
            groups.setdefault((round(x, 9) + 0.0, round(y, 9) + 0.0), []).append(other)
        for other, (x, y) in points.items():
            colour = styles[other].colour if styles.mode == "bloc" else "#000000"
            ax.scatter([x], [y], marker="x", s=70, linewidths=2.0, color=colour, zorder=4,
                       gid=f"actor:{other}")
        ax.set_xlabel(plain(f"{name}'s expected utility of challenging the other actor"))
        ax.set_ylabel(plain(f"the other actor's expected utility of challenging {name}\n"
                            f"(as {name} sees it)"))
        issue = result.scenario.issues[issue_id]
        ax.set_title(plain(f"View from {name}: {issue.label}, round {rnd}"), loc="left")
        fig.suptitle(plain(f"{result.scenario.title} · rule {result.rule}, seed {result.seed}"),
                     x=0.01, ha="left", fontsize=8, color="#555555")
        if styles.mode == "bloc":
            present = {styles[o].group for o in points}
            handles = [Line2D([], [], color=st.colour, marker="x", ls="none", markersize=8,
                              markeredgewidth=2, label=plain(st.group))
                       for _, st in styles.groups if st.group in present]
            fig.legend(handles=handles, loc="outside lower center", ncols=min(5, len(handles)))
        labels = [(x, y, plain(wrap(", ".join(result.actor_name(a) for a in members), 30)),
                   "label:" + ",".join(members)) for (x, y), members in groups.items()]
        place_labels(ax, labels, avoid=regions, fontsize=8.5)
    return fig
