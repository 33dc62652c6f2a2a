"""Analysing a sweep store: convergence shares, forecast distributions, sensitivity indices.

Reads the store only; nothing is re-simulated. Sobol indices (first and total order, with
bootstrap confidence intervals) come from SALib on a ``sobol`` design; Morris elementary
effects from SALib on a ``morris`` design. An output is ``ISSUE.METRIC`` with METRIC one of
``forecast`` (default), ``mean``, ``final_dispersion``, ``consensus`` (1 if the issue reached
consensus, else 0), ``settled`` (consensus or deadlock) or ``rounds_run``; with replications the
output of a design row is the mean over its runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, Problem
from .store import SweepStore

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["summary", "sobol_indices", "morris_effects", "output_by_row", "load_design",
           "METRICS", "convergence_grid"]

METRICS = ("forecast", "mean", "final_dispersion", "consensus", "settled", "rounds_run")


def load_design(store: SweepStore):
    """Rebuild the sweep's design from its manifest and stored scenario."""
    from ..readers import read_document
    from ..scenario import validate_document
    from .design import Design
    from .params import parse_params

    m = store.manifest
    doc = read_document(store.path / "scenario.yaml")
    scenario = validate_document(read_document(store.path / "scenario.yaml"))
    factors, fixed = parse_params(m["params"], doc, scenario.salience_unit)
    return Design(m["design"], factors, fixed, m["samples"], m["replications"], m["seed"])


def summary(store: SweepStore) -> "pd.DataFrame":
    """Per issue: runs, shares of consensus / deadlock / unsettled, forecast distribution."""
    import pandas as pd

    df = store.results()
    ok = df[df["status"] == "ok"]
    rows = []
    for iid, g in ok.groupby("issue", sort=False):
        f = g["forecast"].astype(float)
        counts = g["issue_status"].value_counts()
        conv = g["converged_round"].dropna().astype(float)
        rows.append({
            "issue": iid, "runs": len(g),
            "consensus": counts.get("consensus", 0) / len(g),
            "deadlock": counts.get("deadlock", 0) / len(g),
            "unsettled": counts.get("unsettled", 0) / len(g),
            "forecast_mean": f.mean(), "forecast_sd": f.std(ddof=1) if len(f) > 1 else 0.0,
            "p5": f.quantile(0.05), "p25": f.quantile(0.25), "median": f.median(),
            "p75": f.quantile(0.75), "p95": f.quantile(0.95),
            "converged_round_median": conv.median() if len(conv) else None,
        })
    return pd.DataFrame(rows)


def _parse_output(text: str, issues: list[str]) -> tuple[str, str]:
    issue, _, metric = text.partition(".")
    metric = metric or "forecast"
    problems = []
    if issue not in issues:
        problems.append(Problem("--output", "", "unknown issue (known: " + ", ".join(issues)
                                + ")", issue))
    if metric not in METRICS:
        problems.append(Problem("--output", "", "unknown metric (known: " + ", ".join(METRICS)
                                + ")", metric))
    if problems:
        raise InputError(problems)
    return issue, metric


def output_by_row(store: SweepStore, output: str) -> tuple[np.ndarray, str, str]:
    """The output of every design row (mean over replications), in row order."""
    df = store.results()
    issues = [i for i in df["issue"].dropna().unique().tolist()]
    issue, metric = _parse_output(output, issues)
    m = store.manifest
    failed = int((df["status"] == "failed").sum())
    done = df["run_id"].nunique()
    if failed or done < m["runs"]:
        raise InputError([Problem(str(store.path), "", "sensitivity indices need every run of "
                                  f"the design: {m['runs'] - done} pending and {failed} failed; "
                                  "finish the sweep first (negsim sweep-status)")])
    g = df[df["issue"] == issue].sort_values("run_id")
    if metric == "consensus":
        values = (g["issue_status"] == "consensus").astype(float)
    elif metric == "settled":
        values = g["issue_status"].isin(["consensus", "deadlock"]).astype(float)
    else:
        values = g[metric].astype(float)
    y = values.to_numpy().reshape(m["rows"], m["replications"]).mean(axis=1)
    return y, issue, metric


@dataclass
class Indices:
    kind: str
    output: str
    table: "pd.DataFrame"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "output": self.output,
                "indices": self.table.to_dict(orient="records")}


def sobol_indices(problem: dict[str, Any], y: np.ndarray, seed: int = 0,
                  conf_level: float = 0.95, resamples: int = 1000) -> "pd.DataFrame":
    """First- and total-order Sobol indices with bootstrap confidence intervals (SALib), for
    outputs ``y`` in the row order of a Saltelli design (no second-order terms)."""
    import pandas as pd
    from SALib.analyze import sobol

    if np.allclose(y, y[0]):
        raise InputError([Problem("--sobol", "", "the output does not vary across the design, "
                                  "so it has no variance to apportion")])
    res = sobol.analyze(problem, np.asarray(y, dtype=float), calc_second_order=False,
                        conf_level=conf_level, num_resamples=resamples, seed=seed)
    return pd.DataFrame({"factor": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                         "ST": res["ST"], "ST_conf": res["ST_conf"]})


def morris_effects(problem: dict[str, Any], x: np.ndarray, y: np.ndarray, seed: int = 0,
                   conf_level: float = 0.95) -> "pd.DataFrame":
    """Morris elementary effects (mu*, its confidence interval, sigma) via SALib."""
    import pandas as pd
    from SALib.analyze import morris

    res = morris.analyze(problem, np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                         conf_level=conf_level, num_levels=4, seed=seed)
    return pd.DataFrame({"factor": problem["names"], "mu_star": res["mu_star"],
                         "mu_star_conf": res["mu_star_conf"], "mu": res["mu"],
                         "sigma": res["sigma"]})


def sensitivity(store: SweepStore, output: str, kind: str) -> Indices:
    """Sobol or Morris indices of one output of a sobol/morris sweep."""
    m = store.manifest
    if m["design"] != kind:
        raise InputError([Problem(str(store.path), "manifest.json",
                                  f"{kind} indices need a {kind} design; this sweep is "
                                  f"{m['design']} (run negsim sweep --design {kind})")])
    y, issue, metric = output_by_row(store, output)
    design = load_design(store)
    if kind == "sobol":
        table = sobol_indices(design.problem(), y, seed=m["seed"])
    else:
        table = morris_effects(design.problem(), design.matrix(), y, seed=m["seed"])
    return Indices(kind, f"{issue}.{metric}", table)


def convergence_grid(store: SweepStore, x: str, y: str, issue: str, bins: int = 6
                     ) -> "pd.DataFrame":
    """Share of runs reaching consensus on ``issue`` over two factors (binned if continuous)."""
    import pandas as pd

    df = store.results()
    df = df[(df["status"] == "ok") & (df["issue"] == issue)]
    problems = [Problem("--heatmap", "", "not a swept factor of this sweep", name)
                for name in (x, y) if name not in df.columns]
    if df.empty:
        problems.append(Problem("--issue", "", "no completed runs for this issue", issue))
    if problems:
        raise InputError(problems)

    def axis(col: str) -> pd.Series:
        values = df[col]
        if values.dtype.kind in "fi" or str(values.dtype) in ("Float64", "Int64"):
            v = values.astype(float)
            if v.nunique() > bins:
                return pd.cut(v, bins=bins).astype(str)
            return v
        return values.astype(str)

    grid = pd.DataFrame({"x": axis(x), "y": axis(y),
                         "consensus": (df["issue_status"] == "consensus").astype(float)})
    return grid.groupby(["y", "x"], observed=True)["consensus"].mean().unstack("x")
