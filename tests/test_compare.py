"""``negsim compare``: every model on one scenario, side by side."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import negsim
from negsim.cli import main
from negsim.comparison import compare
from negsim.errors import InputError
from negsim.result import RunResult

from .conftest import EMISSION, NATO


def test_compare_runs_each_model_with_its_own_parameters():
    sc = negsim.load_scenario(EMISSION)
    c = compare(sc, ["eum", "compromise", "median"], {"eum": {"compromise_choice": "least_move"}})
    assert c.models == ["eum", "compromise", "median"]
    assert c.runs["eum"].params["compromise_choice"] == "least_move"
    assert c.runs["compromise"].forecast["emission"] == pytest.approx(7.389955686853767)
    assert c.runs["median"].forecast["emission"] == 7.0
    direct = negsim.run(sc, params={"compromise_choice": "least_move"})
    assert c.runs["eum"].forecast == direct.forecast
    values = [c.runs[m].forecast["emission"] for m in c.models]
    assert c.spread("emission") == pytest.approx(max(values) - min(values))


def test_compare_rejects_unknown_models_and_stray_parameters():
    sc = negsim.load_scenario(EMISSION)
    with pytest.raises(InputError) as info:
        compare(sc, ["eum", "oracle"], {"nash": {"utility": "linear"}})
    text = str(info.value)
    assert "unknown rule" in text and "'oracle'" in text and "not being compared" in text


def test_compare_cli_table_json_and_directory(tmp_path, capsys):
    assert main(["compare", str(NATO), "--models", "eum,compromise,median,nash",
                 "--rounds", "4"]) == 0
    out = capsys.readouterr().out
    assert "spread" in out and "eum: bargains issue by issue" in out
    assert "one-shot forecast" in out
    d = tmp_path / "cmp"
    assert main(["compare", str(NATO), "--models", "eum,median", "--rounds", "4",
                 "--param", "eum.q=0.5", "--json", "--out", str(d)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["models"] == ["eum", "median"] and doc["params"]["eum"]["q"] == 0.5
    i1 = doc["issues"]["I1"]
    assert set(i1["models"]) == {"eum", "median"} and i1["scale"] == [0, 100]
    assert i1["spread"] == pytest.approx(abs(i1["models"]["eum"]["forecast"]
                                             - i1["models"]["median"]["forecast"]))
    on_disk = json.loads((d / "compare.json").read_text())
    assert on_disk["issues"] == doc["issues"] and "--param eum.q=0.5" in on_disk["command"]
    table = pd.read_csv(d / "compare.csv")
    assert len(table) == 7 * 2
    run = RunResult.load(d / "eum")
    assert run.params["q"] == 0.5 and run.forecast["I1"] == i1["models"]["eum"]["forecast"]


def test_compare_cli_bad_param_exits_2(capsys):
    assert main(["compare", str(EMISSION), "--models", "eum", "--param", "eum.q=9"]) == 2
    assert "--param: eum.q: must be <= 1 (got 9)" in capsys.readouterr().err
