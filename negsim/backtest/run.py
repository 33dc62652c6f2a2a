"""Running every model on every case (a process pool, :mod:`negsim.parallel`) and scoring."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem
from ..tables import plain
from .cases import FORMAT_VERSION, Case, ModelRun
from .result import BacktestResult
from .score import score

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["run_models", "run_backtest", "sha256"]


def _run_task(task: tuple[ModelRun, int | None, list[Case]]) -> list[dict[str, Any]]:
    """Run one model on a chunk of cases; one row per scored issue (process-pool entry point)."""
    from ..engine import Negotiation as NegotiationModel

    model, seed, cases = task
    rows = []
    for case in cases:
        result = NegotiationModel(case=case.scenario, rule=model.name, rule_params=model.params,
                                  max_rounds=model.rounds, stop=model.stop, rng=seed).run()
        forecast = result.forecast
        for t in case.targets:
            k = result.issue_ids.index(t.issue)
            st = result.statuses[k]
            rows.append({"case": case.key, "issue": t.issue, "model": model.label(),
                         "forecast": float(forecast[t.issue]), "status": st.status,
                         "converged_round": st.since, "rounds_run": result.rounds_run,
                         "actors": int(result.active[0, k].sum())})
    return rows


def _chunks(cases: Sequence[Case], size: int) -> list[list[Case]]:
    return [list(cases[i:i + size]) for i in range(0, len(cases), size)]


def run_models(cases: Sequence[Case], models: Sequence[ModelRun], *, workers: int | None = None,
               seed: int | None = None) -> "pd.DataFrame":
    """Every model on every case; one row per (model, scored issue), in model then case order."""
    import pandas as pd

    from ..parallel import as_completed_bounded, default_workers, executor

    n_workers = default_workers() if workers is None else max(1, int(workers))
    size = max(1, min(16, math.ceil(len(cases) / (4 * n_workers)))) if cases else 1
    tasks = [(m, seed, chunk) for m in models for chunk in _chunks(cases, size)]
    order = {(m.label(), c.key): (i, j) for i, m in enumerate(models) for j, c in enumerate(cases)}
    rows: list[dict[str, Any]] = []
    with executor(min(n_workers, max(1, len(tasks))), preload=[__name__]) as pool:
        for _, future in as_completed_bounded(pool, _run_task, tasks, 2 * n_workers):
            rows.extend(future.result())
    target_pos = {(c.key, t.issue): k for c in cases for k, t in enumerate(c.targets)}
    rows.sort(key=lambda r: (*order[(r["model"], r["case"])], target_pos[(r["case"], r["issue"])]))
    by_target = {(c.key, t.issue): t for c in cases for t in c.targets}
    group_names = list(dict.fromkeys(g for c in cases for t in c.targets for g, _ in t.groups))
    for r in rows:
        t = by_target[(r["case"], r["issue"])]
        width = t.high - t.low
        r["outcome"] = t.outcome
        r["error"] = r["forecast"] - t.outcome
        r["error_pct"] = 100.0 * r["error"] / width
        r["abs_error_pct"] = abs(r["error_pct"])
        r["reference_point"] = t.reference_point
        r["date"] = t.date
        r["line"] = t.line
        groups = dict(t.groups)
        for g in group_names:
            r[g] = groups.get(g)
    columns = ["case", "issue", "model", "forecast", "outcome", "error", "error_pct",
               "abs_error_pct", *group_names, "date", "reference_point", "status",
               "converged_round", "rounds_run", "actors", "line"]
    df = pd.DataFrame(rows, columns=columns)
    for col in ("converged_round", "line"):
        df[col] = df[col].astype("Int64")
    df["reference_point"] = df["reference_point"].astype("Float64")
    return df


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_backtest(cases: Sequence[Case], models: Sequence[ModelRun], *, manifest: dict[str, Any],
                 skipped: Sequence[Mapping[str, Any]] = (), workers: int | None = None,
                 seed: int = 0, run_seed: int | None = None, resamples: int = 2000,
                 confidence: float = 0.95, groups: Sequence[str] = ()) -> BacktestResult:
    """Run and score; ``manifest`` carries what the caller knows about the inputs."""
    import pandas as pd

    import negsim

    problems = []
    if resamples < 0:
        problems.append(Problem("--bootstrap", "", "must be 0 (no intervals) or more", resamples))
    if not 0 < confidence < 1:
        problems.append(Problem("confidence", "", "must lie between 0 and 1", confidence))
    if workers is not None and int(workers) < 1:
        problems.append(Problem("--workers", "", "must be at least 1", workers))
    if problems:
        raise InputError(problems)
    issues = run_models(cases, models, workers=workers, seed=run_seed)
    names = [m.label() for m in models]
    summary, paired = score(issues, names, seed=seed, resamples=resamples,
                            confidence=confidence, groups=groups)
    skipped_df = pd.DataFrame(list(skipped), columns=["issue", "line", "reason"])
    skipped_df["line"] = skipped_df["line"].astype("Int64")
    record = {
        "format_version": FORMAT_VERSION, "kind": "backtest",
        **manifest,
        "seed": seed, "run_seed": run_seed, "bootstrap": resamples, "confidence": confidence,
        "interval": "percentile bootstrap over issues (scipy.stats.bootstrap)",
        "models": [{"name": m.label(), "rule": m.name, "params": dict(m.params), "rounds": m.rounds,
                    "stop": m.stop} for m in models],
        "breakdown": list(groups),
        "negsim_version": negsim.__version__,
    }
    record.setdefault("counts", {})["scored"] = len(issues) // max(1, len(models))
    return BacktestResult(issues, summary, paired, skipped_df, plain(record))


