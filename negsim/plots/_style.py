"""House style shared by every chart: palettes, actor colours, issue-scale ticks, new figures.

Colours are colour-blind safe: blocs take the Okabe-Ito palette (Okabe & Ito 2008, "Color
Universal Design"); scenarios without blocs and with few actors give each actor a colour from
Paul Tol's "muted" scheme (Tol 2021, "Colour schemes", SRON/EPS/TN/09-002) and, past its nine
colours, a dashed line as well. Black is reserved for the forecast.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:  # pragma: no cover
    from ..result import RunResult
    from ..scenario import IssueSpec

#: Okabe-Ito without black (the forecast) and with yellow last (weak on white).
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442"]
#: Paul Tol's muted qualitative scheme (pale grey left out: too faint for a line).
TOL_MUTED = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
             "#882255", "#AA4499"]
FORECAST = "#000000"
MEAN = "#555555"
BAND = "#BBBBBB"
#: Status colours (Okabe-Ito), always shown together with the status word.
STATUS_COLOURS = {"consensus": "#009E73", "deadlock": "#E69F00", "unsettled": "#D55E00"}
STATUS_ORDER = {"consensus": 0, "deadlock": 1, "unsettled": 2}
#: Actors without a bloc, in a scenario where others have one.
NO_BLOC = "no bloc"
#: With no blocs at all, up to this many actors get a colour (and legend entry) each.
MAX_ACTOR_COLOURS = 12

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#333333",
    "axes.linewidth": 0.8,
    "axes.grid": False,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house style while a figure is built (text picks its font up at creation)."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure that belongs to no pyplot state (nothing to close), with an Agg canvas."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@dataclass(frozen=True)
class ActorStyle:
    colour: str
    group: str          #: legend entry: the bloc, or the actor itself, or "actors"
    dashes: bool = False  #: past the palette's colours: dashed lines, square points

    @property
    def marker(self) -> str:
        return "s" if self.dashes else "o"


@dataclass(frozen=True)
class Styles:
    """How every actor of a run is drawn, and the legend groups in order."""

    by_actor: dict[str, ActorStyle]
    groups: list[tuple[str, ActorStyle]]
    mode: str           #: "bloc", "actor" or "single"

    def __getitem__(self, actor_id: str) -> ActorStyle:
        return self.by_actor[actor_id]


def actor_styles(result: "RunResult") -> Styles:
    """Colour by bloc when the scenario has blocs; otherwise one colour per actor for small
    scenarios, one colour for all in large ones."""
    sc = result.scenario
    blocs = {aid: sc.actor_spec(aid).bloc for aid in result.actor_ids}
    by_actor: dict[str, ActorStyle] = {}
    groups: list[tuple[str, ActorStyle]] = []
    if any(b for b in blocs.values()):
        order: list[str] = []
        for aid in result.actor_ids:
            name = blocs[aid] or NO_BLOC
            if name not in order:
                order.append(name)
        style = {}
        for g, name in enumerate(order):
            colour = "#999999" if name == NO_BLOC else OKABE_ITO[g % len(OKABE_ITO)]
            style[name] = ActorStyle(colour, name, dashes=g >= len(OKABE_ITO))
            groups.append((name, style[name]))
        by_actor = {aid: style[blocs[aid] or NO_BLOC] for aid in result.actor_ids}
        return Styles(by_actor, groups, "bloc")
    if len(result.actor_ids) <= MAX_ACTOR_COLOURS:
        for g, aid in enumerate(result.actor_ids):
            st = ActorStyle(TOL_MUTED[g % len(TOL_MUTED)], result.actor_name(aid),
                            dashes=g >= len(TOL_MUTED))
            by_actor[aid] = st
            groups.append((aid, st))
        return Styles(by_actor, groups, "actor")
    st = ActorStyle(OKABE_ITO[0], "actors")
    return Styles({aid: st for aid in result.actor_ids}, [("actors", st)], "single")


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def issue_ticks(issue: "IssueSpec") -> list[tuple[float, str]]:
    """Labelled points of an issue's scale: the two ends (with their labels when the scenario
    gives them) and the anchors, in order of position."""
    points: dict[float, str] = {issue.scale.low: f"{issue.scale.low:g}",
                                issue.scale.high: f"{issue.scale.high:g}"}
    if issue.ends is not None:
        points[issue.scale.low] = issue.ends.low
        points[issue.scale.high] = issue.ends.high
    for value, label in issue.anchors.items():
        points[float(value)] = label
    return sorted(points.items())


def tick_label(value: float, label: str, width: int) -> str:
    """``label (value)``, wrapped; just the value when the label is the value."""
    number = f"{value:g}"
    return number if label == number else wrap(f"{label} ({number})", width)


def status_text(status, rounds_run: int) -> str:
    """A status as a phrase: ``consensus from round 6``, ``unsettled (cycle of 2) after 100
    rounds``."""
    if status.status == "consensus":
        return f"consensus from round {status.since}"
    if status.status == "deadlock":
        return f"deadlock from round {status.since}"
    detail = f" ({status.detail})" if status.detail else ""
    return f"unsettled{detail} after {rounds_run} round{'s' if rounds_run != 1 else ''}"


def size_scale(weights, largest: float, smallest_area: float = 18.0,
               largest_area: float = 420.0):
    """Marker areas proportional to weight (area, not radius, carries the quantity)."""
    import numpy as np

    w = np.asarray(weights, dtype=float)
    top = largest if largest > 0 and math.isfinite(largest) else 1.0
    return smallest_area + (largest_area - smallest_area) * np.clip(w / top, 0.0, 1.0)


def plain(text: str) -> str:
    """Scenario text shown literally: a ``$`` would otherwise start matplotlib mathtext."""
    return str(text).replace("$", r"\$")


#: Where a point label may go, tried in order: (dx, dy) in points and the text alignment.
LABEL_SPOTS = [(6, 4, "left", "bottom"), (6, -4, "left", "top"), (-6, 4, "right", "bottom"),
               (-6, -4, "right", "top"), (0, 9, "center", "bottom"), (0, -9, "center", "top"),
               (8, 15, "left", "bottom"), (8, -15, "left", "top"), (-8, 15, "right", "bottom"),
               (-8, -15, "right", "top"), (0, 24, "center", "bottom"), (0, -24, "center", "top"),
               (10, 30, "left", "bottom"), (-10, -30, "right", "top"), (10, -30, "left", "top"),
               (-10, 30, "right", "bottom"), (24, 0, "left", "center"),
               (-24, 0, "right", "center"), (20, 44, "left", "bottom"),
               (-20, -44, "right", "top"), (20, -44, "left", "top"), (-20, 44, "right", "bottom"),
               (40, 10, "left", "bottom"), (-40, -10, "right", "top"), (40, -10, "left", "top"),
               (-40, 10, "right", "bottom"), (0, 60, "center", "bottom"),
               (0, -60, "center", "top")]


def place_labels(ax, items, avoid=(), fontsize: float = 8.5, marker_px: float = 6.0) -> list:
    """Label points without overlaps where possible (greedy, in the order given).

    ``items``: (x, y, text, gid) in data coordinates. ``avoid``: artists whose boxes labels must
    not cover (e.g. region captions). Labels try the spots of :data:`LABEL_SPOTS` and keep the
    first that covers no other label, no marker and stays inside the axes; far spots get a
    leader line. Returns the annotations.
    """
    from matplotlib.transforms import Bbox

    fig = ax.figure
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)  # measure against the final layout
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    points = ax.transData.transform([(x, y) for x, y, _, _ in items]) if items else []
    taken = [Bbox.from_bounds(px - marker_px, py - marker_px, 2 * marker_px, 2 * marker_px)
             for px, py in points]
    taken += [a.get_window_extent(renderer) for a in avoid]
    out = []
    for x, y, text, gid in items:
        best = None  # (overlap area, annotation, box)
        for dx, dy, ha, va in LABEL_SPOTS:
            far = abs(dx) > 10 or abs(dy) > 10
            ann = ax.annotate(text, xy=(x, y), xytext=(dx, dy), textcoords="offset points",
                              ha=ha, va=va, fontsize=fontsize, zorder=5, gid=gid,
                              arrowprops=dict(arrowstyle="-", lw=0.5, color="#999999",
                                              shrinkA=0, shrinkB=4) if far else None)
            box = ann.get_window_extent(renderer)
            outside = max(frame.x0 - box.x0, 0) + max(box.x1 - frame.x1, 0) \
                + max(frame.y0 - box.y0, 0) + max(box.y1 - frame.y1, 0)
            cost = sum(_overlap(box, b) for b in taken) + 1e3 * outside
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, ann, box)
            else:
                ann.remove()
            if cost == 0:
                break
        assert best is not None
        taken.append(best[2])
        out.append(best[1])
    return out


def _overlap(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0
