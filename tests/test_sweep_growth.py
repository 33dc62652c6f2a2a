"""Stores that grow without a new design, and refusals that say what changed (issue 14,
points 3 and 5): timed-out runs retried under a new time limit, Monte Carlo stores grown by
samples and replications, --param order, old -> new in every refusal, format-1 stores."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from negsim.cli import main
from negsim.errors import InputError
from negsim.sweeps import sweep
from negsim.sweeps import execute
from negsim.sweeps.design import Design, grow_blocks
from negsim.sweeps.store import SweepStore

from .conftest import EMISSION

PARAMS = ["model.params.q=0.5:1", "actors.*.issues.emission.salience=noise:5"]


def rows(store: SweepStore) -> pd.DataFrame:
    return store.results().sort_values(["run_id", "issue"]).reset_index(drop=True)


def test_timed_out_runs_are_retried_under_a_new_time_limit(tmp_path, capsys):
    out = tmp_path / "sob"
    kw = dict(design="sobol", samples=4, seed=2, workers=1)
    store = sweep(EMISSION, ["model.params.q=0.5:1"], out=out, time_limit=1e-9, **kw)
    assert store.status()["failed"] == store.status()["runs"] == 12
    assert main(["analyze", str(out), "--sobol", "emission.mean"]) == 2
    assert "12 failed" in capsys.readouterr().err
    again = sweep(EMISSION, ["model.params.q=0.5:1"], out=out, time_limit=60,
                  retry_failed=True, **kw)
    assert again.status()["ok"] == 12 and json.loads((out / "manifest.json").read_text())[
        "time_limit"] == 60
    fresh = sweep(EMISSION, ["model.params.q=0.5:1"], out=tmp_path / "fresh", **kw)
    pd.testing.assert_frame_equal(rows(again), rows(fresh))
    assert main(["analyze", str(out), "--sobol", "emission.mean", "--json"]) == 0


def test_a_monte_carlo_store_grows_by_samples_like_a_fresh_sweep_of_the_larger_size(tmp_path):
    out = tmp_path / "mc"
    small = sweep(EMISSION, PARAMS, out=out, samples=4, seed=5, workers=1)
    first = rows(small)
    parts = small.result_parts()
    grown = sweep(EMISSION, PARAMS, out=out, samples=7, seed=5, workers=1)
    assert grown.result_parts()[: len(parts)] == parts           # nothing rewritten
    fresh = sweep(EMISSION, PARAMS, out=tmp_path / "fresh", samples=7, seed=5, workers=1)
    pd.testing.assert_frame_equal(rows(grown), rows(fresh))
    pd.testing.assert_frame_equal(rows(grown).iloc[: len(first)], first)
    m = json.loads((out / "manifest.json").read_text())
    assert (m["samples"], m["rows"], m["runs"], m.get("blocks")) == (7, 7, 7, None)


def test_a_monte_carlo_store_grows_by_replications_keeping_every_run_it_has(tmp_path):
    out = tmp_path / "rep"
    kw = dict(seed=5, workers=1, overrides=["model.rule=smp"])     # a stochastic rule
    first = rows(sweep(EMISSION, PARAMS[1:], out=out, samples=3, replications=1, **kw))
    grown = sweep(EMISSION, PARAMS[1:], out=out, samples=3, replications=2, **kw)
    grown = sweep(EMISSION, PARAMS[1:], out=out, samples=5, replications=2, **kw)
    df = rows(grown)
    pd.testing.assert_frame_equal(df[df["run_id"] < 3].reset_index(drop=True), first)
    runs = df.drop_duplicates("run_id")
    assert sorted(runs["run_id"]) == list(range(10))
    assert sorted(zip(runs["row"], runs["replication"])) == [(r, p) for r in range(5)
                                                               for p in range(2)]
    assert runs["seed"].is_unique
    m = json.loads((out / "manifest.json").read_text())
    assert m["blocks"] == [[0, 3, 0, 1, 0], [0, 3, 1, 2, 3], [3, 5, 0, 2, 6]]
    # the stored layout is what a design rebuilt from the manifest iterates
    from negsim.sweeps.analyze import load_design

    assert [r[:3] for r in load_design(grown).runs_iter()] == \
        sorted(zip(runs["run_id"], runs["row"], runs["replication"]))


def test_grow_blocks_extends_a_single_block_and_appends_otherwise():
    assert grow_blocks(None, 4, 2, 6, 2) == [(0, 6, 0, 2, 0)]
    assert grow_blocks(None, 4, 1, 4, 3) == [(0, 4, 0, 1, 0), (0, 4, 1, 3, 4)]
    blocks = grow_blocks(grow_blocks(None, 4, 1, 4, 3), 4, 3, 6, 3)
    assert blocks == [(0, 4, 0, 1, 0), (0, 4, 1, 3, 4), (4, 6, 0, 3, 12)]
    d = Design("montecarlo", [], [], 6, 3, 0, blocks=blocks)
    ids = [r[0] for r in d.runs_iter()]
    assert sorted(ids) == list(range(18))
    with pytest.raises(InputError, match="blocks do not cover"):
        Design("montecarlo", [], [], 7, 3, 0, blocks=blocks)


def test_the_order_of_params_changes_neither_the_design_nor_the_identity(tmp_path):
    a = sweep(EMISSION, PARAMS, out=tmp_path / "a", samples=4, seed=1, workers=1)
    b = sweep(EMISSION, PARAMS[::-1], out=tmp_path / "b", samples=4, seed=1, workers=1)
    pd.testing.assert_frame_equal(rows(a), rows(b))
    parts = a.result_parts()
    again = sweep(EMISSION, PARAMS[::-1], out=tmp_path / "a", samples=4, seed=1, workers=1)
    assert again.result_parts() == parts


def test_every_refusal_names_the_fields_that_differ_with_old_and_new_values(tmp_path, capsys):
    out = tmp_path / "r"
    base = ["sweep", str(EMISSION), "--param", PARAMS[0], "--samples", "4", "--seed", "21",
            "--workers", "1", "--quiet", "--out", str(out)]
    assert main(base) == 0
    capsys.readouterr()
    changed = [a if a != "21" else "22" for a in base] + [
        "--design", "lhs", "--set", "actors.germany.capability=0.3",
        "--param", "model.params.compromise_choice=weighted_position,least_move"]
    assert main(changed) == 2
    err = capsys.readouterr().err.splitlines()
    assert f"{out}: seed: this directory holds a different sweep (seed 21 -> 22); use another " \
        "--out to start a new one" in err
    assert any("design montecarlo -> lhs" in e for e in err)
    assert any("actors.germany.capability" in e and "-> 0.3" in e for e in err)
    assert any("--param model.params.compromise_choice=weighted_position,least_move added" in e
               for e in err)
    assert any("samples 4 -> 4" not in e for e in err)
    assert err[-1] == "negsim: 4 problems found; nothing was run or written."
    shrink = [a if a != "4" else "3" for a in base]
    assert main(shrink) == 2
    assert "samples 4 -> 3); a sweep store cannot shrink" in capsys.readouterr().err
    sob = ["sweep", str(EMISSION), "--param", PARAMS[0], "--design", "sobol", "--samples", "2",
           "--workers", "1", "--quiet", "--out", str(tmp_path / "sob")]
    assert main(sob) == 0
    assert main([a if a != "2" else "4" for a in sob]) == 2
    assert "samples 2 -> 4); only a montecarlo sweep can grow" in capsys.readouterr().err


def _as_format_1(path, params_as_typed):
    """Rewrite a store as negsim's format 1 wrote it: manifest version 1 with the --param
    order as typed, the time limit in the hash, no blocks, parts without schema metadata."""
    import pyarrow.parquet as pq

    m = json.loads((path / "manifest.json").read_text())
    m.pop("blocks", None)
    m.update(version=1, params=params_as_typed)
    m["spec_hash"] = execute.spec_hash({"scenario": {}, "params": params_as_typed})
    (path / "manifest.json").write_text(json.dumps(m, indent=2))
    for p in (path / "results").glob("part-*.parquet"):
        t = pq.read_table(p)
        pq.write_table(t.replace_schema_metadata(None), p)


def test_a_format_1_store_resumes_grows_and_analyses(tmp_path, monkeypatch, capsys):
    """Format 1 kept the --param order as typed: a store written so resumes in that order."""
    out = tmp_path / "v1"
    typed = PARAMS[::-1]
    with monkeypatch.context() as mp:
        mp.setattr(execute, "_param_order", lambda specs, existing: list(specs))
        full = rows(sweep(EMISSION, typed, out=out, samples=6, seed=3, workers=1, chunk_size=2))
    _as_format_1(out, typed)
    last = SweepStore(out).result_parts()[-1]
    last.unlink()
    resumed = sweep(EMISSION, PARAMS, out=out, samples=6, seed=3, workers=1, chunk_size=2)
    pd.testing.assert_frame_equal(rows(resumed), full)
    grown = sweep(EMISSION, PARAMS, out=out, samples=8, seed=3, workers=1)
    assert rows(grown)["run_id"].nunique() == 8
    assert main(["analyze", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["issues"][0]["runs"] == 8


def test_a_store_from_a_newer_negsim_gets_one_clear_message(tmp_path, capsys):
    out = tmp_path / "new"
    sweep(EMISSION, PARAMS, out=out, samples=2, workers=1)
    m = json.loads((out / "manifest.json").read_text())
    m["version"] = 99
    (out / "manifest.json").write_text(json.dumps(m))
    assert main(["analyze", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"{out}/manifest.json: version: written by a newer negsim (sweep format 99;"
                      " this negsim reads up to 2); upgrade negsim to resume or analyse it "
                      "(got 99)")


def test_a_field_fixed_twice_to_different_values_is_an_error_not_an_order(tmp_path, capsys):
    with pytest.raises(InputError, match="greece.capability: this field is fixed twice"):
        sweep(EMISSION, ["actors.greece.capability=0.2", "actors.*.capability=0.3"],
              samples=1, workers=1, out=tmp_path / "x")
    assert main(["sweep", str(EMISSION), "--dask-idle-warning", "0", "--dask", "local",
                 "--out", str(tmp_path / "y"), "--quiet"]) == 2
    assert "--dask-idle-warning: must be a positive number of seconds (got 0.0)" in \
        capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
