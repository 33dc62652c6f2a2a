"""House style shared by every chart: sizes, palettes, actor colours and names, issue-scale
ticks, new figures.

Sizes. Every chart is a 16:9 landscape figure of 12.8 x 7.2 inches, drawn at
:data:`DEFAULT_DPI` (125: 1600 x 900 pixels, a projector's aspect and at most 2000 pixels on a
side), with text sized so that a class can read it on a projected screen. The layout is
computed once (matplotlib's constrained layout) and then frozen (:func:`finish_layout`), so
labels placed in display coordinates afterwards stay where they were placed and saving does not
lay the figure out again.

Colours are colour-blind safe: blocs take the Okabe-Ito palette (Okabe & Ito 2008, "Color
Universal Design"); scenarios without blocs and with few actors give each actor a colour from
Paul Tol's "muted" scheme (Tol 2021, "Colour schemes", SRON/EPS/TN/09-002) and, past its nine
colours, a dashed line as well. Black is reserved for the forecast. With a highlight
(``--highlight germany,hungary``) the chosen actors take those colours and names and every other
actor is drawn in light grey, unnamed.

Names. Charts with many actors cannot name everyone at every point, so :func:`name_groups`
applies one rule everywhere (convergence line ends and the strip chart): an actor is named
unless it stands at its bloc's median position (the middle member's position, unweighted; the
lower one for an even count) in a bloc of two or more, and the members at that median share one
summary label ("16 NATO members"). Actors at one position share one label. With a highlight,
only the highlighted actors are named.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from ..result import RunResult
    from ..scenario import IssueSpec

#: Okabe-Ito without black (the forecast) and with yellow last (weak on white).
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442"]
#: Paul Tol's muted qualitative scheme (pale grey left out: too faint for a line).
TOL_MUTED = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
             "#882255", "#AA4499"]
#: Highlighted actors: Okabe-Ito's strong colours first, then Tol's muted ones (no yellow, no
#: pale blue: too weak on white for a named line).
HIGHLIGHT = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#332288", "#117733",
             "#882255", "#999933", "#44AA99", "#AA4499"]
FORECAST = "#000000"
MEAN = "#555555"
BAND = "#BBBBBB"
#: Actors not highlighted, and the baseline of a what-if.
GREY = "#C4C4C4"
BASELINE = "#9A9A9A"
#: Status colours (Okabe-Ito), always shown together with the status word.
STATUS_COLOURS = {"consensus": "#009E73", "deadlock": "#E69F00", "unsettled": "#D55E00"}
STATUS_ORDER = {"consensus": 0, "deadlock": 1, "unsettled": 2}
#: Actors without a bloc, in a scenario where others have one.
NO_BLOC = "no bloc"
#: With no blocs at all, up to this many actors get a colour (and legend entry) each.
MAX_ACTOR_COLOURS = 12

#: Figure size in inches (16:9) and the default resolution of raster output.
FIGSIZE = (12.8, 7.2)
DEFAULT_DPI = 125
#: Raster output is at most this many pixels on a side at the default resolution.
MAX_PIXELS = 2000

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#333333",
    "axes.linewidth": 0.8,
    "axes.grid": False,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
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


def new_figure(width: float = FIGSIZE[0], height: float = FIGSIZE[1],
               dpi: float = DEFAULT_DPI) -> Figure:
    """A figure that belongs to no pyplot state (nothing to close), with an Agg canvas, laid
    out by constrained layout until :func:`finish_layout` freezes it. ``dpi`` is the
    resolution labels are placed at (and the default resolution it is saved at)."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def finish_layout(fig: Figure) -> None:
    """Lay the figure out once and freeze the layout: later draws (and saving) keep every axes
    where it is, so that positions computed in display coordinates stay valid."""
    engine = fig.get_layout_engine()
    if engine is not None and engine.__class__.__name__ != "PlaceHolderLayoutEngine":
        engine.execute(fig)
        fig.set_layout_engine("none")


# -- actors: colours, groups, names ----------------------------------------------------------
@dataclass(frozen=True)
class ActorStyle:
    colour: str
    group: str          #: legend entry: the bloc, or the actor itself, or "actors"
    dashes: bool = False  #: past the palette's colours: dashed lines, square points
    muted: bool = False   #: greyed out (not highlighted)

    @property
    def marker(self) -> str:
        return "s" if self.dashes else "o"


@dataclass(frozen=True)
class Styles:
    """How every actor of a run is drawn, and the legend groups in order."""

    by_actor: dict[str, ActorStyle]
    groups: list[tuple[str, ActorStyle]]
    mode: str           #: "bloc", "actor", "single" or "highlight"
    #: each actor's bloc (None for none); with mode "single", every actor in one group
    blocs: dict[str, str | None]

    def __getitem__(self, actor_id: str) -> ActorStyle:
        return self.by_actor[actor_id]


def check_highlight(result: "RunResult", highlight: Sequence[str] | str | None) -> list[str]:
    """The actor ids to highlight, in the order given. Accepts ids or names (any case), as a
    list or one comma-separated string; unknown ones are input errors."""
    if highlight is None:
        return []
    items = highlight.split(",") if isinstance(highlight, str) else list(highlight)
    known = {aid.lower(): aid for aid in result.actor_ids}
    known.update({result.actor_name(aid).lower(): aid for aid in result.actor_ids})
    chosen: list[str] = []
    problems = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        aid = known.get(item.lower())
        if aid is None:
            problems.append(Problem("--highlight", "", "unknown actor (known: "
                                    + ", ".join(result.actor_ids) + ")", item))
        elif aid not in chosen:
            chosen.append(aid)
    if problems:
        raise InputError(problems)
    return chosen


def actor_styles(result: "RunResult", highlight: Sequence[str] | str | None = None) -> Styles:
    """Colour by bloc when the scenario has blocs; otherwise one colour per actor for small
    scenarios, one colour for all in large ones. With ``highlight``, the chosen actors get a
    colour each and the rest are grey."""
    sc = result.scenario
    blocs = {aid: sc.actor_spec(aid).bloc for aid in result.actor_ids}
    chosen = check_highlight(result, highlight)
    by_actor: dict[str, ActorStyle] = {}
    groups: list[tuple[str, ActorStyle]] = []
    if chosen:
        for g, aid in enumerate(chosen):
            st = ActorStyle(HIGHLIGHT[g % len(HIGHLIGHT)], result.actor_name(aid),
                            dashes=g >= len(HIGHLIGHT))
            by_actor[aid] = st
            groups.append((aid, st))
        grey = ActorStyle(GREY, "other actors", muted=True)
        for aid in result.actor_ids:
            by_actor.setdefault(aid, grey)
        if len(chosen) < len(result.actor_ids):
            groups.append(("other actors", grey))
        return Styles(by_actor, groups, "highlight", blocs)
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
        return Styles(by_actor, groups, "bloc", blocs)
    if len(result.actor_ids) <= MAX_ACTOR_COLOURS:
        for g, aid in enumerate(result.actor_ids):
            st = ActorStyle(TOL_MUTED[g % len(TOL_MUTED)], result.actor_name(aid),
                            dashes=g >= len(TOL_MUTED))
            by_actor[aid] = st
            groups.append((aid, st))
        return Styles(by_actor, groups, "actor", blocs)
    st = ActorStyle(OKABE_ITO[0], "actors")
    return Styles({aid: st for aid in result.actor_ids}, [("actors", st)], "single",
                  {aid: "actors" for aid in result.actor_ids})


@dataclass(frozen=True)
class NameGroup:
    """One label of a chart: the actor slots it names, its text and colour."""

    members: tuple[int, ...]
    text: str
    colour: str
    summary: bool = False   #: "16 NATO members" at their bloc's median, rather than names


def name_groups(result: "RunResult", slots: Sequence[int], positions: np.ndarray,
                styles: Styles, tol: float, max_names: int | None = None,
                everyone: bool = False) -> list[NameGroup]:
    """Who a chart names at one moment (see the module docstring for the rule).

    ``slots``: actor slots drawn; ``positions``: their positions (same order); ``tol``: two
    positions within ``tol`` are one position; ``max_names``: a group of more actors at one
    position is counted by bloc ("NATO (alliance/NAC) and 9 NATO members") rather than
    listed; ``everyone``: name every actor, bloc medians included. Groups come in order of
    position.
    """
    slots = [int(s) for s in slots]
    pos = {s: float(p) for s, p in zip(slots, positions)}
    ids = result.actor_ids
    named: list[int] = []
    summaries: list[tuple[str, list[int]]] = []
    if styles.mode == "highlight":
        named = [s for s in slots if not styles[ids[s]].muted]
    elif styles.mode == "actor" or everyone:
        named = list(slots)
    else:
        by_bloc: dict[str | None, list[int]] = {}
        for s in slots:
            by_bloc.setdefault(styles.blocs.get(ids[s]), []).append(s)
        for bloc, members in by_bloc.items():
            if bloc is None or len(members) < 2:
                named += members
                continue
            values = sorted(pos[s] for s in members)
            median = values[(len(values) - 1) // 2]       # the lower middle member
            at = [s for s in members if abs(pos[s] - median) <= tol]
            if len(at) >= 2:
                summaries.append((bloc, at))
                named += [s for s in members if s not in at]
            else:
                named += members
    groups: list[NameGroup] = []
    for bloc, at in summaries:
        st = styles[ids[at[0]]]
        groups.append(NameGroup(tuple(at), f"{len(at)} {bloc} members", st.colour, True))
    clusters: list[list[int]] = []
    for s in sorted(named, key=lambda s: (pos[s], s)):
        if clusters and abs(pos[clusters[-1][-1]] - pos[s]) <= tol:
            clusters[-1].append(s)
        else:
            clusters.append([s])
    for members in clusters:
        colours = {styles[ids[s]].colour for s in members}
        colour = colours.pop() if len(colours) == 1 else "#333333"
        if max_names is not None and len(members) > max_names:
            groups.append(NameGroup(tuple(members), _count_by_bloc(result, members, styles),
                                    colour, True))
        else:
            groups.append(NameGroup(tuple(members), ", ".join(result.actor_name(ids[s])
                                                              for s in members), colour))
    return sorted(groups, key=lambda g: (min(pos[s] for s in g.members), g.summary))


def _count_by_bloc(result: "RunResult", members: Sequence[int], styles: Styles) -> str:
    """"NATO (alliance/NAC) and 9 NATO members": blocs with two or more members counted,
    the others named."""
    by_bloc: dict[str | None, list[int]] = {}
    for s in members:
        by_bloc.setdefault(styles.blocs.get(result.actor_ids[s]), []).append(s)
    named = [result.actor_name(result.actor_ids[s]) for b, ms in by_bloc.items()
             if b is None or len(ms) < 2 for s in ms]
    counted = [f"{len(ms)} {b} members" for b, ms in by_bloc.items()
               if b is not None and len(ms) >= 2]
    parts = named + counted
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


# -- text and scales --------------------------------------------------------------------------
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


def verdict_text(result: "RunResult", k: int, short: bool = False) -> str:
    """What the institutions made of issue ``k`` as a phrase to follow its status ("; blocked
    by linkage", "; agreed", "; no zone of agreement"); empty for runs without institutions. A
    run can converge (consensus) on an issue that is still not agreed: the chart says so."""
    if getattr(result, "agreement", None) is None:
        return ""
    from ..records import AGREEMENT_LABELS

    label = AGREEMENT_LABELS.get(int(result.agreement[-1, k]))
    words = ({"no agreement: no zone": "no zone", "blocked by linkage": "linkage",
              "no agreement": "no deal", "no status quo": "no status quo"} if short
             else {"no agreement: no zone": "no zone of agreement"}).get(label or "", label)
    return (f" · {words}" if short else f"; {words}") if words else ""


def verdict_colour(result: "RunResult", k: int, status) -> str:
    """The colour of issue ``k``'s status phrase: its status's, except that an issue the
    positions converged on but the institutions did not agree is drawn as a deadlock."""
    if getattr(result, "agreement", None) is not None and status.status == "consensus" \
            and int(result.agreement[-1, k]) not in (0, 1):
        return STATUS_COLOURS["deadlock"]
    return STATUS_COLOURS[status.status]


def forecast_words(result: "RunResult") -> str:
    """What the run's forecast is, in words: the rule's ``forecast_label`` ("weighted median",
    "voting outcome"); for one-shot rules, whose forecast is the rule itself, the rule's title
    ("Compromise model (capability x salience weighted mean)")."""
    from ..rules import UnknownRule, get_rule

    try:
        rule = get_rule(result.rule)
    except UnknownRule:
        return result.forecast_label
    inst = " where agreed, else the status quo" \
        if getattr(result, "agreement", None) is not None else ""
    if rule.one_shot and rule.title:
        title = rule.title
        # "Compromise model ..." -> "compromise model ...", but "KTAB ..." stays as it is
        return (title if title[:2].isupper() else title[0].lower() + title[1:]) + inst
    return result.forecast_label + inst


def size_scale(weights, largest: float, smallest_area: float = 18.0,
               largest_area: float = 420.0):
    """Marker areas proportional to weight (area, not radius, carries the quantity)."""
    w = np.asarray(weights, dtype=float)
    top = largest if largest > 0 and math.isfinite(largest) else 1.0
    return smallest_area + (largest_area - smallest_area) * np.clip(w / top, 0.0, 1.0)


def plain(text: str) -> str:
    """Scenario text shown literally: a ``$`` would otherwise start matplotlib mathtext."""
    return str(text).replace("$", r"\$")


def grid_shape(m: int) -> tuple[int, int]:
    """(rows, columns) of a 16:9 figure of ``m`` panels: panels about as wide as tall once
    titles and tick labels are counted, and as few empty cells as that allows."""
    if m <= 3:
        return 1, m
    if m == 4:
        return 2, 2
    if m <= 6:
        return 2, 3
    if m <= 8:
        return 2, 4
    if m == 9:
        return 3, 3
    cols = 4 if m <= 12 else 5
    return -(-m // cols), cols
