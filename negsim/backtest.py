"""Back-testing: run bargaining models on decisions whose outcomes are known, and score them.

A back-test is a list of :class:`Case` objects (a scenario and, for some of its issues, the actual
outcome) and a list of models (registered rules with their parameters). Every model runs on every
case, one task per (model, case), on a process pool (:mod:`negsim.parallel`); a run's forecast of
an issue is :attr:`negsim.result.RunResult.forecast`, the capability x salience weighted median of
the final positions. Results never depend on the number of workers: each task carries its own
inputs and seed, and rows are ordered by model and case, not by arrival.

Scoring, per model, over the scored issues (errors in points of the issue's scale rescaled to
0-100, so the DEU's 0-100 issues are scored in their own units):

- MAE (mean absolute error), median absolute error, hit rates ``|error| <= 5`` and ``<= 10``,
  mean signed error (bias), each with a seeded percentile bootstrap confidence interval
  (:func:`scipy.stats.bootstrap`, resampling issues);
- the same broken down by the cases' groups (for the DEU data: procedure and Council voting rule);
- paired differences between every two models (MAE and hit rate <= 10, the bootstrap resampling
  issues jointly), with the smallest difference the data could detect (80% power at the 5%
  level, from the spread of the per-issue differences).

Two entry points build the cases: :func:`backtest_deu` (the DEU data, see :mod:`negsim.deu`) and
:func:`backtest_scenario` (any scenario plus a small outcomes CSV ``issue,outcome[,date]``).
:meth:`BacktestResult.save` writes the tables (Parquet and CSV), a figure of the error
distributions and ``manifest.json`` (command, seeds, models, parameters, data file, counts).
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from .deu import Capabilities, DeuData
    from .scenario import Scenario

__all__ = ["Target", "Case", "ModelRun", "BacktestResult", "run_backtest", "backtest_deu",
           "backtest_scenario", "deu_cases", "read_outcomes", "score", "DEFAULT_MODELS",
           "HITS", "FORMAT_VERSION"]

FORMAT_VERSION = 1
DEFAULT_MODELS = ("compromise", "median", "nash", "eum")
#: Hit-rate thresholds, in points of a 0-100 scale.
HITS = (5.0, 10.0)
#: Two absolute errors closer than this (points) are a tie: numerical optimisers (nash) land
#: within about 1e-8 of a point that a closed-form rule hits exactly.
TIE = 1e-6
#: Rounds and stopping rule of the dynamic models on the DEU data (one-shot rules run one round).
DEU_ROUNDS, DEU_STOP = 10, "never"
#: What the literature says about differences the DEU data can detect (FORMAT.md; Achen 2006).
DETECTABLE_NOTE = ("The rule of thumb for the DEU data (about 350 issues): MAE differences under "
                   "about 3 points are not detectable, so read models closer than that as tied.")

# Line styles beside the colours, so that print in grey works too.
_STYLES = ("-", "--", "-.", ":")


# ------------------------------------------------------------------------------------------
# inputs

@dataclass(frozen=True)
class Target:
    """An issue of a case whose outcome is known."""

    issue: str
    outcome: float
    low: float = 0.0
    high: float = 100.0
    date: str | None = None
    #: (name, value) pairs the scores are broken down by, e.g. (("procedure", "COD"),)
    groups: tuple[tuple[str, str], ...] = ()
    reference_point: float | None = None
    line: int | None = None     #: where the outcome was read (data file or outcomes file)


@dataclass(frozen=True)
class Case:
    """A scenario to run and the issues of it to score."""

    key: str
    scenario: "Scenario"
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class ModelRun:
    """A model to back-test: a registered rule, its parameters, and run settings (None: the
    scenario's own)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    rounds: int | None = None
    stop: str | None = None

    def label(self) -> str:
        return self.name


def resolve_models(models: Iterable[str | ModelRun], params: Mapping[str, Mapping[str, Any]]
                   | None = None, rounds: int | None = None, stop: str | None = None
                   ) -> list[ModelRun]:
    """ModelRuns for ``models`` with parameters validated against the registry.

    ``params`` maps a model name to its parameters; a bad name or parameter is a
    :class:`Problem` (field ``--models`` / ``--param``), all reported at once.
    """
    from .rules import UnknownRule, get_rule, rule_names

    problems: list[Problem] = []
    out: list[ModelRun] = []
    params = dict(params or {})
    seen: set[str] = set()
    for item in models:
        run = item if isinstance(item, ModelRun) else ModelRun(str(item).strip())
        if run.name in seen:
            problems.append(Problem("--models", "", "model listed twice", run.name))
            continue
        seen.add(run.name)
        try:
            rule = get_rule(run.name)
        except UnknownRule:
            problems.append(Problem("--models", "", "unknown model (known: "
                                    + ", ".join(rule_names()) + ")", run.name))
            continue
        given = {**dict(run.params), **dict(params.pop(run.name, {}) or {})}
        resolved, errors = rule.resolve(given)
        for key, value, message in errors:
            problems.append(Problem("--param", f"{run.name}.{key}", message, value))
        if rule.one_shot:   # a forecast rule runs one round whatever it is told
            out.append(ModelRun(run.name, resolved, 1, None))
        else:
            out.append(ModelRun(run.name, resolved,
                                run.rounds if run.rounds is not None else rounds,
                                run.stop if run.stop is not None else stop))
    for name in params:
        problems.append(Problem("--param", name, "parameters given for a model that is not "
                                "in --models", name))
    if stop is not None and stop not in ("auto", "never"):
        problems.append(Problem("--stop", "", "must be auto or never", stop))
    if rounds is not None and (not isinstance(rounds, int) or rounds < 1):
        problems.append(Problem("--rounds", "", "must be a whole number >= 1", rounds))
    if not out and not problems:
        problems.append(Problem("--models", "", "no model to back-test"))
    if problems:
        raise InputError(problems)
    return out


# ------------------------------------------------------------------------------------------
# running

def _run_task(task: tuple[ModelRun, int | None, list[Case]]) -> list[dict[str, Any]]:
    """Run one model on a chunk of cases; one row per scored issue (process-pool entry point)."""
    from .model import NegotiationModel

    model, seed, cases = task
    rows = []
    for case in cases:
        result = NegotiationModel(case=case.scenario, rule=model.name, rule_params=model.params,
                                  max_rounds=model.rounds, stop=model.stop, rng=seed,
                                  datacollector=False).run()
        forecast = result.forecast
        for t in case.targets:
            k = result.issue_ids.index(t.issue)
            st = result.statuses[k]
            rows.append({"case": case.key, "issue": t.issue, "model": model.name,
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

    from .parallel import as_completed_bounded, default_workers, executor

    n_workers = default_workers() if workers is None else max(1, int(workers))
    size = max(1, min(16, math.ceil(len(cases) / (4 * n_workers)))) if cases else 1
    tasks = [(m, seed, chunk) for m in models for chunk in _chunks(cases, size)]
    order = {(m.name, c.key): (i, j) for i, m in enumerate(models) for j, c in enumerate(cases)}
    rows: list[dict[str, Any]] = []
    with executor(min(n_workers, max(1, len(tasks)))) as pool:
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


# ------------------------------------------------------------------------------------------
# scoring

def _group_seed(seed: int, key: str) -> np.random.Generator:
    """A generator for one breakdown group: the same resamples for every model in it, and
    independent of which other groups or models are in the run."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(key.encode())]))


def _metric_fns() -> dict[str, Any]:
    def mae(x, axis=-1):
        return np.mean(x, axis=axis)

    def median_ae(x, axis=-1):
        return np.median(x, axis=axis)

    def hit(limit):
        return lambda x, axis=-1: np.mean(x <= limit + TIE, axis=axis)

    return {"mae": mae, "median_ae": median_ae,
            **{f"hit{int(h)}": hit(h) for h in HITS}}


def _interval(data: tuple[np.ndarray, ...], statistic, rng: np.random.Generator, resamples: int,
              confidence: float, paired: bool = False) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval; (None, None) when it cannot be computed (fewer than two
    issues, or no resampling asked for)."""
    if resamples <= 0 or len(data[0]) < 2:
        return None, None
    import warnings

    from scipy.stats import bootstrap

    kw = dict(n_resamples=resamples, confidence_level=confidence, method="percentile",
              vectorized=True, paired=paired)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = bootstrap(data, statistic, rng=rng, **kw)
        except TypeError:   # scipy < 1.15 names the generator random_state
            res = bootstrap(data, statistic, random_state=rng, **kw)
    lo, hi = (float(v) for v in res.confidence_interval)
    return (lo if math.isfinite(lo) else None), (hi if math.isfinite(hi) else None)


def _detectable(diff: np.ndarray, confidence: float) -> float | None:
    """Smallest mean paired difference detectable with 80% power at level 1 - confidence."""
    if diff.size < 2:
        return None
    from scipy.stats import norm

    sd = float(np.std(diff, ddof=1))
    return float((norm.ppf(1 - (1 - confidence) / 2) + norm.ppf(0.8)) * sd / math.sqrt(diff.size))


def score(issues: "pd.DataFrame", models: Sequence[str], *, seed: int = 0,
          resamples: int = 2000, confidence: float = 0.95,
          groups: Sequence[str] = ()) -> tuple["pd.DataFrame", "pd.DataFrame"]:
    """(summary, paired) tables from the per-issue table of :func:`run_models`."""
    import pandas as pd

    fns = _metric_fns()
    summary_rows = []
    breakdown: list[tuple[str, str, Any]] = [("all", "all", None)]
    for g in groups:
        values = issues[g].dropna().unique().tolist()
        breakdown += [(g, str(v), v) for v in sorted(values, key=str)]
    for by, label, value in breakdown:
        sub = issues if value is None else issues[issues[by] == value]
        for m in models:
            err = sub.loc[sub["model"] == m, "error_pct"].to_numpy(dtype=float)
            ae = np.abs(err)
            row: dict[str, Any] = {"model": m, "by": by, "group": label, "n": int(ae.size)}
            for name, fn in fns.items():
                row[name] = float(fn(ae)) if ae.size else None
                lo, hi = _interval((ae,), fn, _group_seed(seed, f"{by}={label}"), resamples,
                                   confidence)
                row[f"{name}_low"], row[f"{name}_high"] = lo, hi
            row["bias"] = float(err.mean()) if err.size else None
            lo, hi = _interval((err,), fns["mae"], _group_seed(seed, f"{by}={label}"),
                               resamples, confidence)
            row["bias_low"], row["bias_high"] = lo, hi
            summary_rows.append(row)
    summary = pd.DataFrame(summary_rows)

    paired_rows = []
    wide = issues.pivot_table(index=["case", "issue"], columns="model", values="abs_error_pct",
                              sort=False) if len(issues) else None
    for i, a in enumerate(models):
        for b in models[i + 1:]:
            if wide is None or a not in wide or b not in wide:
                continue
            both = wide[[a, b]].dropna()
            ea, eb = both[a].to_numpy(dtype=float), both[b].to_numpy(dtype=float)
            rng_key = f"paired={a}|{b}"
            mae_diff = float(ea.mean() - eb.mean()) if ea.size else None
            lo, hi = _interval((ea, eb), lambda x, y, axis=-1: np.mean(x, axis=axis)
                               - np.mean(y, axis=axis), _group_seed(seed, rng_key), resamples,
                               confidence, paired=True)
            hit_a, hit_b = ((ea <= HITS[-1] + TIE).astype(float),
                            (eb <= HITS[-1] + TIE).astype(float))
            hlo, hhi = _interval((hit_a, hit_b), lambda x, y, axis=-1: np.mean(x, axis=axis)
                                 - np.mean(y, axis=axis), _group_seed(seed, rng_key),
                                 resamples, confidence, paired=True)
            paired_rows.append({
                "model_a": a, "model_b": b, "n": int(ea.size), "mae_diff": mae_diff,
                "mae_diff_low": lo, "mae_diff_high": hi,
                "detectable": _detectable(ea - eb, confidence),
                f"hit{int(HITS[-1])}_diff": float(hit_a.mean() - hit_b.mean()) if ea.size else None,
                f"hit{int(HITS[-1])}_diff_low": hlo, f"hit{int(HITS[-1])}_diff_high": hhi,
                "a_closer": int((ea < eb - TIE).sum()), "b_closer": int((eb < ea - TIE).sum()),
                "ties": int((np.abs(ea - eb) <= TIE).sum()),
            })
    paired = pd.DataFrame(paired_rows, columns=[
        "model_a", "model_b", "n", "mae_diff", "mae_diff_low", "mae_diff_high", "detectable",
        f"hit{int(HITS[-1])}_diff", f"hit{int(HITS[-1])}_diff_low",
        f"hit{int(HITS[-1])}_diff_high", "a_closer", "b_closer", "ties"])
    return summary, paired


# ------------------------------------------------------------------------------------------
# results

def _plain(value: Any) -> Any:
    """JSON-safe: NaN/inf/NA -> None, numpy scalars -> Python."""
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def _records(df: "pd.DataFrame") -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


@dataclass
class BacktestResult:
    """Per-issue forecasts and errors, the summary, paired comparisons and the record."""

    issues: "pd.DataFrame"
    summary: "pd.DataFrame"
    paired: "pd.DataFrame"
    skipped: "pd.DataFrame"
    manifest: dict[str, Any]

    @property
    def models(self) -> list[str]:
        return [m["name"] for m in self.manifest["models"]]

    def mae(self, model: str) -> float:
        row = self.summary[(self.summary["model"] == model) & (self.summary["by"] == "all")]
        return float(row["mae"].iloc[0])

    def detectable_note(self) -> str:
        # pairs that forecast (nearly) alike say nothing about the data's resolution
        det = [d for d in (self.paired["detectable"].dropna() if len(self.paired) else [])
               if d >= 0.05]
        n = self.manifest["counts"].get("scored", 0)
        text = ""
        if len(det):
            lo, hi = float(min(det)), float(max(det))
            span = f"{lo:.1f}" if abs(hi - lo) < 0.05 else f"{lo:.1f}-{hi:.1f}"
            text = (f"With {n} issues, MAE differences smaller than about {span} points cannot be "
                    "told from chance (80% power, 5% level, from the paired differences). ")
        if self.manifest.get("target") == "deu":
            text += DETECTABLE_NOTE
        return text.strip()

    def to_dict(self, issues: bool = True) -> dict[str, Any]:
        """The ``--json`` document (no NaN: missing values are null)."""
        doc = dict(self.manifest)
        doc["summary"] = _records(self.summary)
        doc["paired"] = _records(self.paired)
        doc["note"] = self.detectable_note()
        doc["skipped"] = _records(self.skipped)
        if issues:
            doc["issues"] = _records(self.issues)
        return _plain(doc)

    def figure(self) -> "Figure":
        """Error distributions: cumulative share of issues by absolute error (left) and
        histograms of signed errors (right), one line per model."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 4.4), layout="constrained")
        from .plots._style import OKABE_ITO

        ax_cdf, ax_hist = fig.subplots(1, 2)
        bins = np.arange(-102.5, 103, 5)   # a bin centred on 0: exact hits stand out
        for k, m in enumerate(self.models):
            err = self.issues.loc[self.issues["model"] == m, "error_pct"].to_numpy(dtype=float)
            if not err.size:
                continue
            style = {"color": OKABE_ITO[k % len(OKABE_ITO)],
                     "linestyle": _STYLES[k % len(_STYLES)], "linewidth": 1.8}
            ae = np.sort(np.abs(err))
            share = np.arange(1, ae.size + 1) / ae.size
            ax_cdf.step(np.concatenate([[0.0], ae]), np.concatenate([[0.0], share]),
                        where="post", label=f"{m} (MAE {ae.mean():.1f})", **style)
            ax_hist.hist(err, bins=bins, histtype="step", label=m, **style)
        for h in HITS:
            ax_cdf.axvline(h, color="0.5", linewidth=0.8, linestyle=":")
        ax_cdf.set_xlim(0, 100)
        ax_cdf.set_ylim(0, 1)
        ax_cdf.set_xlabel("absolute error (points of a 0-100 scale)")
        ax_cdf.set_ylabel("share of issues with error at most x")
        ax_cdf.legend(loc="lower right", fontsize="small")
        ax_hist.axvline(0, color="0.5", linewidth=0.8)
        ax_hist.set_xlabel("forecast minus outcome (points)")
        ax_hist.set_ylabel("issues")
        ax_hist.legend(loc="upper right", fontsize="small")
        n = self.manifest["counts"].get("scored", 0)
        fig.suptitle(f"Back-test: {self.manifest.get('title', '')} ({n} issues)")
        return fig

    def save(self, directory: str | Path, figure: bool = True) -> list[Path]:
        """Write the tables (Parquet and CSV), ``errors.png`` and ``manifest.json`` to
        ``directory``. Each file appears whole or not at all."""
        from .files import write_atomic
        from .result import _nullable

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        tables = {"issues": self.issues, "summary": self.summary, "paired": self.paired,
                  "skipped": self.skipped}
        for name, df in tables.items():
            df = _nullable(df.copy())
            for ext, write in (("parquet", lambda p, df=df: df.to_parquet(p, index=False)),
                               ("csv", lambda p, df=df: df.to_csv(p, index=False))):
                path = out / f"{name}.{ext}"
                write_atomic(path, write)
                written.append(path)
        if figure and len(self.issues):
            fig = self.figure()
            path = out / "errors.png"
            write_atomic(path, lambda p: fig.savefig(p, dpi=150, format="png"))
            written.append(path)
        manifest = dict(self.manifest)
        manifest["files"] = sorted(p.name for p in written) + ["manifest.json"]
        manifest["note"] = self.detectable_note()
        text = json.dumps(_plain(manifest), indent=2, allow_nan=False)
        path = out / "manifest.json"
        write_atomic(path, lambda p: p.write_text(text + "\n"))
        written.append(path)
        return written


def _sha256(path: str | Path) -> str:
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
    names = [m.name for m in models]
    summary, paired = score(issues, names, seed=seed, resamples=resamples,
                            confidence=confidence, groups=groups)
    skipped_df = pd.DataFrame(list(skipped), columns=["issue", "line", "reason"])
    skipped_df["line"] = skipped_df["line"].astype("Int64")
    record = {
        "format_version": FORMAT_VERSION, "kind": "backtest",
        **manifest,
        "seed": seed, "run_seed": run_seed, "bootstrap": resamples, "confidence": confidence,
        "interval": "percentile bootstrap over issues (scipy.stats.bootstrap)",
        "models": [{"name": m.name, "params": dict(m.params), "rounds": m.rounds,
                    "stop": m.stop} for m in models],
        "breakdown": list(groups),
        "negsim_version": negsim.__version__,
    }
    record.setdefault("counts", {})["scored"] = len(issues) // max(1, len(models))
    return BacktestResult(issues, summary, paired, skipped_df, _plain(record))


# ------------------------------------------------------------------------------------------
# DEU

def deu_cases(data: "DeuData", capabilities: "Capabilities", *, rounds: int = DEU_ROUNDS,
              stop: str = DEU_STOP, seed: int = 0
              ) -> tuple[list[Case], list[dict[str, Any]]]:
    """One case per scorable DEU issue, and the skipped issues with the reason."""
    from .deu import _council_weights

    data.check_capabilities(capabilities)
    weights = _council_weights() if capabilities.source == "council" else None
    cases: list[Case] = []
    skipped: list[dict[str, Any]] = []
    for issue in data.issues:
        reason = issue.skip_reason
        caps = None
        if reason is None:
            caps = data.capabilities(issue, capabilities, weights)
            if caps is None:
                reason = "no_council_weights"
            elif sum(caps[a] * s for a, (_, s) in issue.stances.items()) <= 0:
                reason = "no_weight"
        if reason is not None:
            skipped.append({"issue": issue.id, "line": issue.line, "reason": reason})
            continue
        assert issue.outcome is not None
        scenario = data.scenario(issue, capabilities, rounds=rounds, stop=stop, seed=seed,
                                 caps=caps)
        date = issue.decision_date.isoformat() if issue.decision_date else None
        cases.append(Case(issue.id, scenario, (Target(
            issue.id, issue.outcome, 0.0, 100.0, date,
            (("procedure", issue.procedure), ("voting_rule", issue.voting_rule)),
            issue.reference_point, issue.line),)))
    return cases, skipped


def backtest_deu(path: str | Path | None = None, models: Iterable[str | ModelRun] = DEFAULT_MODELS,
                 *, capabilities: "Capabilities | None" = None,
                 params: Mapping[str, Mapping[str, Any]] | None = None,
                 missing_salience: str = "absent", rounds: int = DEU_ROUNDS,
                 stop: str = DEU_STOP, workers: int | None = None, seed: int = 0,
                 resamples: int = 2000, confidence: float = 0.95,
                 issues: Sequence[str] | None = None, command: str | None = None
                 ) -> BacktestResult:
    """Back-test ``models`` on the DEU data (default: the shipped copy).

    ``capabilities`` defaults to the file's GDP line when it has one, else Council weights.
    ``issues`` restricts the run to these issue ids (for quick checks). Runs use ``seed``.
    """
    from .deu import Capabilities, read_deu

    runs = resolve_models(models, params, rounds, stop)
    data = read_deu(path, missing_salience=missing_salience)  # type: ignore[arg-type]
    if capabilities is None:
        capabilities = Capabilities("gdp" if data.gdp is not None else "council")
    cases, skipped = deu_cases(data, capabilities, rounds=rounds, stop=stop, seed=seed)
    if not cases:
        from .deu import SKIP_REASONS

        reasons = sorted({s["reason"] for s in skipped})
        raise InputError([Problem(data.file, "", "no issue can be scored ("
                                  + "; ".join(SKIP_REASONS[r] for r in reasons) + ")")])
    if issues is not None:
        from .deu import SKIP_REASONS

        known = {i.id for i in data.issues}
        why = {s["issue"]: s["reason"] for s in skipped}
        bad = [Problem("--issues", "", "unknown DEU issue id", i) for i in issues
               if i not in known]
        bad += [Problem("--issues", "", f"this issue cannot be scored: {SKIP_REASONS[why[i]]}", i)
                for i in issues if i in why]
        if bad:
            raise InputError(bad)
        wanted = set(issues)
        cases = [c for c in cases if c.key in wanted]
    counts = data.counts()
    reasons = {}
    for s in skipped:
        reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
    counts["skipped"] = {**counts["skipped"], **reasons}
    counts["cases"] = len(cases)
    file = data.file
    manifest = {
        "target": "deu",
        "title": "DEU I-III" if path is None else f"DEU data ({Path(file).name})",
        "command": command, "data_file": file, "data_sha256": _sha256(file),
        "capability": {**capabilities.to_dict(), "description": capabilities.describe()},
        "missing_salience": missing_salience,
        "counts": counts,
        "citation": _deu_citation(),
    }
    return run_backtest(cases, runs, manifest=manifest, skipped=skipped, workers=workers,
                        seed=seed, run_seed=seed, resamples=resamples, confidence=confidence,
                        groups=("procedure", "voting_rule"))


def _deu_citation() -> str:
    from .deu import DEU_CITATION

    return DEU_CITATION


# ------------------------------------------------------------------------------------------
# any scenario + an outcomes file

OUTCOME_COLUMNS = ("issue", "outcome")
OPTIONAL_OUTCOME_COLUMNS = ("date", "group", "note")


def read_outcomes(path: str | Path, scenario: "Scenario") -> list[Target]:
    """Read an outcomes CSV (``issue,outcome`` and optionally ``date``, ``group``, ``note``;
    commas, semicolons or tabs) for ``scenario``; every problem is reported at once."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, "", f"cannot read the file ({exc})")]) from None
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    sep = "\t" if "\t" in first else ";" if ";" in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header: list[str] | None = None
    header_line = 0
    problems: list[Problem] = []
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            header_line = line
            for c in header:
                if c not in OUTCOME_COLUMNS + OPTIONAL_OUTCOME_COLUMNS:
                    problems.append(Problem(name, c or "(blank)", "unknown column (known: "
                                            + ", ".join(OUTCOME_COLUMNS + OPTIONAL_OUTCOME_COLUMNS)
                                            + ")", line=line))
            for c in OUTCOME_COLUMNS:
                if c not in header:
                    problems.append(Problem(name, c, "required column is missing (the header "
                                            "must name issue and outcome)", line=line))
            if problems:
                raise InputError(problems)
            continue
        if len(row) != len(header):
            problems.append(Problem(name, "", f"row has {len(row)} fields but the header has "
                                    f"{len(header)}", line=line))
            continue
        cells = {c: v.strip() for c, v in zip(header, row)}
        iid = cells["issue"]
        if iid not in scenario.issues:
            problems.append(Problem(name, "issue", "unknown issue id (known: "
                                    + ", ".join(scenario.issue_ids) + ")", iid, line))
            continue
        if iid in seen:
            problems.append(Problem(name, f"{iid}.outcome", f"second outcome for this issue "
                                    f"(first on line {seen[iid]})", cells["outcome"], line))
            continue
        seen[iid] = line
        scale = scenario.issues[iid].scale
        try:
            outcome = float(cells["outcome"])
        except ValueError:
            outcome = math.nan
        if not math.isfinite(outcome):
            problems.append(Problem(name, f"{iid}.outcome", "must be a finite number",
                                    cells["outcome"], line))
            continue
        if not scale.low <= outcome <= scale.high:
            problems.append(Problem(name, f"{iid}.outcome", "outcome lies off the issue's scale "
                                    f"{scale.low:g}-{scale.high:g}", outcome, line))
            continue
        date = cells.get("date") or None
        if date is not None:
            try:
                date = _dt.date.fromisoformat(date).isoformat()
            except ValueError:
                problems.append(Problem(name, f"{iid}.date", "not a date (expected YYYY-MM-DD)",
                                        date, line))
                continue
        groups = (("group", cells["group"]),) if cells.get("group") else ()
        sq = scenario.issues[iid].status_quo
        targets.append(Target(iid, outcome, scale.low, scale.high, date, groups, sq, line))
    if header is None:
        problems.append(Problem(name, "", "the file is empty (expected a header issue,outcome "
                                "and one row per issue)"))
    elif not targets and not problems:
        problems.append(Problem(name, "", "no outcome rows after the header", line=header_line))
    if problems:
        raise InputError(problems)
    return targets


def backtest_scenario(scenario: "Scenario | str | Path", outcomes: str | Path,
                      models: Iterable[str | ModelRun] = DEFAULT_MODELS, *,
                      params: Mapping[str, Mapping[str, Any]] | None = None,
                      overrides: Sequence[str] | None = None, rounds: int | None = None,
                      stop: str | None = None, workers: int | None = None,
                      seed: int | None = None, resamples: int = 2000, confidence: float = 0.95,
                      command: str | None = None) -> BacktestResult:
    """Back-test ``models`` on a scenario whose outcomes are in a CSV (see
    :func:`read_outcomes`). ``rounds``/``stop`` default to the scenario's settings; runs use
    ``seed`` if given, else the scenario's seed (the bootstrap uses ``seed`` or 0)."""
    from .model import resolve_case

    problems: list[Problem] = []
    sc = None
    try:
        sc = resolve_case(scenario, list(overrides) if overrides else None)
    except InputError as exc:
        problems.extend(exc.problems)
    models = list(models)
    try:   # checked now too, so that bad models and a bad file are reported together
        resolve_models(models, params, rounds, stop)
    except InputError as exc:
        problems.extend(exc.problems)
    if problems or sc is None:
        raise InputError(problems)
    # the scenario's own rule keeps the file's parameters unless --param says otherwise
    merged = {k: dict(v) for k, v in (params or {}).items()}
    if any((m.name if isinstance(m, ModelRun) else str(m).strip()) == sc.model.rule
           for m in models):
        merged[sc.model.rule] = {**sc.model.params, **merged.get(sc.model.rule, {})}
    runs = resolve_models(models, merged, rounds or sc.model.max_rounds, stop or sc.model.stop)
    targets = read_outcomes(outcomes, sc)
    case = Case(Path(sc.source).stem or "scenario", sc, tuple(targets))
    scored = {t.issue for t in targets}
    unscored = [iid for iid in sc.issue_ids if iid not in scored]
    manifest = {
        "target": "scenario", "title": sc.title, "command": command,
        "scenario_file": sc.source,
        "scenario_sha256": _sha256(sc.source) if Path(sc.source).is_file() else None,
        "outcomes_file": str(outcomes), "outcomes_sha256": _sha256(outcomes),
        "counts": {"issues": len(sc.issue_ids), "with_outcome": len(targets),
                   "without_outcome": len(unscored)},
    }
    groups = ("group",) if any(t.groups for t in targets) else ()
    skipped = [{"issue": iid, "line": None, "reason": "no_outcome"} for iid in unscored]
    return run_backtest([case], runs, manifest=manifest, skipped=skipped, workers=workers,
                        seed=0 if seed is None else seed, run_seed=seed, resamples=resamples,
                        confidence=confidence, groups=groups)
