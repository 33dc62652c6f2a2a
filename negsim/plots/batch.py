"""Drawing a run's charts in one go: the chart list of ``negsim plot``, drawn on a small process
pool, written whole, and indexed so that ``negsim report`` embeds the PNGs ``plot`` already wrote
instead of drawing them again.

- :class:`Chart`: one chart to draw (its kind, issue, focal actor, round) and its file name.
- :func:`draw`: the figure of a chart (pure: the plotting functions of :mod:`negsim.plots`).
- :func:`render`: many charts to files or to PNG bytes. With more than a few charts, on a
  machine with more than one core and in a process that may fork (no other threads), the
  charts are drawn by up to :data:`MAX_WORKERS` forked workers that inherit the loaded runs (no
  pickling of the records, no re-reading); otherwise in this process. ``NEGSIM_PLOT_WORKERS``
  sets the number of workers (1: in this process).
- The index, ``FIGDIR/figures.json``, records for each file written a fingerprint of what it
  shows: the run's records (``summary.json`` and ``actor_rounds.parquet``), the baseline's for
  a what-if, the chart and its options (highlight, resolution, format), the negsim version and
  the plotting code itself. :func:`reusable` hands back the bytes of a file whose fingerprint
  and content still match, so a report never embeds a stale chart.
- :func:`plot_whatif_dirs`: the what-if charts of two run directories (``negsim whatif``,
  ``negsim plot RUN_DIR --baseline BASE_DIR``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._style import DEFAULT_DPI

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..result import RunResult

__all__ = ["Chart", "draw", "render", "reusable", "run_fingerprint", "plot_whatif_dirs",
           "whatif_charts", "run_charts", "safe_name", "INDEX", "MAX_WORKERS"]

INDEX = "figures.json"
#: Drawing processes at most (the charts of one run are few; more workers cost more than they
#: save on a small machine).
MAX_WORKERS = 2
#: Fewer charts than this are drawn in this process.
MIN_PARALLEL = 4
#: Charts that take longest come first, so that the pool finishes together.
_COST = {"strip": 5, "whatif-strip": 5, "multiples": 4, "whatif-multiples": 4, "quadrant": 3,
         "whatif-convergence": 2, "convergence": 1}


@dataclass(frozen=True)
class Chart:
    """One chart of a run: ``kind`` is convergence, multiples, strip, quadrant or a what-if
    kind (whatif-convergence, whatif-multiples, whatif-strip); ``name`` the file stem."""

    name: str
    kind: str
    issue: str | None = None
    actor: str | None = None
    round: int | None = None

    def spec(self) -> dict[str, Any]:
        return {"kind": self.kind, "issue": self.issue, "actor": self.actor,
                "round": self.round}


def draw(chart: Chart, result: "RunResult", baseline: "RunResult | None" = None, *,
         highlight: list[str] | None = None, dpi: float = DEFAULT_DPI) -> "Figure":
    """The figure of one chart (what-if kinds need the ``baseline``)."""
    from . import (plot_convergence, plot_final_strip, plot_quadrant, plot_small_multiples,
                   plot_whatif_convergence, plot_whatif_multiples, plot_whatif_strip)

    hl = highlight or None
    kind = chart.kind
    if kind == "convergence":
        return plot_convergence(result, chart.issue, highlight=hl, dpi=dpi)
    if kind == "multiples":
        return plot_small_multiples(result, highlight=hl, dpi=dpi)
    if kind == "strip":
        return plot_final_strip(result, chart.round, highlight=hl, dpi=dpi)
    if kind == "quadrant":
        return plot_quadrant(result, chart.actor, chart.issue, chart.round, highlight=hl,
                             dpi=dpi)
    assert baseline is not None, "what-if charts need the baseline"
    if kind == "whatif-convergence":
        return plot_whatif_convergence(baseline, result, chart.issue, highlight=hl, dpi=dpi)
    if kind == "whatif-multiples":
        return plot_whatif_multiples(baseline, result, highlight=hl, dpi=dpi)
    if kind == "whatif-strip":
        return plot_whatif_strip(baseline, result, highlight=hl, dpi=dpi)
    raise ValueError(f"unknown chart kind {kind!r}")


# -- fingerprints and the index ----------------------------------------------------------------
def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def run_fingerprint(run_dir: str | Path) -> str | None:
    """A digest of a run directory's records (None when they cannot be read)."""
    d = Path(run_dir)
    try:
        return _digest((d / "summary.json").read_bytes(),
                       (d / "actor_rounds.parquet").read_bytes())
    except OSError:
        return None


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """The negsim version and the plotting code (a chart drawn by other code is stale)."""
    import negsim

    here = Path(__file__).parent
    return _digest(negsim.__version__.encode(),
                   *(p.read_bytes() for p in sorted(here.glob("*.py"))))


def chart_key(chart: Chart, run: str | None, base: str | None, highlight: list[str],
              dpi: float, fmt: str) -> str | None:
    """What a chart file shows, as one digest (None when the run's records are unreadable)."""
    if run is None:
        return None
    doc = {"chart": chart.spec(), "run": run, "baseline": base, "highlight": list(highlight),
           "dpi": float(dpi), "format": fmt, "code": _code_fingerprint()}
    return _digest(json.dumps(doc, sort_keys=True).encode())


def _read_index(figdir: Path) -> dict[str, Any]:
    try:
        doc = json.loads((figdir / INDEX).read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) and isinstance(doc.get("files"), dict) else \
            {"files": {}}
    except (OSError, ValueError):
        return {"files": {}}


def _write_index(figdir: Path, entries: dict[str, dict[str, Any]]) -> None:
    from ..files import write_atomic

    doc = _read_index(figdir)
    doc["files"].update(entries)
    doc["files"] = {name: e for name, e in doc["files"].items() if (figdir / name).is_file()}
    doc["about"] = ("negsim's index of the charts in this directory: what each file shows "
                    "(a digest of the run's records and the chart's options), so that "
                    "'negsim report' can embed them without drawing them again")
    text = json.dumps(doc, indent=1, sort_keys=True)
    write_atomic(figdir / INDEX, lambda p: p.write_text(text + "\n", encoding="utf-8"))


def reusable(figdir: str | Path, chart: Chart, key: str | None) -> bytes | None:
    """The bytes of ``FIGDIR/<chart>.png`` if the index says it shows exactly ``key`` and the
    file is the one indexed; else None."""
    if key is None:
        return None
    figdir = Path(figdir)
    entry = _read_index(figdir)["files"].get(f"{chart.name}.png")
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    try:
        data = (figdir / f"{chart.name}.png").read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == entry.get("sha256") else None


# -- drawing many charts --------------------------------------------------------------------
#: What forked workers inherit: (charts, result, baseline, highlight, dpi, fmt, figdir).
_JOB: tuple | None = None


def _work(index: int) -> tuple[int, bytes | str]:
    """Draw chart ``index`` of :data:`_JOB`: to its file (returns the path) or to PNG bytes."""
    from . import png_bytes, save_figure

    charts, result, baseline, highlight, dpi, fmt, figdir = _JOB  # type: ignore[misc]
    chart = charts[index]
    fig = draw(chart, result, baseline, highlight=highlight, dpi=dpi)
    if figdir is None:
        return index, png_bytes(fig, dpi)
    return index, str(save_figure(fig, Path(figdir) / f"{chart.name}.{fmt}", dpi))


def workers_for(n_charts: int) -> int:
    """How many processes draw ``n_charts`` charts (see the module docstring)."""
    import multiprocessing

    from ..parallel import default_workers

    env = os.environ.get("NEGSIM_PLOT_WORKERS")
    if env and env.strip().isdigit():
        wanted = max(1, int(env))
    elif n_charts < MIN_PARALLEL:
        return 1
    else:
        wanted = MAX_WORKERS
    if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1                       # workers would not inherit the runs: draw here
    return max(1, min(wanted, default_workers(), n_charts))


def render(charts: list[Chart], result: "RunResult", baseline: "RunResult | None" = None, *,
           highlight: list[str] | None = None, dpi: float = DEFAULT_DPI, fmt: str = "png",
           figdir: str | Path | None = None, run_dir: str | Path | None = None,
           base_dir: str | Path | None = None) -> list[bytes | Path]:
    """Draw ``charts``: into ``figdir`` as ``<name>.<fmt>`` (returns the paths, and indexes
    them when ``run_dir`` is given), or, without ``figdir``, to PNG bytes (returned in order)."""
    global _JOB
    from ..parallel import executor

    if not charts:
        return []
    hl = list(highlight or [])
    _JOB = (charts, result, baseline, hl, dpi, fmt, None if figdir is None else str(figdir))
    order = sorted(range(len(charts)), key=lambda i: (-_COST.get(charts[i].kind, 1), i))
    out: list[Any] = [None] * len(charts)
    try:
        with executor(workers_for(len(charts))) as pool:
            for index, value in pool.map(_work, order):
                out[index] = Path(value) if isinstance(value, str) else value
    finally:
        _JOB = None
    if figdir is not None and run_dir is not None:
        run = run_fingerprint(run_dir)
        base = run_fingerprint(base_dir) if base_dir is not None else None
        entries = {}
        for chart, path in zip(charts, out):
            key = chart_key(chart, run, base, hl, dpi, fmt)
            if key is not None:
                entries[path.name] = {"key": key, "sha256": hashlib.sha256(
                    path.read_bytes()).hexdigest(), **chart.spec()}
        if entries:
            _write_index(Path(figdir), entries)
    return out


def safe_name(name: str) -> str:
    """An id as a file-name part (letters, digits, ``_.-``)."""
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "x"


def run_charts(result: "RunResult", *, kind: str = "all", issue: str | None = None,
               actor: str | None = None, rnd: int | None = None,
               notes: list[str] | None = None) -> list[Chart]:
    """The charts ``negsim plot --kind KIND`` draws of one run, every argument checked first:
    one convergence chart per issue (or ``issue``), the small multiples, the strip (at round
    ``rnd``), and for expected-utility runs one view per issue (focal ``actor``, round
    ``rnd``). ``notes`` collects the charts left out and why."""
    from ..errors import InputError
    from .quadrant import view_from
    from .runs import check_issue, check_round

    notes = notes if notes is not None else []
    issues = [check_issue(result, issue)] if issue else list(result.issue_ids)
    if kind in ("strip", "all"):
        check_round(result, rnd, result.rounds_run)
    charts: list[Chart] = []
    if kind in ("convergence", "all"):
        charts += [Chart(f"convergence-{safe_name(i)}", "convergence", i) for i in issues]
    if kind in ("multiples", "all"):
        charts.append(Chart("multiples", "multiples"))
    if kind in ("strip", "all"):
        charts.append(Chart("strip", "strip", round=rnd))
    if kind in ("quadrant", "all"):
        try:
            views = [view_from(result, actor, i, rnd) for i in issues]
        except InputError as exc:
            if kind == "quadrant" or actor is not None or rnd is not None:
                raise
            notes.extend(f"no quadrant chart: {p.message}" for p in exc.problems)
            views = []
        charts += [Chart(f"quadrant-{safe_name(focal)}-{safe_name(iid)}-r{r}", "quadrant", iid,
                         focal, r) for focal, iid, r, _ in views]
    return charts


def whatif_charts(result: "RunResult", issues: list[str] | None = None,
                  kinds: tuple[str, ...] = ("convergence", "multiples", "strip")) -> list[Chart]:
    """The what-if charts of a pair of runs: one by-round chart per issue (what-if's issue
    order), the small multiples and the strip; files ``whatif-<kind>[-<issue>]``."""
    from .runs import issue_order

    charts = []
    if "convergence" in kinds:
        charts += [Chart(f"whatif-convergence-{safe_name(i)}", "whatif-convergence", i)
                   for i in (issues or issue_order(result))]
    if "multiples" in kinds:
        charts.append(Chart("whatif-multiples", "whatif-multiples"))
    if "strip" in kinds:
        charts.append(Chart("whatif-strip", "whatif-strip"))
    return charts


def plot_whatif_dirs(base_dir: str | Path, whatif_dir: str | Path,
                     out_dir: str | Path | None = None, *, highlight=None, fmt: str = "png",
                     dpi: float = DEFAULT_DPI) -> list[Path]:
    """Draw the what-if charts of two run directories (the what-if against its baseline) into
    ``out_dir`` (default ``WHATIF_DIR/figures``) and return the paths written. Both
    directories are read and checked (same scenario, known highlighted actors) before
    anything is written."""
    from . import load_run
    from ._style import check_highlight
    from .whatif import check_pair

    baseline, result = load_run(base_dir), load_run(whatif_dir)
    check_pair(baseline, result)
    hl = check_highlight(result, highlight)
    figdir = Path(out_dir) if out_dir is not None else Path(whatif_dir) / "figures"
    paths = render(whatif_charts(result), result, baseline, highlight=hl, dpi=dpi, fmt=fmt,
                   figdir=figdir, run_dir=whatif_dir, base_dir=base_dir)
    return [Path(p) for p in paths]
