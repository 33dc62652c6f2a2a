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
    blocks = [tuple(b) for b in m["blocks"]] if m.get("blocks") else None
    return Design(m["design"], factors, fixed, m["samples"], m["replications"], m["seed"],
                  blocks=blocks)


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
    m = store.manifest
    failed = int((df["status"] == "failed").sum())
    done = df["run_id"].nunique()
    if failed or done < m["runs"]:
        raise InputError([Problem(str(store.path), "", "sensitivity indices need every run of "
                                  f"the design: {m['runs'] - done} pending and {failed} failed; "
                                  "finish the sweep first (negsim sweep-status; timed-out runs: "
                                  "--retry-failed with a larger --time-limit)")])
    issues = [i for i in df["issue"].dropna().unique().tolist()]
    issue, metric = _parse_output(output, issues)
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
    table = pd.DataFrame({"factor": problem["names"], "S1": res["S1"],
                          "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"]})
    table["flag"] = [_sobol_flag(*r) for r in
                     table[["S1", "S1_conf", "ST", "ST_conf"]].itertuples(index=False)]
    return table


#: A Sobol index whose confidence half-width exceeds this is flagged unreliable (indices are
#: shares of variance, 0-1; Saltelli et al. 2010 advise more samples until the intervals are
#: small against the indices that matter).
WIDE = 0.1


def _sobol_flag(s1: float, s1_conf: float, st: float, st_conf: float) -> str:
    """Why a factor's Sobol indices should not be read at face value ("" if none).

    Estimators of S1 and ST can come out below zero from sampling error alone (Saltelli et
    al. 2010); a negative index means "about 0", never a negative share. A half-width above
    :data:`WIDE`, or S1 above ST beyond their intervals, says the sample is too small."""
    notes = []
    if s1 < 0 or st < 0:
        notes.append("negative: sampling error, read as ~0")
    if not (np.isfinite(s1_conf) and np.isfinite(st_conf)) or max(s1_conf, st_conf) > WIDE:
        notes.append("unreliable: wide interval, use more --samples")
    elif s1 - s1_conf > st + st_conf:
        notes.append("unreliable: S1 > ST, use more --samples")
    return "; ".join(notes)


def morris_effects(problem: dict[str, Any], x: np.ndarray, y: np.ndarray, seed: int = 0,
                   conf_level: float = 0.95) -> "pd.DataFrame":
    """Morris elementary effects (mu*, its confidence interval, sigma) via SALib."""
    import pandas as pd
    from SALib.analyze import morris

    res = morris.analyze(problem, np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                         conf_level=conf_level, num_levels=4, seed=seed)
    table = pd.DataFrame({"factor": problem["names"], "mu_star": res["mu_star"],
                          "mu_star_conf": res["mu_star_conf"], "mu": res["mu"],
                          "sigma": res["sigma"]})
    top = float(np.nanmax(table["mu_star"])) if len(table) else 0.0
    table["flag"] = ["unreliable: interval wider than mu*, use more --samples"
                     if c > m and m > 1e-12 * max(top, 1.0) else ""
                     for m, c in zip(table["mu_star"], table["mu_star_conf"])]
    return table


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
    """Share of runs reaching consensus on ``issue`` over two factors (binned if continuous).

    Rows are ``y``'s values and columns ``x``'s (the index and columns are named after the
    factors), both in numeric order: a continuous factor with more than ``bins`` distinct
    values is cut into ``bins`` equal-width intervals, kept as ordered categories (sorting
    their labels as text would put "(12.4, 15.5]" before "(6.1, 9.2]"). The number of runs
    behind each cell is in ``grid.attrs["runs"]`` (a frame of the same shape)."""
    import pandas as pd

    df = store.results()
    df = df[(df["status"] == "ok") & (df["issue"] == issue)]
    problems = [Problem("--heatmap", "", "not a swept factor of this sweep", name)
                for name in (x, y) if name not in df.columns]
    if df.empty:
        problems.append(Problem("--issue", "", "no completed runs for this issue", issue))
    if problems:
        raise InputError(problems)

    def axis(col: str) -> "pd.Series":
        values = df[col]
        if values.dtype.kind in "fi" or str(values.dtype) in ("Float64", "Int64"):
            v = values.astype(float)
            if v.nunique() > bins:
                cut = pd.cut(v, bins=bins)
                cats = list(cut.cat.categories)
                for digits in range(3, 13):   # labels precise enough to tell bins apart
                    labels = [_interval(c, digits) for c in cats]
                    if len(set(labels)) == len(labels):
                        break
                return cut.cat.rename_categories(labels)
            return v
        return values.astype(str)

    grid = pd.DataFrame({"x": axis(x), "y": axis(y),
                         "consensus": (df["issue_status"] == "consensus").astype(float)})
    grouped = grid.groupby(["y", "x"], observed=True, sort=True)["consensus"]
    share = grouped.mean().unstack("x")
    runs = grouped.size().unstack("x").reindex_like(share).fillna(0).astype(int)
    for table in (share, runs):
        table.index.name, table.columns.name = y, x
    share.attrs["runs"] = runs
    return share


def _interval(interval: "pd.Interval", digits: int = 3) -> str:
    """An interval label with ``digits`` significant digits: ``(6.1, 9.2]``."""
    left = "[" if interval.closed in ("left", "both") else "("
    right = "]" if interval.closed in ("right", "both") else ")"
    return f"{left}{interval.left:.{digits}g}, {interval.right:.{digits}g}{right}"
