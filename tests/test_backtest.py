"""Back-testing: the published DEU figure for the compromise model, metrics on a case computed by
hand, seeded bootstrap intervals, identical results for any number of workers, the outcomes-file
path for any scenario, and the command line (exit codes, JSON, files)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import negsim
from negsim.backtest import backtest_deu, backtest_scenario, read_outcomes, score
from negsim.cli import main
from negsim.deu import Capabilities, read_deu
from negsim.errors import InputError
from negsim.rules import rule_names
from negsim.stats import weighted_median

from . import eum_oracle as oracle
from .conftest import DATA, ROOT

SMALL = DATA / "deu" / "small.tsv"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "negsim", *args], capture_output=True,
                          text=True, cwd=ROOT)


def strict_json(text: str):
    def reject(constant):
        raise AssertionError(f"{constant} in JSON output")
    return json.loads(text, parse_constant=reject)


# ------------------------------------------------------------------------------------------
# the published number

def test_compromise_model_mae_on_the_shipped_deu_copy():
    """GDP line as capability, Commission and Parliament at the file's 4.1 (Germany's): 23.21
    over 351 issues; salience-only weights (equal capabilities): 23.64."""
    gdp = backtest_deu(models=["compromise"], workers=1, resamples=0)
    assert gdp.manifest["counts"]["scored"] == 351
    assert round(gdp.mae("compromise"), 2) == 23.21
    equal = backtest_deu(models=["compromise"], capabilities=Capabilities("equal"), workers=1,
                         resamples=0)
    assert round(equal.mae("compromise"), 2) == 23.64
    # Council weights of the regime in force (institutions as the largest member state)
    council = backtest_deu(models=["compromise"], capabilities=Capabilities("council"),
                           workers=1, resamples=0)
    assert council.manifest["counts"]["scored"] == 351
    assert round(council.mae("compromise"), 2) == 22.98


def test_skipped_issues_are_listed_and_counted():
    result = backtest_deu(SMALL, models=["compromise"], workers=1, resamples=0)
    assert result.skipped.to_dict(orient="records") == [
        {"issue": "t02i2", "line": 6, "reason": "few_actors"},
        {"issue": "t03i1", "line": 7, "reason": "no_outcome"},
        {"issue": "t03i2", "line": 8, "reason": "no_outcome"},
    ]
    counts = result.manifest["counts"]
    assert (counts["issues"], counts["with_outcome"], counts["scored"]) == (7, 5, 4)
    assert counts["skipped"] == {"no_outcome": 2, "few_actors": 1}


def test_eum_on_deu_issues_matches_the_plain_loop_oracle():
    """A few DEU issues (the full run is the benchmark's job): the back-test's expected-utility
    forecast is the weighted median of the oracle's positions after 10 rounds."""
    data = read_deu()
    ids = [i.id for i in data.scorable() if 5 <= len(i.stances) <= 9][:4]
    result = backtest_deu(models=["eum"], issues=ids, workers=1, resamples=0)
    got = dict(zip(result.issues["issue"], result.issues["forecast"]))
    for iid in ids:
        issue = data.issue(iid)
        caps = data.capabilities(issue, Capabilities("gdp"))
        actors = list(issue.stances)
        x = [issue.stances[a][0] for a in actors]
        s = [issue.stances[a][1] / 100 for a in actors]
        c = [caps[a] for a in actors]
        history = oracle.run_rounds(x, c, s, [True] * len(x), 10, {})
        final = np.array(history[-1][0])
        expected = weighted_median(final, np.array(c) * np.array(s))
        assert got[iid] == pytest.approx(float(expected), abs=1e-9), iid


def test_every_registered_rule_runs_through_the_generic_path():
    ids = ["d00032i1", "n98087i1", "d160023i2"]
    result = backtest_deu(models=rule_names(), issues=ids, workers=1, resamples=0)
    assert sorted(result.issues["model"].unique()) == sorted(rule_names())
    assert len(result.issues) == len(ids) * len(rule_names())
    assert np.isfinite(result.issues["forecast"].astype(float)).all()


# ------------------------------------------------------------------------------------------
# metrics

def test_metrics_on_a_hand_computed_case():
    issues = pd.DataFrame({
        "case": list("vwxyz"), "issue": list("vwxyz"), "model": ["m"] * 5,
        "error_pct": [-2.0, 4.0, 8.0, -12.0, 30.0], "abs_error_pct": [2.0, 4.0, 8.0, 12.0, 30.0],
        "kind": ["p", "p", "q", "q", "q"]})
    summary, paired = score(issues, ["m"], resamples=0, groups=["kind"])
    overall = summary[summary["by"] == "all"].iloc[0]
    assert overall["n"] == 5
    assert overall["mae"] == pytest.approx(11.2)
    assert overall["median_ae"] == 8.0
    assert overall["hit5"] == pytest.approx(0.4) and overall["hit10"] == pytest.approx(0.6)
    assert overall["bias"] == pytest.approx(5.6)
    assert overall["mae_low"] is None            # no resampling asked for
    q = summary[(summary["by"] == "kind") & (summary["group"] == "q")].iloc[0]
    assert q["n"] == 3 and q["mae"] == pytest.approx(50 / 3) and q["hit10"] == pytest.approx(1 / 3)
    assert paired.empty


def test_paired_differences_by_hand():
    a = [1.0, 2.0, 3.0, 10.0]
    b = [2.0, 2.0, 6.0, 30.0]
    rows = [{"case": str(i), "issue": str(i), "model": m, "error_pct": e, "abs_error_pct": e}
            for m, errs in (("a", a), ("b", b)) for i, e in enumerate(errs)]
    _, paired = score(pd.DataFrame(rows), ["a", "b"], resamples=500, seed=3)
    row = paired.iloc[0]
    assert row["mae_diff"] == pytest.approx(np.mean(a) - np.mean(b))
    assert (row["a_closer"], row["b_closer"], row["ties"]) == (3, 0, 1)
    assert row["hit10_diff"] == pytest.approx(0.25)      # a: 4 of 4 within 10, b: 3 of 4
    assert row["mae_diff_low"] <= row["mae_diff"] <= row["mae_diff_high"]
    d = np.array(a) - np.array(b)
    assert row["detectable"] == pytest.approx(2.8015852 * d.std(ddof=1) / 2, rel=1e-6)


def test_bootstrap_intervals_are_reproducible_with_a_seed():
    rng = np.random.default_rng(1)
    err = rng.normal(5, 20, 120)
    issues = pd.DataFrame({"case": range(120), "issue": range(120), "model": "m",
                           "error_pct": err, "abs_error_pct": np.abs(err)})
    first, _ = score(issues, ["m"], seed=11, resamples=400)
    again, _ = score(issues, ["m"], seed=11, resamples=400)
    other, _ = score(issues, ["m"], seed=12, resamples=400)
    pd.testing.assert_frame_equal(first, again)
    assert first["mae_low"].iloc[0] != other["mae_low"].iloc[0]
    row = first.iloc[0]
    for name in ("mae", "median_ae", "hit5", "hit10", "bias"):
        assert row[f"{name}_low"] <= row[name] <= row[f"{name}_high"]
    # the interval of a mean of 120 errors is about 4 standard errors wide
    se = np.abs(err).std(ddof=1) / math.sqrt(120)
    assert 3 * se < row["mae_high"] - row["mae_low"] < 5 * se


def test_same_results_with_one_or_two_workers():
    ids = [i.id for i in read_deu().scorable()[:30]]
    one = backtest_deu(models=["compromise", "eum"], issues=ids, workers=1, resamples=200)
    two = backtest_deu(models=["compromise", "eum"], issues=ids, workers=2, resamples=200)
    pd.testing.assert_frame_equal(one.issues, two.issues)
    pd.testing.assert_frame_equal(one.summary, two.summary)
    pd.testing.assert_frame_equal(one.paired, two.paired)
    assert one.to_dict() == two.to_dict()


# ------------------------------------------------------------------------------------------
# your own cases: a scenario and an outcomes file

CLASS_CASE = """\
metadata: {title: Class case}
salience_scale: unit
issues:
  A: {name: Budget}
  B: {name: Quota, scale: {low: 0, high: 10}}
  C: {name: Timing}
actors:
  x: {capability: 1, issues: {A: {position: 0, salience: 1}, B: {position: 0, salience: 1},
                              C: {position: 20, salience: 1}}}
  y: {capability: 3, issues: {A: {position: 100, salience: 1}, B: {position: 10, salience: 1},
                              C: {position: 60, salience: 1}}}
model: {rule: eum, params: {q: 0.5}, max_rounds: 5}
"""


@pytest.fixture()
def class_case(tmp_path):
    sc = tmp_path / "case.yaml"
    sc.write_text(CLASS_CASE)
    out = tmp_path / "outcomes.csv"
    out.write_text("issue,outcome,date\nA,70,2024-05-01\nB,6,\nC,58,2024-06-30\n")
    return sc, out


def test_outcomes_file_scored_by_hand(class_case):
    """Compromise forecasts: A 75, B 7.5 (scale 0-10), C 50. Errors in points of 0-100:
    +5, +15, -8."""
    sc, outcomes = class_case
    result = backtest_scenario(sc, outcomes, ["compromise"], workers=1, resamples=0)
    rows = result.issues.set_index("issue")
    assert rows["forecast"].to_dict() == pytest.approx({"A": 75.0, "B": 7.5, "C": 50.0})
    assert rows["error"].to_dict() == pytest.approx({"A": 5.0, "B": 1.5, "C": -8.0})
    assert rows["error_pct"].to_dict() == pytest.approx({"A": 5.0, "B": 15.0, "C": -8.0})
    assert rows.loc[["A", "C"], "date"].tolist() == ["2024-05-01", "2024-06-30"]
    assert pd.isna(rows.loc["B", "date"])
    s = result.summary.iloc[0]
    assert s["mae"] == pytest.approx(28 / 3) and s["median_ae"] == 8.0
    assert s["hit5"] == pytest.approx(1 / 3) and s["hit10"] == pytest.approx(2 / 3)
    assert s["bias"] == pytest.approx(4.0)


def test_outcomes_file_keeps_the_scenario_settings(class_case):
    sc, outcomes = class_case
    result = backtest_scenario(sc, outcomes, ["eum"], workers=1, resamples=0)
    (model,) = result.manifest["models"]
    assert model["params"]["q"] == 0.5 and model["rounds"] == 5 and model["stop"] == "auto"
    direct = negsim.run(negsim.load_scenario(sc))
    assert dict(zip(result.issues["issue"], result.issues["forecast"])) == \
        pytest.approx(direct.forecast)


def test_outcomes_file_problems_are_all_reported(tmp_path, class_case):
    sc, _ = class_case
    bad = tmp_path / "bad.csv"
    bad.write_text(textwrap.dedent("""\
        issue,outcome,date
        A,70,01/02/2024
        Z,40,
        B,11,
        C,high,
        A,60,
        """))
    with pytest.raises(InputError) as info:
        read_outcomes(bad, negsim.load_scenario(sc))
    got = [p.format() for p in info.value.problems]
    assert got == [
        f"{bad}:2: A.date: not a date (expected YYYY-MM-DD) (got '01/02/2024')",
        f"{bad}:3: issue: unknown issue id (known: A, B, C) (got 'Z')",
        f"{bad}:4: B.outcome: outcome lies off the issue's scale 0-10 (got 11.0)",
        f"{bad}:5: C.outcome: must be a finite number (got 'high')",
        f"{bad}:6: A.outcome: second outcome for this issue (first on line 2) (got '60')",
    ]


@pytest.mark.parametrize("text, fragment", [
    ("issue;result\nA;1\n", "outcome: required column is missing"),
    ("issue,outcome,colour\nA,1,red\n", "colour: unknown column"),
    ("", "the file is empty"),
    ("issue,outcome\n", "no outcome rows"),
    ("issue,outcome\nA,nan\n", "A.outcome: must be a finite number"),
])
def test_outcomes_file_structure(tmp_path, class_case, text, fragment):
    sc, _ = class_case
    path = tmp_path / "o.csv"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_outcomes(path, negsim.load_scenario(sc))
    assert fragment in str(info.value)


# ------------------------------------------------------------------------------------------
# command line

def test_cli_json_on_the_deu_data(capsys):
    assert main(["backtest", "deu", "--models", "compromise,median", "--json", "--workers", "1",
                 "--bootstrap", "100", "--seed", "4"]) == 0
    doc = strict_json(capsys.readouterr().out)
    assert doc["target"] == "deu" and doc["seed"] == 4 and doc["bootstrap"] == 100
    assert [m["name"] for m in doc["models"]] == ["compromise", "median"]
    assert doc["counts"]["scored"] == 351 and len(doc["issues"]) == 702
    overall = {r["model"]: r for r in doc["summary"] if r["by"] == "all"}
    assert round(overall["compromise"]["mae"], 2) == 23.21
    assert {r["by"] for r in doc["summary"]} == {"all", "procedure", "voting_rule",
                                                 "reference_point_given"}
    assert doc["paired"][0]["model_a"] == "compromise"
    assert "3 points" in doc["note"]
    assert doc["issues"][0]["reference_point"] == 0.0
    assert any(r["reference_point"] is None for r in doc["issues"])   # null, never NaN


def test_cli_table_and_files(tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(["backtest", "deu", str(SMALL), "--models", "compromise,eum", "--workers", "1",
                 "--bootstrap", "50", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "MAE" in text and "compromise" in text and "eum" in text
    assert "MAE by procedure" in text and "MAE by voting rule" in text
    assert "Paired differences" in text
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["errors.png", "manifest.json"] + [f"{t}.{e}" for t in ("issues", "summary", "paired",
                                                                "skipped")
                                           for e in ("parquet", "csv")])
    manifest = strict_json((out / "manifest.json").read_text())
    assert manifest["command"].startswith("negsim backtest deu")
    assert manifest["seed"] == 0 and manifest["data_file"] == str(SMALL)
    assert manifest["models"][1] == {"name": "eum", "rule": "eum",
                                     "params": manifest["models"][1]["params"],
                                     "rounds": 10, "stop": "never"}
    issues = pd.read_parquet(out / "issues.parquet")
    assert len(issues) == 8 and issues["reference_point"].isna().sum() == 4
    assert not re.search(r"\b(nan|inf)\b", (out / "issues.csv").read_text().lower())
    assert (out / "errors.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_scenario_with_outcomes(class_case, capsys):
    sc, outcomes = class_case
    assert main(["backtest", str(sc), "--outcomes", str(outcomes), "--models", "compromise",
                 "--json", "--workers", "1"]) == 0
    doc = strict_json(capsys.readouterr().out)
    assert doc["target"] == "scenario" and doc["counts"]["scored"] == 3
    assert doc["summary"][0]["mae"] == pytest.approx(28 / 3)


@pytest.mark.parametrize("args, fragments", [
    (["deu", "--models", "compromise,oracle"], ["--models: unknown model", "'oracle'"]),
    (["deu", "--param", "eum.q=2"], ["--param: eum.q: must be <= 1 (got 2)"]),
    (["deu", "--param", "q=2"], ["--param: expected RULE.NAME=VALUE"]),
    (["deu", "--com-share", "lots"], ["--com-share: must be a number"]),
    (["deu", "--outcomes", "x.csv"], ["--outcomes: applies to a scenario"]),
    (["scenarios/nato_russia_2022.yaml"], ["--outcomes: required"]),
    (["scenarios/nato_russia_2022.yaml", "--outcomes", "x.csv", "--capability", "gdp"],
     ["--capability: applies to 'deu' only"]),
    (["deu", str(DATA / "deu" / "malformed.tsv")], ["malformed.tsv:2: t01i1.pfr"]),
    (["deu", str(DATA / "deu" / "small_semicolon.csv"), "--capability", "gdp"],
     ["no GDP line"]),
    (["deu", "--issues", "nope1"], ["--issues: unknown DEU issue id"]),
    (["deu", str(SMALL), "--issues", "t02i2"], ["--issues: this issue cannot be scored: fewer "
                                                "than three actors"]),
])
def test_cli_input_errors_exit_2(args, fragments):
    proc = cli("backtest", *args, "--workers", "1")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    for fragment in fragments:
        assert fragment in proc.stderr


def test_help_mentions_the_export():
    proc = cli("backtest", "--help")
    assert proc.returncode == 0 and "--export" in proc.stdout and "--outcomes" in proc.stdout
    assert "backtest" in cli("--help").stdout
