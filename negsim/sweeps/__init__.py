"""Batch sweeps: designs over scenario parameters, parallel or distributed execution into a
resumable Parquet store, and analysis (see ``docs/sweeps.md``).

Design, execution and analysis are kept apart: :mod:`.params` and :mod:`.design` say which runs
to make, :mod:`.execute` makes them into a :class:`~.store.SweepStore`, and :mod:`.analyze`
reads the store (no re-simulation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..scenario import Scenario
    from .store import SweepStore

__all__ = ["sweep", "experiment"]


def _base_document(scenario: "Scenario | str | Path",
                   overrides: Iterable[str] | Mapping[str, Any] | None):
    from ..readers import Document, apply_overrides, read_document
    from ..scenario import Scenario

    if isinstance(scenario, Scenario):
        doc = Document(scenario.to_document(), scenario.source, "yaml")
    else:
        doc = read_document(scenario)
    if overrides:
        doc.problems.extend(apply_overrides(doc, overrides if isinstance(overrides, Mapping)
                                            else list(overrides)))
    return doc


def sweep(scenario: "Scenario | str | Path", params: Iterable[str], *, out: str | Path,
          design: str = "montecarlo", samples: int = 100, replications: int = 1, seed: int = 0,
          workers: int | None = None, scheduler: str | None = None, dask_local: bool = False,
          overrides: Iterable[str] | Mapping[str, Any] | None = None,
          trajectories: str | None = None, time_limit: float | None = None,
          chunk_size: int | None = None, progress: bool = False,
          retry_failed: bool = False) -> "SweepStore":
    """Run (or resume) a sweep and return its store.

    ``params`` are ``PATH=SPEC`` strings (see :mod:`negsim.sweeps.params`), e.g.
    ``["actors.*.issues.*.salience=noise:0.05", "model.params.q=0.5:1"]``; ``overrides`` are
    fixed ``--set`` style changes to the scenario (including ``model.rule``,
    ``model.max_rounds``, ``model.stop``). ``workers`` defaults to all cores; ``scheduler``
    (``tcp://host:port``) or ``dask_local`` run on dask.distributed instead.
    """
    from .execute import run_sweep

    doc = _base_document(scenario, overrides)
    return run_sweep(doc, list(params), design=design, samples=samples,
                     replications=replications, seed=seed, out=str(out), workers=workers,
                     scheduler=scheduler, dask_local=dask_local, trajectories=trajectories,
                     time_limit=time_limit, chunk_size=chunk_size, progress=progress,
                     retry_failed=retry_failed)


def experiment(scenario: "Scenario | str | Path", seed: int = 0, **params: Any) -> dict[str, Any]:
    """One run as a plain function of named parameters, returning named outcomes.

    Parameter names are scenario paths (``**{"actors.germany.issues.I6.salience": 0.9}``), so
    an EMA Workbench model is one line: ``Model("negsim", function=partial(experiment, path))``.
    Outcomes, per issue ``I``: ``I_forecast``, ``I_mean``, ``I_dispersion``, ``I_status``,
    ``I_converged`` (consensus or deadlock) and ``I_converged_round`` (None if unsettled); and
    ``rounds_run``.
    """
    from ..errors import InputError
    from .execute import run_one

    doc = _base_document(scenario, None)
    if doc.problems:
        raise InputError(doc.problems)
    result = run_one(doc.data, doc.name, dict(params), seed)
    out: dict[str, Any] = {"rounds_run": result.rounds_run}
    for k, iid in enumerate(result.issue_ids):
        st = result.statuses[k]
        out[f"{iid}_forecast"] = float(result.forecast_series[-1, k])
        out[f"{iid}_mean"] = float(result.mean[-1, k])
        out[f"{iid}_dispersion"] = float(result.dispersion[-1, k])
        out[f"{iid}_status"] = st.status
        out[f"{iid}_converged"] = st.settled
        out[f"{iid}_converged_round"] = st.since
    return out
