"""Charts of stored runs (matplotlib, headless-safe, no pyplot state).

Every function takes a :class:`~negsim.result.RunResult` (usually ``RunResult.load(run_dir)``)
or a compare directory and returns a :class:`matplotlib.figure.Figure` that belongs to no
pyplot state: nothing to close, nothing leaks between figures. Save with :func:`save_figure`.

- :func:`plot_convergence`: one issue, every actor's position by round.
- :func:`plot_small_multiples`: all issues on one figure, ordered by status.
- :func:`plot_final_strip`: where each actor ends, sized by capability x salience.
- :func:`plot_quadrant`: the expected-utility rule's "view from an actor" (BDM 1994).
- :func:`plot_comparison`: each model's forecast per issue, from ``negsim compare --out DIR``.

See ``docs/charts.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .compare import is_compare_dir, load_comparison, plot_comparison
from .quadrant import default_focal, plot_quadrant, view_from, view_region
from .runs import issue_order, plot_convergence, plot_final_strip, plot_small_multiples

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_convergence", "plot_small_multiples", "plot_final_strip", "plot_quadrant",
           "plot_comparison", "load_comparison", "is_compare_dir", "view_from", "view_region",
           "default_focal", "issue_order", "save_figure", "load_run", "FORMATS"]

FORMATS = ("png", "svg", "pdf")


def save_figure(fig: "Figure", path: str | Path, dpi: int = 150) -> Path:
    """Write ``fig`` (format from the suffix: png, svg or pdf), trimmed to its content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"png": {"Software": "negsim"}, "svg": {"Creator": "negsim"},
            "pdf": {"Creator": "negsim"}}.get(path.suffix.lstrip(".").lower())
    fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=0.12, metadata=meta)
    return path


def load_run(directory: str | Path):
    """Read a run directory (``negsim run FILE --out DIR``) for charting; a missing or broken
    directory is an :class:`~negsim.errors.InputError`, not a traceback."""
    import json

    from ..errors import InputError, Problem
    from ..result import RunResult

    d = Path(directory)
    if not d.is_dir():
        raise InputError([Problem(str(d), "", "no such run directory")])
    if not (d / "summary.json").is_file():
        if is_compare_dir(d):
            raise InputError([Problem(str(d), "", "is a compare directory (compare.json), not "
                                      "a run directory; its models' runs are in "
                                      f"{d}/<model>/")])
        raise InputError([Problem(str(d), "", "not a run directory (no summary.json); write "
                                  "one with: negsim run FILE --out DIR")])
    try:
        return RunResult.load(d)
    except InputError:
        raise
    except (OSError, KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(str(d), "", "cannot read the run records "
                                  f"({type(exc).__name__}: {exc})")]) from None
