"""Charts of stored runs (matplotlib, headless-safe, no pyplot state).

Every function takes a :class:`~negsim.result.RunResult` (usually ``RunResult.load(run_dir)``)
or a compare directory and returns a :class:`matplotlib.figure.Figure` that belongs to no
pyplot state: nothing to close, nothing leaks between figures, no file read or written (except
:func:`plot_comparison`, which reads its compare directory). Figures are 16:9, sized for a
projector (:mod:`negsim.plots._style`). Save with :func:`save_figure`.

- :func:`plot_convergence`: one issue, every actor's position by round.
- :func:`plot_small_multiples`: all issues on one figure, ordered by status.
- :func:`plot_final_strip`: where each actor ends, sized by capability x salience, named.
- :func:`plot_quadrant`: the expected-utility rule's "view from an actor" (BDM 1994).
- :func:`plot_comparison`: each model's forecast per issue, from ``negsim compare --out DIR``.
- :func:`plot_whatif_convergence`, :func:`plot_whatif_multiples`, :func:`plot_whatif_strip`:
  a what-if over its baseline (two runs of one scenario).

The chart functions take ``highlight=`` (actor ids to colour and name; the rest grey) and
``dpi=`` (the resolution labels are placed for). :mod:`negsim.plots.batch` draws many charts at
once (``negsim plot``, ``negsim report``) and :func:`plot_whatif_dirs` the what-if charts of two
run directories.

See ``docs/charts.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .batch import plot_whatif_dirs
from .compare import is_compare_dir, load_comparison, plot_comparison
from .quadrant import default_focal, plot_quadrant, view_from, view_region
from .runs import issue_order, plot_convergence, plot_final_strip, plot_small_multiples
from .whatif import plot_whatif_convergence, plot_whatif_multiples, plot_whatif_strip

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_convergence", "plot_small_multiples", "plot_final_strip", "plot_quadrant",
           "plot_comparison", "load_comparison", "is_compare_dir", "view_from", "view_region",
           "default_focal", "issue_order", "save_figure", "load_run", "FORMATS",
           "plot_whatif_convergence", "plot_whatif_multiples", "plot_whatif_strip",
           "plot_whatif_dirs", "png_bytes"]

FORMATS = ("png", "svg", "pdf")


def save_figure(fig: "Figure", path: str | Path, dpi: float | None = None) -> Path:
    """Write ``fig`` (format from the suffix: png, svg or pdf) at its own size (16:9, see
    :mod:`negsim.plots._style`) and, for PNG, at ``dpi`` (default: the resolution it was laid
    out for; PNGs are palette images, see :func:`png_bytes`). The file appears whole or not at
    all."""
    from ..files import write_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".").lower()
    if fmt == "png":
        data = png_bytes(fig, dpi)
        return write_atomic(path, lambda p: p.write_bytes(data))
    meta = {"svg": {"Creator": "negsim"}, "pdf": {"Creator": "negsim"}}.get(fmt)
    return write_atomic(path, lambda p: fig.savefig(p, format=fmt, metadata=meta))


def png_bytes(fig: "Figure", dpi: float | None = None) -> bytes:
    """The figure as a PNG at ``dpi`` (default: its own): rendered by Agg, then reduced to a
    256-colour palette (PIL's fast octree), which keeps charts' flat colours and antialiased
    edges and makes the file about a third of a full-colour one, and quicker to write."""
    import io

    import numpy as np
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    dpi = float(dpi or fig.dpi)
    old = fig.dpi
    if dpi != old:
        fig.set_dpi(dpi)
    try:
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        image = Image.fromarray(np.ascontiguousarray(rgba[..., :3])).quantize(
            256, method=Image.Quantize.FASTOCTREE)
    finally:
        if dpi != old:
            fig.set_dpi(old)
    info = PngInfo()
    info.add_text("Software", "negsim")
    buf = io.BytesIO()
    image.save(buf, format="png", pnginfo=info, dpi=(dpi, dpi))
    return buf.getvalue()


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
