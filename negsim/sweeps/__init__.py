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

__all__ = ["sweep", "experiment", "OUTCOMES", "UNSETTLED"]


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
          retry_failed: bool = False, dask_idle_warning: float | None = None) -> "SweepStore":
    """Run (or resume) a sweep and return its store.

    ``params`` are ``PATH=SPEC`` strings (see :mod:`negsim.sweeps.params`), e.g.
    ``["actors.*.issues.*.salience=noise:0.05", "model.params.q=0.5:1"]``; ``overrides`` are
    fixed ``--set`` style changes to the scenario (including ``model.rule``,
    ``model.max_rounds``, ``model.stop``). ``workers`` defaults to all cores; ``scheduler``
    (``tcp://host:port``) or ``dask_local`` run on dask.distributed instead;
    ``dask_idle_warning`` is how many seconds a dask cluster may have no worker before a
    warning. Advice (identical replications, a cluster without workers) comes as
    ``UserWarning``; SIGTERM raises :class:`~negsim.sweeps.execute.Terminated` (a
    ``KeyboardInterrupt``) after the finished runs are written, and a lost dask scheduler
    :class:`~negsim.sweeps.execute.SweepAborted`; calling ``sweep`` again resumes.
    """
    from .execute import run_sweep

    doc = _base_document(scenario, overrides)
    return run_sweep(doc, list(params), design=design, samples=samples,
                     replications=replications, seed=seed, out=str(out), workers=workers,
                     scheduler=scheduler, dask_local=dask_local, trajectories=trajectories,
                     time_limit=time_limit, chunk_size=chunk_size, progress=progress,
                     retry_failed=retry_failed, dask_idle_warning=dask_idle_warning)


#: Outcomes of :func:`experiment` per issue ``I`` (named ``I_<name>``), as the store's columns.
OUTCOMES = ("forecast", "mean", "initial_dispersion", "final_dispersion", "consensus",
            "settled", "converged_round")
#: ``I_converged_round`` of an issue that is still unsettled at the end of the run.
UNSETTLED = -1


def experiment(scenario: "Scenario | str | Path", seed: int = 0, **params: Any) -> dict[str, Any]:
    """One run as a plain function of named parameters, returning named numeric outcomes.

    Parameter names are scenario paths (``**{"actors.germany.issues.I6.salience": 0.9}``), so
    an EMA Workbench model is one line: ``Model("negsim", function=partial(experiment, path))``.

    Every outcome is a finite number, named as the store's columns: per issue ``I``,
    ``I_forecast``, ``I_mean``, ``I_initial_dispersion``, ``I_final_dispersion`` (on the issue's
    scale), ``I_consensus`` (1.0 if the issue ended in consensus, else 0.0), ``I_settled`` (1.0
    for consensus or deadlock) and ``I_converged_round`` (the round since which the issue has
    held its final status; :data:`UNSETTLED` = -1 if it is unsettled; the store has null
    there); and ``rounds_run``. ``I_consensus`` and ``I_settled`` together encode the store's
    ``issue_status`` (consensus 1/1, deadlock 0/1, unsettled 0/0).
    """
    import math

    from ..errors import InputError
    from .execute import run_one

    doc = _base_document(scenario, None)
    if doc.problems:
        raise InputError(doc.problems)
    result = run_one(doc.data, doc.name, dict(params), seed)
    out: dict[str, Any] = {"rounds_run": int(result.rounds_run)}
    for k, iid in enumerate(result.issue_ids):
        st = result.statuses[k]
        values = {
            "forecast": float(result.forecast_series[-1, k]),
            "mean": float(result.mean[-1, k]),
            "initial_dispersion": float(result.dispersion[0, k]),
            "final_dispersion": float(result.dispersion[-1, k]),
            "consensus": 1.0 if st.status == "consensus" else 0.0,
            "settled": 1.0 if st.settled else 0.0,
            "converged_round": UNSETTLED if st.since is None else int(st.since),
        }
        for name, value in values.items():
            if not math.isfinite(value):  # pragma: no cover - the engine never gives NaN
                raise ValueError(f"{iid}_{name} is not finite ({value})")
            out[f"{iid}_{name}"] = value
    return out
