"""Per-issue convergence: which issues converge, when, and how.

Each round records, per issue, the weighted median (the forecast), the weighted mean and the
dispersion (capability x salience weighted standard deviation of positions). At the end (or
after every round, for ``stop="auto"``) each issue is classified:

``consensus``
    dispersion within ``tolerance`` (a fraction of the issue's scale width, default 1%) in each
    of the last ``patience`` recorded rounds. ``since`` is the first round of that final stretch.
``deadlock``
    no actor moved by more than ``move_tolerance`` (fraction of the scale) in each of the last
    ``patience`` rounds, with dispersion above tolerance. ``since`` is the round whose positions
    then held.
``unsettled``
    still moving when the run ended. ``detail`` says how: ``cycle of N`` (the whole position state
    repeats the state of N rounds earlier, so a deterministic rule will go round for ever),
    ``oscillating`` (the forecast or the mean changed direction at least twice in the last ten
    rounds) or ``drifting``.

Round 0 is the input and counts as a recorded round for consensus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IssueStatus", "classify", "trailing_run", "StatusTracker"]

CONSENSUS, DEADLOCK, UNSETTLED = "consensus", "deadlock", "unsettled"
SETTLED = (CONSENSUS, DEADLOCK)


@dataclass(frozen=True)
class IssueStatus:
    status: str
    since: int | None
    detail: str = ""
    #: for a detected cycle (``detail`` "cycle of N"), the round whose state recurs
    cycle_start: int | None = None

    @property
    def settled(self) -> bool:
        return self.status in SETTLED


class StatusTracker:
    """The statuses of :func:`classify` (without ``detail``), kept up to date round by round in
    O(issues) per round instead of re-reading the whole history: the trailing runs of calm
    rounds (dispersion within tolerance, round 0 included) and of still rounds (largest move
    within the move tolerance) are counters."""

    def __init__(self, tolerance: np.ndarray, move_tolerance: np.ndarray, patience: int) -> None:
        self.tol = np.asarray(tolerance, dtype=float)
        self.move_tol = np.asarray(move_tolerance, dtype=float)
        self.patience = patience
        self.calm = np.zeros(self.tol.shape, dtype=int)
        self.still = np.zeros(self.tol.shape, dtype=int)
        self.t = -1

    def update(self, dispersion: np.ndarray, max_move: np.ndarray | None) -> None:
        """Add one recorded round (round 0 with ``max_move=None``)."""
        self.t += 1
        self.calm = np.where(np.asarray(dispersion) <= self.tol, self.calm + 1, 0)
        if max_move is not None:
            self.still = np.where(np.asarray(max_move) <= self.move_tol, self.still + 1, 0)

    def statuses(self) -> list[IssueStatus]:
        out = []
        for k in range(self.tol.size):
            if self.calm[k] >= self.patience:
                out.append(IssueStatus(CONSENSUS, int(self.t - self.calm[k] + 1)))
            elif self.still[k] >= self.patience:
                out.append(IssueStatus(DEADLOCK, int(self.t - self.still[k])))
            else:
                out.append(IssueStatus(UNSETTLED, None))
        return out


def trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True values at the end of each column of ``flags`` (T, m)."""
    flags = np.asarray(flags, dtype=bool)
    if flags.shape[0] == 0:
        return np.zeros(flags.shape[1:], dtype=int)
    false_at = np.where(~flags[::-1], np.arange(flags.shape[0])[:, None], flags.shape[0])
    return false_at.min(axis=0)


def _direction_changes(series: np.ndarray, tol: float) -> int:
    d = np.diff(series)
    d = d[np.abs(d) > tol]
    return int(np.count_nonzero(np.sign(d[1:]) != np.sign(d[:-1]))) if d.size > 1 else 0


def classify(dispersion: np.ndarray, max_move: np.ndarray, tolerance: np.ndarray,
             move_tolerance: np.ndarray, patience: int, median: np.ndarray | None = None,
             mean: np.ndarray | None = None, positions: np.ndarray | None = None,
             detail: bool = True, cycles: dict[int, tuple[int, int]] | None = None
             ) -> list[IssueStatus]:
    """Classify every issue from its per-round records.

    dispersion, max_move, median, mean: (T+1, m), round 0 first (``max_move[0]`` is ignored);
    tolerance, move_tolerance: (m,) absolute values on each issue's scale; positions
    (T+1, m, n), optional, for cycle detection (inactive cells should hold a fixed value).
    """
    dispersion = np.asarray(dispersion, dtype=float)
    T = dispersion.shape[0] - 1
    m = dispersion.shape[1]
    calm = dispersion <= np.asarray(tolerance)[None, :]
    run_calm = trailing_run(calm)
    still = np.asarray(max_move, dtype=float)[1:] <= np.asarray(move_tolerance)[None, :]
    run_still = trailing_run(still) if T > 0 else np.zeros(m, dtype=int)
    out: list[IssueStatus] = []
    for k in range(m):
        if run_calm[k] >= patience:
            out.append(IssueStatus(CONSENSUS, int(T - run_calm[k] + 1)))
        elif run_still[k] >= patience:
            out.append(IssueStatus(DEADLOCK, int(T - run_still[k])))
        elif cycles and k in cycles:
            period, start = cycles[k]
            out.append(IssueStatus(UNSETTLED, None, f"cycle of {period}", start))
        elif detail:
            out.append(IssueStatus(UNSETTLED, None, _how_unsettled(
                k, T, median, mean, positions, float(np.asarray(move_tolerance)[k]))))
        else:
            out.append(IssueStatus(UNSETTLED, None))
    return out


def _how_unsettled(k: int, T: int, median: np.ndarray | None, mean: np.ndarray | None,
                   positions: np.ndarray | None, tol: float) -> str:
    if positions is not None and T >= 2:
        last = positions[T, k]
        for back in range(1, min(T, 50) + 1):
            if np.all(np.abs(positions[T - back, k] - last) <= tol):
                if back > 1:
                    return f"cycle of {back}"
                break
    window = slice(max(0, T - 10), T + 1)
    for series in (median, mean):
        if series is not None and _direction_changes(np.asarray(series)[window, k], tol) >= 2:
            return "oscillating"
    return "drifting"
