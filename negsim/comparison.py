"""Several bargaining rules on one scenario, side by side.

Every rule runs on the same validated scenario with the same seed and settings. The scenario's
own rule parameters apply to that rule only; other rules use their defaults unless given
parameters explicitly (``{"eum": {"q": 0.5}}``).

A compare directory (``negsim compare ... --out DIR``) holds ``compare.json`` (the document of
:meth:`Comparison.to_dict`), ``compare.csv`` (one row per issue and model) and one ordinary run
directory per model, ``DIR/<model>/``, so every model's records can be charted and reported
like any run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .result import RunResult
    from .scenario import Scenario

__all__ = ["Comparison", "compare", "how_it_bargains"]


def how_it_bargains(rule_name: str, n_issues: int) -> str:
    """One line on how a rule treats the issues of a scenario (printed with comparisons)."""
    from .rules import get_rule

    rule = get_rule(rule_name)
    if rule.one_shot:
        return "one-shot forecast, no bargaining dynamics"
    if rule.multidimensional and n_issues > 1:
        return f"bargains over all {n_issues} issues jointly (positions move in one space)"
    if n_issues > 1:
        return "bargains issue by issue, each with its own positions and saliences"
    return "bargains on the single issue"


@dataclass
class Comparison:
    scenario: "Scenario"
    runs: dict[str, "RunResult"]

    @property
    def models(self) -> list[str]:
        return list(self.runs)

    def spread(self, issue_id: str) -> float:
        values = [r.forecast[issue_id] for r in self.runs.values()]
        return max(values) - min(values)

    def to_dict(self) -> dict[str, Any]:
        issues: dict[str, Any] = {}
        for iid, issue in self.scenario.issues.items():
            models = {}
            for name, r in self.runs.items():
                rec = r.issue_records()[r.issue_ids.index(iid)]
                models[name] = {key: rec[key] for key in ("forecast", "status",
                                                          "converged_round", "detail",
                                                          "rounds_run")}
                if "agreement" in rec:
                    models[name].update({key: rec[key] for key in ("agreement", "zone",
                                                                   "bargain", "status_quo")})
            issues[iid] = {"name": issue.name, "scale": [issue.scale.low, issue.scale.high],
                           "models": models, "spread": self.spread(iid)}
        n = len(self.scenario.issues)
        return {
            "scenario": self.scenario.title,
            "scenario_file": self.scenario.source,
            "models": self.models,
            "how": {name: how_it_bargains(name, n) for name in self.runs},
            "params": {name: r.params for name, r in self.runs.items()},
            "seed": next(iter(self.runs.values())).seed if self.runs else None,
            "issues": issues,
        }

    def table(self) -> "pd.DataFrame":
        import pandas as pd

        rows = []
        for iid, entry in self.to_dict()["issues"].items():
            for model, v in entry["models"].items():
                rows.append({"issue": iid, "model": model, "forecast": v["forecast"],
                             "status": v["status"], "converged_round": v["converged_round"],
                             "rounds_run": v["rounds_run"], "agreement": v.get("agreement")})
        df = pd.DataFrame(rows)
        df["converged_round"] = df["converged_round"].astype("Int64")
        return df

    def save(self, directory: str | Path, command: str | None = None) -> Path:
        """Write the compare directory whole (or not at all), replacing an older one."""
        from .files import replace_dir, write_atomic

        def fill(out: Path) -> None:
            for name, r in self.runs.items():
                r.command = command
                (out / name).mkdir()
                r.write_into(out / name)
            doc = self.to_dict()
            doc["command"] = command
            text = json.dumps(doc, indent=2, allow_nan=False)
            write_atomic(out / "compare.json", lambda p: p.write_text(text + "\n"))
            table = self.table()
            write_atomic(out / "compare.csv", lambda p: table.to_csv(p, index=False))

        return replace_dir(directory, fill)


def compare(scenario: "Scenario", models: Sequence[str],
            params: Mapping[str, Mapping[str, Any]] | None = None, *, rounds: int | None = None,
            stop: str | None = None, seed: int | None = None,
            record_pairs: bool = False) -> Comparison:
    """Run every rule in ``models`` on ``scenario`` (same seed and settings)."""
    from .engine import Negotiation as NegotiationModel
    from .rules import UnknownRule, get_rule, rule_names

    problems = []
    for name in models:
        try:
            get_rule(name)
        except UnknownRule:
            problems.append(Problem("--models", "", "unknown rule (known: "
                                    + ", ".join(rule_names()) + ")", name))
    for name in params or {}:
        if name not in models:
            problems.append(Problem("--param", name, "parameters for a model that is not "
                                    "being compared", name))
    if len(set(models)) != len(models):
        problems.append(Problem("--models", "", "a model is listed twice", ",".join(models)))
    if problems:
        raise InputError(problems)
    runs = {}
    for name in models:
        model = NegotiationModel(case=scenario, rule=name,
                                 rule_params=(params or {}).get(name), max_rounds=rounds,
                                 stop=stop, rng=seed, record_pairs=record_pairs)
        runs[name] = model.run()
    return Comparison(scenario, runs)
