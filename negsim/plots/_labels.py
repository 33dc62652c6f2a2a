"""Point labels without collisions, placed in display coordinates (pixels of the renderer).

The quadrant ("view from an actor") and strip charts name actors beside their markers. A label
must not cover another label, any marker or the chart's captions, must stay inside the axes,
and must be read as belonging to its own marker. The placement follows the candidate-position
approach of point-feature labelling (Christensen, Marks & Shieber 1995, "An empirical study of
algorithms for point-feature label placement", ACM Transactions on Graphics 14(3), 203-232;
Imhof's preference order of positions round a point, 1975):

1. Every label's size is measured once with the figure's renderer (the layout is frozen first,
   :func:`~negsim.plots._style.finish_layout`, so the pixels stay valid when the figure is
   saved).
2. Candidate boxes lie round the label's marker in 16 directions at growing gaps (3 px to the
   axes' diagonal), and on "shelves" one and two label heights above and below the marker,
   shifted sideways by the same gaps (short, crowded panels need places far to the side). A candidate is *direct* when it touches the marker (gap at most
   ``direct_gap``); a direct label must be nearer its own marker than any other marker
   (distance from the box to the marker's centre), so that it cannot be misread.
3. Hard constraints for every candidate: inside the axes, no overlap with a placed label, a
   marker or an obstacle. Farther candidates get a leader line from the marker to the box; their
   cost grows with the leader's length, with every leader it crosses and every label, marker
   or obstacle it passes through, and when the box is nearer another marker.
4. Greedy placement: first, in order of increasing crowding, every label that has a valid
   direct candidate; then the rest (from the outside of the crowd inwards) at their cheapest
   valid candidate; then two passes that re-place each leader label given all the others.
   Should a label have no valid candidate at all, it takes the one with the least overlap.

Everything is vectorised over candidates x boxes with numpy; the flagship's 33-actor view takes
a few milliseconds per label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.text import Text

__all__ = ["PointLabel", "place_labels", "labels_collide", "remove_labels", "LEADER"]

LEADER = "#7A7A7A"
#: Directions tried round a marker, in order of preference (Imhof: right, left, above right,
#: ...), as angles in degrees; the first eight are also the direct positions.
_DIRECTIONS = [0, 180, 45, 135, 315, 225, 90, 270, 22.5, 157.5, 337.5, 202.5, 67.5, 112.5,
               292.5, 247.5]
_GAPS = [3, 8, 14, 22, 32, 45, 60, 80, 105, 135, 170, 210, 260, 320, 390, 470, 560, 660,
         780, 920, 1080, 1260, 1460]
#: The part of a leader that may not pass through other boxes (its ends touch its own marker
#: and label).
_ENDS = (0.04, 0.97)


@dataclass(frozen=True)
class PointLabel:
    """A label to place: its text, the markers it names (indices into the points), its gid."""

    text: str
    owners: Sequence[int]
    gid: str
    colour: str = "#222222"
    fontsize: float = 9.5
    fontweight: str = "normal"
    fontstyle: str = "normal"


def _overlap(c: np.ndarray, b: np.ndarray, pad: float = 0.0) -> np.ndarray:
    """Overlap areas of boxes c (n,4) and b (k,4), as (n,k); boxes are x0, y0, x1, y1."""
    if b.size == 0:
        return np.zeros((len(c), 0))
    w = np.minimum(c[:, None, 2], b[None, :, 2]) - np.maximum(c[:, None, 0], b[None, :, 0]) + pad
    h = np.minimum(c[:, None, 3], b[None, :, 3]) - np.maximum(c[:, None, 1], b[None, :, 1]) + pad
    return np.where((w > 0) & (h > 0), w * h, 0.0)


def _box_point_distance(c: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Distances from boxes c (n,4) to points p (k,2), as (n,k)."""
    dx = np.maximum(np.maximum(c[:, None, 0] - p[None, :, 0], p[None, :, 0] - c[:, None, 2]), 0)
    dy = np.maximum(np.maximum(c[:, None, 1] - p[None, :, 1], p[None, :, 1] - c[:, None, 3]), 0)
    return np.hypot(dx, dy)


def _hits(seg: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Whether segment ``seg[..]`` (x0, y0, x1, y1) passes through box ``box[..]`` (x0, y0,
    x1, y1), elementwise over broadcast rows; the segment's last and first few per cent (where
    it touches its own marker and label) do not count. Liang-Barsky clipping."""
    lo, hi = np.full(np.broadcast_shapes(seg.shape[:-1], box.shape[:-1]), _ENDS[0]), None
    hi = np.full(lo.shape, _ENDS[1])
    for d in (0, 1):
        p, v = seg[..., d], seg[..., d + 2] - seg[..., d]
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (box[..., d] - p) / v
            t2 = (box[..., d + 2] - p) / v
        flat = np.abs(v) < 1e-12
        inside = (p > box[..., d]) & (p < box[..., d + 2])
        lo = np.where(flat, np.where(inside, lo, np.inf), np.maximum(lo, np.minimum(t1, t2)))
        hi = np.where(flat, hi, np.minimum(hi, np.maximum(t1, t2)))
    return lo < hi


def _through(a0: np.ndarray, a1: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """How many of ``boxes`` (k,4) each segment a0->a1 (n,2) passes through, as (n,)."""
    if boxes.size == 0:
        return np.zeros(len(a0))
    return _hits(np.column_stack([a0, a1])[:, None, :], boxes[None, :, :]).sum(axis=1)


def _candidates(anchor: np.ndarray, radius: float, w: float, h: float,
                gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate boxes (n,4) round one marker, with their gaps (n,) and preference ranks (n,)."""
    theta = np.radians(np.array(_DIRECTIONS))
    ux, uy = np.cos(theta), np.sin(theta)
    with np.errstate(divide="ignore"):
        reach = np.minimum(np.where(np.abs(ux) > 1e-9, 0.5 * w / np.abs(ux), np.inf),
                           np.where(np.abs(uy) > 1e-9, 0.5 * h / np.abs(uy), np.inf))
    g = (radius + gaps)[:, None]                                     # (G, 1)
    cx = anchor[0] + ux[None, :] * (g + reach[None, :])
    cy = anchor[1] + uy[None, :] * (g + reach[None, :])
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1).reshape(-1, 4)
    rank = np.broadcast_to(np.arange(len(_DIRECTIONS))[None, :], cx.shape).ravel()
    gap = np.broadcast_to(gaps[:, None], cx.shape).ravel()
    # Shelves: rows of boxes one and two label heights above and below the marker, shifted
    # sideways. Rays at 16 angles leave a short panel (a strip chart's) with no place away
    # from a crowded row of markers; a shelf reaches free room far to the side at a low slope.
    dx = np.concatenate([-gaps[3:], gaps[3:]]) + np.sign(
        np.concatenate([-gaps[3:], gaps[3:]])) * (radius + w / 2)
    dy = np.array([1.0, -1.0, 2.0, -2.0]) * (radius + 0.5 * h + 2.0)
    dy[2:] += np.sign(dy[2:]) * h
    sx = (anchor[0] + dx[:, None] + 0 * dy[None, :]).ravel()
    sy = (anchor[1] + 0 * dx[:, None] + dy[None, :]).ravel()
    shelves = np.stack([sx - w / 2, sy - h / 2, sx + w / 2, sy + h / 2], axis=-1)
    shelf_gap = np.hypot(sx - anchor[0], sy - anchor[1]) - radius
    boxes = np.concatenate([boxes, shelves])
    gap = np.concatenate([gap, shelf_gap])
    rank = np.concatenate([rank, np.full(len(sx), len(_DIRECTIONS))])
    return boxes, gap, rank


def _candidate_set(points: np.ndarray, radii: np.ndarray, frame: np.ndarray,
                   obstacles: np.ndarray, soft: np.ndarray, labels: Sequence["PointLabel"],
                   sizes: list[tuple[float, float]], direct_gap: float, keep: int | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                              np.ndarray]:
    """Every label's ``keep`` cheapest candidates that break no hard constraint of their own
    (inside the axes, off every marker and obstacle, a direct label nearest its own marker).

    Returns, over all kept candidates: boxes (n,4), label index (n,), leader segments (n,4;
    marker edge -> nearest point of the box), whether it has a leader (n,), the owner marker
    (n,) and the cost of the candidate alone (n,).
    """
    half = radii if radii.ndim == 2 else np.column_stack([radii, radii])
    markers = np.column_stack([points - half, points + half])
    radii = half.max(axis=1)
    gaps = np.array(_GAPS, dtype=float)
    out: list[tuple] = []
    for j, (lab, (w, h)) in enumerate(zip(labels, sizes)):
        own = np.zeros(len(points), dtype=bool)
        own[list(lab.owners)] = True
        parts = []
        for o in dict.fromkeys(lab.owners):
            boxes, gap, rank = _candidates(points[o], float(radii[o]), w, h, gaps)
            direct = gap <= direct_gap
            f = frame
            outside = (np.maximum(f[0] - boxes[:, 0], 0) + np.maximum(boxes[:, 2] - f[2], 0)
                       + np.maximum(f[1] - boxes[:, 1], 0) + np.maximum(boxes[:, 3] - f[3], 0))
            clash = (_overlap(boxes, markers, pad=1.0).sum(axis=1)
                     + _overlap(boxes, obstacles, pad=2.0).sum(axis=1))
            dist = _box_point_distance(boxes, points)
            own_d = np.where(own[None, :], dist, np.inf).min(axis=1)
            other_d = np.where(own[None, :], np.inf, dist).min(axis=1) if (~own).any() \
                else np.full(len(boxes), np.inf)
            nearer_other = own_d + 1.0 >= other_d
            violation = clash + 1e3 * outside + 1e4 * (direct & nearer_other)
            centre = points[o]
            q = np.column_stack([np.clip(centre[0], boxes[:, 0], boxes[:, 2]),
                                 np.clip(centre[1], boxes[:, 1], boxes[:, 3])])
            vec = q - centre
            length = np.maximum(np.hypot(vec[:, 0], vec[:, 1]), 1e-9)
            start = centre + vec * (float(radii[o]) / length)[:, None]
            others = np.delete(markers, list(lab.owners), axis=0) + np.array([-3, -3, 3, 3])
            cost = np.where(direct, gap + 0.6 * rank,
                            40.0 + gap + 0.3 * rank + 20.0 * nearer_other
                            + 150.0 * _through(start, q, others)
                            + 45.0 * _through(start, q, obstacles))
            if soft.size:
                cost = cost + 18.0 * ((boxes[:, 0, None] < soft[None, :])
                                      & (boxes[:, 2, None] > soft[None, :])).sum(axis=1)
            parts.append((boxes, np.column_stack([start, q]), ~direct,
                          np.full(len(boxes), o), cost, violation))
        boxes, seg, lead, owner, cost, violation = (np.concatenate(x) for x in zip(*parts))
        ok = violation <= 0
        # the cheapest valid candidates (all of them without ``keep``); with none valid, the
        # least violating ones
        order = np.argsort(np.where(ok, cost, 1e6 + violation), kind="stable")
        order = order[:keep if keep is not None else max(int(ok.sum()), 40)]
        if not ok.any():
            cost = 1e6 + violation
        out.append((boxes[order], np.full(len(order), j), seg[order], lead[order],
                    owner[order], cost[order]))
    return tuple(np.concatenate(x) for x in zip(*out))  # type: ignore[return-value]


def _pairwise(boxes: np.ndarray, label: np.ndarray, seg: np.ndarray, lead: np.ndarray
              ) -> np.ndarray:
    """Cost of choosing two candidates of different labels together: overlapping boxes
    (forbidden: 1e4), crossing leaders (30 each), a leader through the other's box (60).
    Pairs are tested only where their extents meet (a sparse test on a dense matrix)."""
    n = len(boxes)
    cost = np.zeros((n, n))
    ext = boxes.copy()                              # each candidate's extent, leader included
    ext[lead, :2] = np.minimum(ext[lead, :2], np.minimum(seg[lead, :2], seg[lead, 2:]))
    ext[lead, 2:] = np.maximum(ext[lead, 2:], np.maximum(seg[lead, :2], seg[lead, 2:]))
    a, b = _meeting_pairs(ext, 2.0)
    keep = label[a] != label[b]
    a, b = np.concatenate([a[keep], b[keep]]), np.concatenate([b[keep], a[keep]])
    if not a.size:
        return cost
    ba, bb = boxes[a], boxes[b]
    w = np.minimum(ba[:, 2], bb[:, 2]) - np.maximum(ba[:, 0], bb[:, 0]) + 2.0
    h = np.minimum(ba[:, 3], bb[:, 3]) - np.maximum(ba[:, 1], bb[:, 1]) + 2.0
    value = np.where((w > 0) & (h > 0), 1e4, 0.0)
    both = lead[a] & lead[b]
    if both.any():
        value[both] += 30.0 * _segment_pairs_cross(seg[a[both]], seg[b[both]])
    one = lead[a]
    if one.any():   # a's leader through b's box, counted on both (a, b) and (b, a)
        hit = _hits(seg[a[one]], boxes[b[one]])
        through = np.zeros(len(a))
        through[np.flatnonzero(one)[hit]] = 60.0
        value += through
        cost[b, a] += through     # the symmetric share; (a, b) gets it below
    cost[a, b] += value
    return cost


def _meeting_pairs(ext: np.ndarray, pad: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j in sweep order) of boxes whose extents meet within ``pad``: a sweep
    along x (sorted starts, each box against the boxes starting before it ends), then a test
    on y."""
    order = np.argsort(ext[:, 0], kind="stable")
    x0 = ext[order, 0]
    stop = np.searchsorted(x0, ext[order, 2] + pad, side="left")
    counts = np.maximum(stop - np.arange(len(order)) - 1, 0)
    first = np.repeat(np.arange(len(order)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    second = first + 1 + offset
    i, j = order[first], order[second]
    meet = (ext[i, 1] < ext[j, 3] + pad) & (ext[i, 3] + pad > ext[j, 1])
    return i[meet], j[meet]


def _segment_pairs_cross(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whether segment s[i] properly crosses segment t[i] (rows of x0, y0, x1, y1)."""
    def orient(p, q, r):
        return np.sign((q[:, 0] - p[:, 0]) * (r[:, 1] - p[:, 1])
                       - (q[:, 1] - p[:, 1]) * (r[:, 0] - p[:, 0]))

    p0, p1, q0, q1 = s[:, :2], s[:, 2:], t[:, :2], t[:, 2:]
    return (orient(p0, p1, q0) * orient(p0, p1, q1) < 0) & \
        (orient(q0, q1, p0) * orient(q0, q1, p1) < 0)


def _repair(every: tuple, chosen: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Labels still in conflict after the solve (overlapping another label, or crossing it)
    choose again from all their valid candidates, given every other label's choice."""
    boxes, label, seg, lead, _, static = every
    chosen = chosen.copy()
    for _ in range(rounds):
        cost = _pairwise(boxes[chosen], np.arange(len(chosen)), seg[chosen], lead[chosen])
        bad = [j for j in range(len(chosen)) if cost[j].sum() >= 1e4 or static[chosen[j]] >= 1e6]
        if not bad:
            break
        for j in bad:
            mine = np.flatnonzero(label == j)
            rest = np.delete(chosen, j)
            both = np.concatenate([mine, rest])
            tag = np.concatenate([np.zeros(len(mine), dtype=int),
                                  np.arange(1, len(rest) + 1)])
            pc = _pairwise(boxes[both], tag, seg[both], lead[both])
            total = static[mine] + pc[:len(mine), len(mine):].sum(axis=1)
            if total.min() < static[chosen[j]] + pc[np.flatnonzero(mine == chosen[j]),
                                                     len(mine):].sum() - 1e-9 \
                    if (mine == chosen[j]).any() else True:
                chosen[j] = mine[int(np.argmin(total))]
    return chosen


def _solve(static: np.ndarray, label: np.ndarray, pair: np.ndarray, order: list[int]
           ) -> np.ndarray:
    """One candidate per label minimising static + pairwise cost: greedy in ``order``, then
    sweeps that re-choose each label given all the others until nothing changes (iterated
    conditional modes)."""
    n_labels = int(label.max()) + 1 if label.size else 0
    members = [np.flatnonzero(label == j) for j in range(n_labels)]
    chosen = np.full(n_labels, -1)
    for j in order:
        picked = chosen[chosen >= 0]
        total = static[members[j]] + pair[np.ix_(members[j], picked)].sum(axis=1)
        chosen[j] = members[j][int(np.argmin(total))]
    for _ in range(40):
        changed = False
        for j in order:
            rest = np.delete(chosen, j)
            total = static[members[j]] + pair[np.ix_(members[j], rest)].sum(axis=1)
            best = members[j][int(np.argmin(total))]
            if total.min() < static[chosen[j]] + pair[chosen[j], rest].sum() - 1e-9:
                chosen[j] = best
                changed = True
        if not changed:
            break
    return chosen


def _window(ax: "Axes", artist, renderer) -> np.ndarray:
    from matplotlib.text import Text

    bb = Text.get_window_extent(artist, renderer) if isinstance(artist, Text) \
        else artist.get_window_extent(renderer)
    return np.array([bb.x0, bb.y0, bb.x1, bb.y1])


def place_labels(ax: "Axes", points: np.ndarray, radii: np.ndarray,
                 labels: Sequence[PointLabel], *, obstacles: Sequence = (),
                 soft_x: Sequence[float] = (), direct_gap: float = 8.0, zorder: float = 6.0,
                 keep: int = 40) -> list["Text"]:
    """Place ``labels`` for markers at ``points`` (data coordinates, (M, 2)) of radius
    ``radii`` (display pixels, (M,); or half-widths and half-heights, (M, 2), for markers that
    are boxes) on ``ax``; the figure's layout must be final (frozen).

    ``obstacles``: artists (texts, legends, patches) whose boxes labels must not cover;
    ``soft_x``: data x positions of vertical lines labels should rather not straddle. Each label
    becomes a centred :class:`~matplotlib.text.Text` with the label's gid; a label placed away
    from its marker gets a leader :class:`~matplotlib.lines.Line2D` with gid ``leader:<gid>``
    from the marker's edge to the label. Returns the texts in the order of ``labels``.
    """
    if not labels:
        return []
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    px = ax.transData.transform(pts) if len(pts) else np.zeros((0, 2))
    bb = ax.get_window_extent(renderer)
    frame = np.array([bb.x0 + 2, bb.y0 + 2, bb.x1 - 2, bb.y1 - 2])
    obst = np.array([_window(ax, a, renderer) for a in obstacles]).reshape(-1, 4)
    soft = ax.transData.transform(np.column_stack([np.asarray(soft_x, dtype=float),
                                                   np.zeros(len(soft_x))]))[:, 0] \
        if len(soft_x) else np.zeros(0)
    texts = []
    sizes = []
    for lab in labels:
        t = ax.text(0, 0, lab.text, ha="center", va="center", fontsize=lab.fontsize,
                    color=lab.colour, fontweight=lab.fontweight, fontstyle=lab.fontstyle,
                    gid=lab.gid, zorder=zorder,
                    linespacing=1.15)
        t.set_in_layout(False)
        e = t.get_window_extent(renderer)
        texts.append(t)
        sizes.append((e.width + 2, e.height + 1))
    rad = np.asarray(radii, dtype=float)
    rad = rad.reshape(-1, 2) if rad.ndim == 2 else rad.reshape(-1)
    every = _candidate_set(px, rad, frame, obst, soft, labels, sizes, direct_gap, None)
    rank = np.zeros(len(every[1]), dtype=int)
    for j in range(len(labels)):
        mine = np.flatnonzero(every[1] == j)
        rank[mine] = np.arange(len(mine))
    kept = np.flatnonzero(rank < keep)
    boxes, label, seg, lead, _, static = (x[kept] for x in every)
    pair = _pairwise(boxes, label, seg, lead)
    crowd = [int((np.hypot(*(px - px[lab.owners[0]]).T) < 60).sum()) for lab in labels]
    chosen = kept[_solve(static, label, pair,
                         sorted(range(len(labels)), key=lambda j: (crowd[j], j)))]
    chosen = _repair(every, chosen)
    boxes, seg, lead = every[0], every[2], every[3]
    inverse = ax.transData.inverted()
    for j, t in enumerate(texts):
        c = chosen[j]
        box = boxes[c]
        t.set_position(inverse.transform([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]))
        if lead[c]:
            (x0, y0), (x1, y1) = inverse.transform([seg[c, :2], seg[c, 2:]])
            line, = ax.plot([x0, x1], [y0, y1], color=LEADER, lw=0.7, zorder=zorder - 0.5,
                            gid=f"leader:{labels[j].gid}", solid_capstyle="butt")
            line.set_in_layout(False)
    return texts


def labels_collide(texts: Sequence["Text"]) -> bool:
    """Whether any two placed labels overlap by more than half a pixel each way (the placement
    gives a label with no valid place the least overlapping one)."""
    if len(texts) < 2:
        return False
    renderer = texts[0].figure.canvas.get_renderer()
    boxes = np.array([_window(None, t, renderer) for t in texts])
    hit = _overlap(boxes, boxes, pad=-0.5) > 0
    np.fill_diagonal(hit, False)
    return bool(hit.any())


def remove_labels(ax: "Axes", labels: Sequence[PointLabel]) -> None:
    """Take placed ``labels`` (their texts and leader lines) off ``ax`` again."""
    gids = {lab.gid for lab in labels}
    for artist in list(ax.texts) + list(ax.get_lines()):
        gid = artist.get_gid() or ""
        if gid in gids or gid.removeprefix("leader:") in gids:
            artist.remove()
