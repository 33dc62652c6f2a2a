"""A store that explains itself (issue 14, points 7, 8 and 9): Parquet schema metadata, every
query in docs/sweeps.md run against DuckDB and polars, ``negsim.experiment`` outcomes named as
the store's columns and always finite (EMA Workbench wraps it in one line), exact part sizes,
and a note when replications of a deterministic rule would be identical."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest

from negsim import __version__
from negsim.cli import main
from negsim.sweeps import UNSETTLED, experiment, sweep
from negsim.sweeps.store import COLUMN_DOCS, RESULT_COLUMNS, SweepStore, read_metadata

from .conftest import EMISSION, NATO, ROOT

DOCS = (ROOT / "docs" / "sweeps.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", DOCS, re.S)
SQL = [code for lang, code in BLOCKS if lang == "sql"]
READERS = [code for lang, code in BLOCKS if lang == "python"
           and code.startswith("# reading the store")]


@pytest.fixture(scope="module")
def docs_store(tmp_path_factory):
    """The store the docs query (runs/noise), small: the docs' parameters, 6 samples."""
    root = tmp_path_factory.mktemp("docs")
    sweep(NATO, ["actors.*.issues.*.salience=noise:0.05", "model.params.q=0.5:1"], samples=6,
          seed=7, workers=1, out=root / "runs" / "noise", overrides=["model.max_rounds=10"])
    return root


def test_the_docs_have_queries_to_test():
    assert len(SQL) >= 3 and len(READERS) == 1
    assert all("read_parquet('runs/noise/results/*.parquet')" in q for q in SQL)


@pytest.mark.parametrize("query", SQL, ids=[q.splitlines()[0][3:40] for q in SQL])
def test_every_sql_query_in_the_docs_runs_in_duckdb_and_polars(docs_store, query, monkeypatch):
    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    monkeypatch.chdir(docs_store)
    a = duckdb.sql(query).df()
    b = pl.sql(query).collect().to_pandas()
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    if "status = 'ok'" in query:
        assert len(a) > 0


def test_the_python_readers_in_the_docs_run(docs_store, monkeypatch, capsys):
    monkeypatch.chdir(docs_store)
    for code in READERS:
        exec(compile(code, "docs/sweeps.md", "exec"), {})
    assert "eum [('I1', 0.0, 100.0)" in capsys.readouterr().out


def test_results_parts_describe_themselves(docs_store):
    store = SweepStore(docs_store / "runs" / "noise")
    (part,) = store.result_parts()
    meta = read_metadata(part)
    assert meta["negsim"] == __version__ and meta["rule"] == "eum" and meta["seed"] == 7
    assert meta["model"]["max_rounds"] == 10
    assert [i["id"] for i in meta["issues"]] == [f"I{k}" for k in range(1, 8)]
    assert meta["issues"][0]["scale"] == {"low": 0.0, "high": 100.0, "unit": ""}
    assert meta["salience_unit"] == 1.0
    assert meta["design"]["design"] == "montecarlo" and meta["design"]["samples"] == 6
    names = pq.read_schema(part).names
    assert set(meta["columns"]) == set(names)
    assert "since which" in meta["columns"]["converged_round"]
    assert set(COLUMN_DOCS) == {c for c, _ in RESULT_COLUMNS}


def test_experiment_outcomes_are_finite_and_named_as_the_store_columns(tmp_path):
    store = sweep(EMISSION, ["actors.greece.issues.emission.salience=20:90"], samples=3, seed=1,
                  workers=1, out=tmp_path / "s")
    df = store.results()
    path = "actors.greece.issues.emission.salience"
    for rec in df.to_dict(orient="records"):
        r = pd.Series(rec)
        out = experiment(EMISSION, seed=int(r.seed), **{path: float(r[path])})
        assert all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   and math.isfinite(v) for v in out.values())
        for col in ("forecast", "mean", "initial_dispersion", "final_dispersion"):
            assert out[f"emission_{col}"] == r[col]
        assert out["rounds_run"] == r.rounds_run
        assert out["emission_consensus"] == float(r.issue_status == "consensus")
        assert out["emission_settled"] == float(r.issue_status in ("consensus", "deadlock"))
        expected = UNSETTLED if pd.isna(r.converged_round) else r.converged_round
        assert out["emission_converged_round"] == expected


def test_an_unsettled_issue_has_the_documented_sentinel():
    out = experiment(EMISSION, **{"model.max_rounds": 1})
    assert out["emission_settled"] == 0.0 and out["emission_converged_round"] == UNSETTLED == -1


def test_ema_workbench_wraps_experiment_in_one_line(monkeypatch):
    pytest.importorskip("ema_workbench")
    (code,) = [c for lang, c in BLOCKS if lang == "python" and "ema_workbench" in c]
    monkeypatch.chdir(ROOT)
    scope: dict = {"negsim": __import__("negsim")}
    exec(compile(code.replace("perform_experiments(model, 20)",
                              "perform_experiments(model, 4)"), "docs/sweeps.md", "exec"), scope)
    outcomes = scope["outcomes"]
    assert len(outcomes["I6_forecast"]) == 4 and len(outcomes["I6_converged_round"]) == 4
    assert all(math.isfinite(v) for v in outcomes["I6_forecast"])
    assert len(scope["experiments"]) == 4


def test_chunk_size_gives_parts_of_exactly_that_many_runs(tmp_path):
    store = sweep(EMISSION, ["model.params.q=0.5:1"], samples=120, seed=1, workers=2,
                  chunk_size=50, out=tmp_path / "c")
    sizes = [pq.read_table(p, columns=["run_id"])["run_id"].to_pandas().nunique()
             for p in store.result_parts()]
    assert sizes == [50, 50, 20]
    assert sorted(store.results()["run_id"]) == list(range(120))


def test_replications_of_a_deterministic_rule_get_a_note(tmp_path, capsys):
    args = ["sweep", str(EMISSION), "--param", "model.params.q=0.5:1", "--samples", "2",
            "--replications", "2", "--workers", "1", "--quiet"]
    assert main(args + ["--out", str(tmp_path / "eum")]) == 0
    err = capsys.readouterr().err
    assert "note: rule eum is deterministic: the 2 replications of each row will give " \
        "identical results" in err
    df = SweepStore(tmp_path / "eum").results()
    a, b = (df[df["replication"] == k].drop(columns=["replication", "run_id", "seed"])
            .reset_index(drop=True) for k in (0, 1))
    pd.testing.assert_frame_equal(a, b)          # the note is true
    assert main(["sweep", str(EMISSION), "--model", "smp", "--param",
                 "actors.*.issues.emission.salience=noise:5", "--samples", "2",
                 "--replications", "2", "--workers", "1", "--quiet",
                 "--out", str(tmp_path / "smp")]) == 0
    assert "deterministic" not in capsys.readouterr().err
