"""Back-testing any scenario against an outcomes CSV (``issue,outcome[,date,group,note]``)."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError, Problem
from .cases import DEFAULT_MODELS, Case, ModelRun, Target, resolve_models
from .result import BacktestResult
from .run import run_backtest, sha256

if TYPE_CHECKING:  # pragma: no cover
    from ..scenario import Scenario

__all__ = ["read_outcomes", "backtest_scenario"]


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
    from ..engine import resolve_case

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
        "scenario_sha256": sha256(sc.source) if Path(sc.source).is_file() else None,
        "outcomes_file": str(outcomes), "outcomes_sha256": sha256(outcomes),
        "counts": {"issues": len(sc.issue_ids), "with_outcome": len(targets),
                   "without_outcome": len(unscored)},
    }
    groups = ("group",) if any(t.groups for t in targets) else ()
    skipped = [{"issue": iid, "line": None, "reason": "no_outcome"} for iid in unscored]
    return run_backtest([case], runs, manifest=manifest, skipped=skipped, workers=workers,
                        seed=0 if seed is None else seed, run_seed=seed, resamples=resamples,
                        confidence=confidence, groups=groups)
