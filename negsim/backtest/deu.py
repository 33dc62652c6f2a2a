"""The DEU data as back-test cases (:mod:`negsim.deu` reads the data and builds scenarios)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem
from .cases import DEFAULT_MODELS, DEU_ROUNDS, DEU_STOP, Case, ModelRun, Target, resolve_models
from .result import BacktestResult
from .run import run_backtest, sha256

if TYPE_CHECKING:  # pragma: no cover
    from ..deu import Capabilities, DeuData

__all__ = ["deu_cases", "backtest_deu", "export_documents"]


def deu_cases(data: "DeuData", capabilities: "Capabilities", *, rounds: int = DEU_ROUNDS,
              stop: str = DEU_STOP, seed: int = 0, by: str = "issue"
              ) -> tuple[list[Case], list[dict[str, Any]]]:
    """One case per scorable DEU issue (``by="issue"``, the usual reading) or per proposal
    (``by="proposal"``: a proposal's scorable issues bargained together, which rules that trade
    across issues need), and the skipped issues with the reason. Issue-by-issue rules give the
    same forecasts either way."""
    from ..deu import council_weights

    data.check_capabilities(capabilities)
    weights = council_weights() if capabilities.source == "council" else None
    cases: list[Case] = []
    skipped: list[dict[str, Any]] = []
    kept: list[tuple[Any, dict[str, float]]] = []
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
        assert issue.outcome is not None and caps is not None
        kept.append((issue, caps))
    groups: dict[str, list[tuple[Any, dict[str, float]]]] = {}
    for issue, caps in kept:
        key = issue.id if by == "issue" else f"proposal {issue.proposal or issue.id}"
        groups.setdefault(key, []).append((issue, caps))
    for key, members in groups.items():
        issues = [i for i, _ in members]
        scenario = data.scenario(issues if len(issues) > 1 else issues[0], capabilities,
                                 rounds=rounds, stop=stop, seed=seed,
                                 caps=[c for _, c in members])
        cases.append(Case(key, scenario, tuple(Target(
            i.id, i.outcome, 0.0, 100.0,
            i.decision_date.isoformat() if i.decision_date else None,
            (("procedure", i.procedure), ("voting_rule", i.voting_rule),
             ("reference_point_given", "yes" if i.reference_point is not None else "no")),
            i.reference_point, i.line) for i in issues)))
    return cases, skipped


def backtest_deu(path: str | Path | None = None, models: Iterable[str | ModelRun] = DEFAULT_MODELS,
                 *, capabilities: "Capabilities | None" = None,
                 params: Mapping[str, Mapping[str, Any]] | None = None,
                 missing_salience: str = "absent", rounds: int = DEU_ROUNDS,
                 stop: str = DEU_STOP, workers: int | None = None, seed: int = 0,
                 resamples: int = 2000, confidence: float = 0.95,
                 issues: Sequence[str] | None = None, command: str | None = None,
                 by: str = "issue") -> BacktestResult:
    """Back-test ``models`` on the DEU data (default: the shipped copy).

    ``capabilities`` defaults to the file's GDP line when it has one, else Council weights.
    ``issues`` restricts the run to these issue ids (for quick checks). Runs use ``seed``.
    """
    from ..deu import DEU_CITATION, Capabilities, read_deu

    runs = resolve_models(models, params, rounds, stop)
    data = read_deu(path, missing_salience=missing_salience)  # type: ignore[arg-type]
    if capabilities is None:
        capabilities = Capabilities("gdp" if data.gdp is not None else "council")
    if by not in ("issue", "proposal"):
        raise InputError([Problem("--by", "", "must be issue or proposal", by)])
    cases, skipped = deu_cases(data, capabilities, rounds=rounds, stop=stop, seed=seed, by=by)
    if not cases:
        from ..deu import SKIP_REASONS

        reasons = sorted({s["reason"] for s in skipped})
        raise InputError([Problem(data.file, "", "no issue can be scored ("
                                  + "; ".join(SKIP_REASONS[r] for r in reasons) + ")")])
    if issues is not None:
        from ..deu import SKIP_REASONS

        known = {i.id for i in data.issues}
        why = {s["issue"]: s["reason"] for s in skipped}
        bad = [Problem("--issues", "", "unknown DEU issue id", i) for i in issues
               if i not in known]
        bad += [Problem("--issues", "", f"this issue cannot be scored: {SKIP_REASONS[why[i]]}", i)
                for i in issues if i in why]
        if bad:
            raise InputError(bad)
        wanted = set(issues)
        cases = [Case(c.key, c.scenario, tuple(t for t in c.targets if t.issue in wanted))
                 for c in cases if any(t.issue in wanted for t in c.targets)]
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
        "command": command, "data_file": file, "data_sha256": sha256(file),
        "capability": {**capabilities.to_dict(), "description": capabilities.describe()},
        "missing_salience": missing_salience,
        "cases_by": by,
        "counts": counts,
        "citation": DEU_CITATION,
    }
    return run_backtest(cases, runs, manifest=manifest, skipped=skipped, workers=workers,
                        seed=seed, run_seed=seed, resamples=resamples, confidence=confidence,
                        groups=("procedure", "voting_rule", "reference_point_given"))




def export_documents(file: str | Path | None, caps: "Capabilities | None", wanted: list[str],
                     missing_salience: str = "absent", *, rounds: int = DEU_ROUNDS,
                     stop: str = DEU_STOP, seed: int = 0
                     ) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """DEU issues (``wanted`` ids, or ``["all"]`` scorable ones) as validated scenario
    documents; the problems found (unknown ids, too few actors, no weights)."""
    from ..deu import SKIP_REASONS, Capabilities, read_deu

    data = read_deu(file, missing_salience=missing_salience)  # type: ignore[arg-type]
    caps = caps or Capabilities("gdp" if data.gdp is not None else "council")
    data.check_capabilities(caps)
    if wanted == ["all"]:
        wanted = [i.id for i in data.scorable()]
    problems: list[Problem] = []
    docs: dict[str, dict[str, Any]] = {}
    for iid in wanted:
        try:
            issue = data.issue(iid)
        except KeyError:
            problems.append(Problem("--export", "", "unknown DEU issue id (ids look like "
                                    "d00032i1; see the issues table of a back-test)", iid))
            continue
        if len(issue.stances) < 2:
            problems.append(Problem("--export", "", "fewer than two actors take part in this "
                                    "issue, so it is no negotiation", iid))
            continue
        capmap = data.capabilities(issue, caps)
        if capmap is None:
            problems.append(Problem("--export", "", SKIP_REASONS["no_council_weights"], iid))
            continue
        kw = dict(rounds=rounds, stop=stop, seed=seed, caps=capmap)
        docs[iid] = data.scenario_document(issue, caps, **kw)
        data.scenario(issue, caps, **kw)    # validates
    return docs, problems
