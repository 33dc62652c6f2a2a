"""The ``negsim`` command line: run, validate, models; exit codes; the JSON contract; run
directories; nothing written for bad input; a light start-up."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import negsim
from negsim.cli import main
from negsim.result import RunResult

from .conftest import DATA, EMISSION, NATO, NATO_FLAT, ROOT


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "negsim", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_help_does_not_import_heavy_modules():
    code = ("import sys, negsim.cli; negsim.cli.build_parser(); "
            "heavy = [m for m in ('numpy', 'pandas', 'mesa', 'matplotlib', 'pydantic', 'scipy') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert cli("--help").returncode == 0


def test_run_prints_the_per_issue_table(capsys):
    assert main(["run", str(NATO), "--rounds", "12", "--explain", "3"]) == 0
    out = capsys.readouterr().out
    assert "NATO-Russia Council, January 2022" in out
    for k in range(1, 8):
        assert f"I{k} " in out
    assert "forecast" in out and "moved most" in out and "Largest moves" in out


def test_run_json_contract(capsys):
    assert main(["run", str(NATO_FLAT), "--json", "--rounds", "5", "--stop", "never",
                 "--seed", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"scenario", "model", "seed", "rounds_run", "issues"} <= set(doc)
    assert doc["model"] == "eum" and doc["seed"] == 3 and doc["rounds_run"] == 5
    assert list(doc["issues"]) == [f"I{k}" for k in range(1, 8)]
    for issue in doc["issues"].values():
        assert issue["status"] in ("consensus", "deadlock", "unsettled")
        assert issue["converged_round"] is None or isinstance(issue["converged_round"], int)
        assert math.isfinite(issue["forecast"])
        traj = issue["trajectory"]
        assert [r["round"] for r in traj] == list(range(6))
        # the contract's keys, plus the rule's own forecast series (the median for the EUM)
        assert set(traj[0]) == {"round", "forecast", "median", "mean", "dispersion", "positions"}
        assert all(r["forecast"] == r["median"] for r in traj)
        assert issue["forecast"] == traj[-1]["forecast"]
        assert len(traj[0]["positions"]) == 33
        assert traj[0]["positions"]["russia"] in (0.0, 5.0, 10.0)
    assert doc["issues"]["I1"]["trajectory"][0]["median"] == 50.0


def test_single_issue_csv_uses_issue_id_issue(capsys):
    assert main(["run", str(DATA / "eum" / "emission_standards.csv"), "--json",
                 "--rounds", "10", "--stop", "never"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["issues"]) == ["issue"]
    assert doc["issues"]["issue"]["trajectory"][1]["positions"]["Belgium"] == \
        pytest.approx(8.415932315426764)


def test_out_writes_a_complete_run_directory(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(EMISSION), "--out", str(out),
                 "--set", "actors.greece.issues.emission.salience=50"]) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {"summary.json", "issue_rounds.csv", "issue_rounds.parquet",
                     "actor_rounds.csv", "actor_rounds.parquet", "pairs.parquet", "scenario.yaml"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 0 and summary["params"]["probability"] == "scholz"
    assert summary["settings"]["max_rounds"] == 10
    assert "--set actors.greece.issues.emission.salience=50" in summary["command"]
    actors = pd.read_parquet(out / "actor_rounds.parquet")
    assert len(actors) == 11 * 10
    # held actors have no partner or expected utilities: nulls, never NaN
    assert actors["eu_self"].isna().any() and not (actors["eu_self"].astype(float)
                                                   .dropna().abs() == math.inf).any()
    csv_text = (out / "actor_rounds.csv").read_text()
    assert "nan" not in csv_text.lower() and "inf" not in csv_text.lower()
    # the scenario as run carries the override (0-100 in, 0-1 stored)
    assert negsim.load_scenario(out / "scenario.yaml").actors["greece"].issues[
        "emission"].salience == 0.5
    # and the directory reads back into the same result
    loaded = RunResult.load(out)
    direct = negsim.run(negsim.load_scenario(out / "scenario.yaml"), record_pairs=True)
    assert loaded.to_dict() == direct.to_dict()
    for name in ("eu_ij", "eu_ji"):
        np.testing.assert_array_equal(loaded.pair_info[name], direct.pair_info[name])
    np.testing.assert_array_equal(loaded.positions, direct.positions)
    assert loaded.moves() == direct.moves()


def test_broken_scenario_exits_2_with_field_messages_and_writes_nothing(tmp_path):
    out = tmp_path / "should-not-exist"
    proc = cli("run", str(DATA / "broken.yaml"), "--out", str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("negsim: 9 problems found")
    assert lines[0].startswith(f"{DATA / 'broken.yaml'}:10: issues.I2.scale:")
    assert not out.exists()


@pytest.mark.parametrize("args, fragment", [
    (["run", "missing.yaml"], "missing.yaml: no such file"),
    (["run", str(NATO), "--model", "nope"], "--set: model.rule: unknown rule"),
    (["run", str(NATO), "--param", "q=2"], "--set: model.params.q: must be <= 1 (got 2)"),
    (["run", str(NATO), "--rounds", "0"], "--set: model.max_rounds: must be greater than or equal"),
    (["validate", str(NATO), "--set", "actors.germany.issues.I6.salience=170"],
     "actors.germany.issues.I6.salience: salience must be within 0-1"),
    (["models", "nope"], "models: unknown rule"),
])
def test_input_errors_exit_2_without_traceback(args, fragment):
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert fragment in proc.stderr and "Traceback" not in proc.stderr


def test_validate_ok(capsys):
    assert main(["validate", str(NATO)]) == 0
    assert "ok:" in capsys.readouterr().out


def test_models_lists_the_registry(capsys):
    assert main(["models"]) == 0
    assert "eum" in capsys.readouterr().out
    assert main(["models", "eum", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["stochastic"] is False
    assert {p["name"] for p in entry["params"]} == {"probability", "compromise_choice", "q",
                                                    "range", "capitulation", "risk"}


def test_models_doc_is_up_to_date():
    from negsim.commands.models import markdown

    assert (ROOT / "docs" / "models.md").read_text() == markdown(), \
        "docs/models.md is stale: run `make docs`"


def test_set_is_a_what_if_without_editing_the_file(capsys):
    main(["run", str(NATO), "--json", "--rounds", "3"])
    base = json.loads(capsys.readouterr().out)
    main(["run", str(NATO), "--json", "--rounds", "3",
          "--set", "actors.germany.issues.I6.position=80"])
    what_if = json.loads(capsys.readouterr().out)
    assert base["issues"]["I6"]["trajectory"][0]["positions"]["germany"] == 30
    assert what_if["issues"]["I6"]["trajectory"][0]["positions"]["germany"] == 80
