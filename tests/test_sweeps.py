"""Sweeps: designs, validation before running, identical results on any executor, resuming after
SIGKILL, failures recorded, Sobol indices, the store readable without negsim."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import negsim
from negsim.cli import main
from negsim.readers import read_document
from negsim.errors import InputError
from negsim.rules import register, unregister
from negsim.rules.base import MoveKind, Param, RoundOutcome, Rule
from negsim.sweeps import experiment, sweep
from negsim.sweeps.analyze import sobol_indices
from negsim.sweeps.design import Design, run_seed
from negsim.sweeps.params import Factor, parse_params
from negsim.sweeps.store import SweepStore

from .conftest import EMISSION, NATO, ROOT

EMISSION_PARAMS = ["actors.*.issues.emission.salience=noise:5",
                   "model.params.compromise_choice=weighted_position,least_move"]


def rows(store: SweepStore) -> pd.DataFrame:
    return store.results().sort_values(["run_id", "issue"]).reset_index(drop=True)


# -- parameters and designs ---------------------------------------------------------------------

def test_wildcards_expand_to_every_matching_field():
    doc = read_document(NATO)
    factors, fixed = parse_params(["actors.*.issues.*.salience=noise:0.05",
                                   "actors.*.issues.I1.position=scale:0.9:1.1",
                                   "model.max_rounds=20"], doc, 1.0)
    noise = [f for f in factors if f.kind == "noise"]
    assert len(noise) == 33 * 7
    assert noise[0].name == "actors.united_states.issues.I1.salience"
    assert noise[0].base == [0.6] and noise[0].bounds == [(0.0, 1.0)]
    (scale,) = [f for f in factors if f.kind == "scale"]
    assert len(scale.paths) == 33 and scale.name == "scale(actors.*.issues.I1.position)"
    assert fixed[0].path == "model.max_rounds" and fixed[0].value == 20


def test_bad_parameters_are_rejected_before_any_run(tmp_path):
    out = tmp_path / "never"
    with pytest.raises(InputError) as info:
        sweep(NATO, ["actors.zed.issues.I1.salience=0:1",
                     "actors.germany.issues.I6.salience=0.5:1.5",
                     "actors.*.issues.I99.position=noise:1",
                     "model.params.q=1:0",
                     "actors.germany.issues.I6.position=noise:-2",
                     "oops"], out=out, samples=3)
    msgs = [p.format() for p in info.value.problems]
    assert "--param: actors.*.issues.I99.position: matches no field in the scenario" in msgs
    assert any(m.startswith("--param: model.params.q: a range needs A < B") for m in msgs)
    assert any("noise needs a positive standard deviation" in m for m in msgs)
    assert any("expected PATH=SPEC" in m for m in msgs)
    assert not out.exists()
    with pytest.raises(InputError) as info:
        sweep(NATO, ["actors.zed.issues.I1.salience=0:1",
                     "actors.germany.issues.I6.salience=0.5:1.5"], out=out, samples=3)
    msgs = [p.format() for p in info.value.problems]
    assert "--param: actors.germany.issues.I6.salience: salience must be within 0-1 (got 1.5)" \
        in msgs
    assert "--param: actors.zed.issues.I1.salience: no such field 'actors.zed' in the scenario" \
        in msgs
    assert not out.exists()


def test_factorial_design_enumerates_every_combination():
    doc = read_document(EMISSION)
    factors, fixed = parse_params(["model.params.q=0.5:1:3",
                                   "model.params.probability=scholz,literal"], doc, 100.0)
    d = Design("factorial", factors, fixed, 0, 2, 1)
    assert d.rows == 6 and d.runs == 12
    assert [d.values(r) for r in range(6)] == [[0.5, "scholz"], [0.5, "literal"],
                                               [0.75, "scholz"], [0.75, "literal"],
                                               [1.0, "scholz"], [1.0, "literal"]]
    ids = [r[0] for r in d.runs_iter()]
    assert ids == list(range(12))
    assert [r[0] for r in d.runs_iter(skip={0, 5})] == [i for i in range(12) if i not in (0, 5)]


def test_seeds_and_montecarlo_rows_are_reproducible_and_independent_of_order():
    doc = read_document(NATO)
    factors, fixed = parse_params(["actors.*.issues.I1.salience=noise:0.05"], doc, 1.0)
    a = Design("montecarlo", factors, fixed, 50, 1, 7)
    b = Design("montecarlo", factors, fixed, 50, 1, 7)
    c = Design("montecarlo", factors, fixed, 50, 1, 8)
    assert [a.values(r) for r in (3, 17, 42)] == [b.values(r) for r in (42, 17, 3)][::-1]
    assert a.values(3) != c.values(3)
    assert run_seed(7, 3) == run_seed(7, 3) != run_seed(7, 4)
    over, record = a.overrides(3)
    for name, value in record.items():
        assert 0.0 <= value <= 1.0 and over[name] == value


def test_latin_hypercube_stratifies_each_factor():
    factors = [Factor("x", "range", ["x"], low=0, high=10), Factor("y", "range", ["y"], low=-1,
                                                                    high=1)]
    d = Design("lhs", factors, [], 20, 1, 3)
    m = np.array([d.values(r) for r in range(20)])
    for j, (lo, hi) in enumerate([(0, 10), (-1, 1)]):
        strata = np.floor((m[:, j] - lo) / (hi - lo) * 20).astype(int)
        assert sorted(strata) == list(range(20))


def test_sobol_and_morris_design_sizes():
    factors = [Factor(n, "range", [n], low=0, high=1) for n in "abc"]
    assert Design("sobol", factors, [], 64, 1, 0).rows == 64 * 5
    assert Design("morris", factors, [], 10, 1, 0).rows == 10 * 4
    with pytest.raises(InputError, match="power of two"):
        Design("sobol", factors, [], 100, 1, 0)
    with pytest.raises(InputError, match="needs a number of levels"):
        Design("factorial", factors, [], 0, 1, 0)


def test_sobol_indices_of_the_ishigami_function():
    """Known analytic indices (a = 7, b = 0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576,
    0.4424, 0.2437)."""
    factors = [Factor(n, "range", [n], low=-np.pi, high=np.pi) for n in ("x1", "x2", "x3")]
    d = Design("sobol", factors, [], 2048, 1, 11)
    x = d.matrix()
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    table = sobol_indices(d.problem(), y, seed=1)
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=0.04)
    np.testing.assert_allclose(table["ST"], [0.5576, 0.4424, 0.2437], atol=0.04)
    assert (table["S1_conf"] > 0).all() and (table["ST_conf"] < 0.1).all()


# -- execution ----------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:note. rule eum is deterministic:UserWarning")
def test_one_worker_two_workers_and_a_dask_cluster_give_identical_rows(tmp_path):
    kw = dict(samples=6, replications=2, seed=5, design="montecarlo")
    one = sweep(EMISSION, EMISSION_PARAMS, out=tmp_path / "one", workers=1, **kw)
    two = sweep(EMISSION, EMISSION_PARAMS, out=tmp_path / "two", workers=2, chunk_size=3, **kw)
    dask = sweep(EMISSION, EMISSION_PARAMS, out=tmp_path / "dask", workers=2, dask_local=True,
                 **kw)
    a, b, c = rows(one), rows(two), rows(dask)
    assert len(a) == 12 and a["run_id"].tolist() == list(range(12))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)
    assert len(two.result_parts()) > 1
    # each run can be re-run alone from its seed and its recorded values
    first = a.iloc[0]
    over = {p: first[p] for p in a.columns if p.startswith("actors.")}
    over["model.params.compromise_choice"] = first["model.params.compromise_choice"]
    again = experiment(EMISSION, seed=int(first["seed"]), **over)
    assert again["emission_forecast"] == first["forecast"]


def _sweep_cmd(out):
    return [sys.executable, "-m", "negsim", "sweep", str(NATO),
            "--param", "actors.*.issues.I3.salience=noise:0.05", "--samples", "40",
            "--seed", "9", "--workers", "2", "--chunk-size", "3", "--rounds", "30",
            "--verbose", "--quiet", "--out", str(out)]


def test_a_sweep_killed_mid_way_resumes_with_every_run_exactly_once(tmp_path):
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_sweep_cmd(killed), cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    for line in proc.stderr:
        if "part-000003" in line:
            os.killpg(proc.pid, signal.SIGKILL)   # the driver and its workers, mid-sweep
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    interrupted = SweepStore(killed).status()
    assert 0 < interrupted["done"] < 40 and interrupted["pending"] > 0
    done = subprocess.run(_sweep_cmd(killed), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    full = subprocess.run(_sweep_cmd(tmp_path / "full"), cwd=ROOT, capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    a, b = rows(SweepStore(killed)), rows(SweepStore(tmp_path / "full"))
    assert a.groupby("issue")["run_id"].apply(lambda s: s.is_unique).all()
    assert sorted(a["run_id"].unique()) == list(range(40))
    pd.testing.assert_frame_equal(a, b)
    assert not list((killed / "results").glob(".*.tmp"))


def _explode(state, params, rng):
    if params["fuse"] > 0.5:
        raise RuntimeError("boom")
    m, n = state.positions.shape
    return RoundOutcome(state.positions.copy(),
                        np.where(state.active, MoveKind.HELD, MoveKind.INACTIVE).astype(np.int8),
                        np.full((m, n), -1, dtype=np.int32))


@pytest.fixture
def exploding_rule():
    """A rule that fails on demand, registered for one test only (not left in the registry)."""
    register(Rule(name="test_explode", title="fails on demand", citation="-",
                  description="raises if fuse > 0.5", step=_explode,
                  params=(Param("fuse", 0.0, "x", low=0, high=1),)))
    yield
    unregister("test_explode")


def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path, exploding_rule):
    store = sweep(EMISSION, ["model.params.fuse=0,1,0.25"], design="factorial", workers=1,
                  out=tmp_path / "f", overrides=["model.rule=test_explode", "model.max_rounds=3"])
    st = store.status()
    assert (st["ok"], st["failed"]) == (2, 1)
    assert st["errors"] == [("RuntimeError: boom", 1)]
    df = store.results()
    failed = df[df["status"] == "failed"]
    assert failed["model.params.fuse"].tolist() == [1.0] and failed["issue"].isna().all()
    # --retry-failed runs it again (it fails again, and is still recorded once)
    again = sweep(EMISSION, ["model.params.fuse=0,1,0.25"], design="factorial", workers=1,
                  out=tmp_path / "f", overrides=["model.rule=test_explode",
                                                 "model.max_rounds=3"], retry_failed=True)
    assert again.status()["failed"] == 1 and len(again.results()) == len(df)


def test_time_limit_records_slow_runs_as_failed(tmp_path):
    store = sweep(EMISSION, [], samples=2, workers=1, time_limit=1e-9, out=tmp_path / "t")
    st = store.status()
    assert st["failed"] == 2 and "RunTimeout: exceeded the time limit" in st["errors"][0][0]


def test_rerunning_skips_finished_runs_and_refuses_a_different_sweep(tmp_path, capsys):
    out = tmp_path / "s"
    store = sweep(EMISSION, EMISSION_PARAMS, out=out, samples=4, seed=1, workers=1)
    parts = store.result_parts()
    sweep(EMISSION, EMISSION_PARAMS, out=out, samples=4, seed=1, workers=1)
    assert store.result_parts() == parts
    with pytest.raises(InputError, match="holds a different sweep"):
        sweep(EMISSION, EMISSION_PARAMS, out=out, samples=4, seed=2, workers=1)


def test_trajectories_on_request(tmp_path):
    store = sweep(EMISSION, EMISSION_PARAMS, out=tmp_path / "tr", samples=2, workers=1,
                  trajectories="issues")
    tr = store.trajectories()
    assert set(tr.columns) == {"run_id", "round", "issue", "median", "mean", "dispersion"}
    assert len(tr) == 2 * 11                      # 2 runs x rounds 0..10
    store = sweep(EMISSION, EMISSION_PARAMS, out=tmp_path / "ta", samples=1, workers=1,
                  trajectories="actors")
    assert len(store.trajectories()) == 11 * 10


def test_the_store_reads_without_negsim(tmp_path):
    sweep(EMISSION, EMISSION_PARAMS, out=tmp_path / "r", samples=3, workers=1)
    code = ("import sys, pandas as pd; df = pd.read_parquet(sys.argv[1] + '/results'); "
            "assert 'negsim' not in sys.modules; print(len(df), sorted(df['status'].unique()))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "r")], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "3 ['ok']"
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["runs"] == 3 and manifest["seed"] == 0 and manifest["design"] == "montecarlo"


def test_experiment_is_a_plain_function_of_named_parameters():
    out = experiment(EMISSION, **{"actors.greece.issues.emission.salience": 50})
    direct = negsim.run(negsim.load_scenario(EMISSION, ["actors.greece.issues.emission."
                                                        "salience=50"]))
    assert out["emission_forecast"] == direct.forecast["emission"]
    assert out["rounds_run"] == 10
    assert out["emission_settled"] == float(direct.statuses[0].settled)
    assert out["emission_converged_round"] == (direct.statuses[0].since
                                               if direct.statuses[0].since is not None else -1)


# -- command line ---------------------------------------------------------------------------------

def test_sweep_status_and_analyze_commands(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["sweep", str(EMISSION), "--param", "model.params.q=0.5:1:3",
                 "--param", "model.params.compromise_choice=weighted_position,least_move",
                 "--design", "factorial", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    assert "6 of 6 runs done" in capsys.readouterr().out
    assert main(["sweep-status", str(out), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert (st["runs"], st["ok"], st["pending"]) == (6, 6, 0)
    assert main(["analyze", str(out), "--json", "--heatmap", "model.params.q",
                 "model.params.compromise_choice", "--issue", "emission",
                 "--out", str(tmp_path / "figs")]) == 0
    doc = json.loads(capsys.readouterr().out)
    (issue,) = doc["issues"]
    assert issue["issue"] == "emission" and issue["runs"] == 6
    assert issue["consensus"] + issue["deadlock"] + issue["unsettled"] == pytest.approx(1)
    assert doc["heatmap"]["columns"] == ["0.5", "0.75", "1.0"]
    assert (tmp_path / "figs" / "forecasts.png").exists()
    assert (tmp_path / "figs" / "heatmap.png").exists()


def test_sobol_analysis_needs_a_complete_sobol_design(tmp_path, capsys):
    out = tmp_path / "mc"
    sweep(EMISSION, EMISSION_PARAMS, out=out, samples=2, workers=1)
    assert main(["analyze", str(out), "--sobol", "emission.forecast"]) == 2
    assert "sobol indices need a sobol design" in capsys.readouterr().err
    out = tmp_path / "sob"
    sweep(EMISSION, ["model.params.q=0.5:1"], design="sobol", samples=8, out=out, workers=1)
    assert main(["analyze", str(out), "--sobol", "emission.mean", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (row,) = doc["sensitivity"]["indices"]
    assert row["factor"] == "model.params.q" and row["ST"] is not None
    assert main(["analyze", str(out), "--sobol", "nope.forecast"]) == 2


def test_sweep_cli_errors_exit_2(tmp_path, capsys):
    assert main(["sweep", str(NATO), "--param", "actors.germany.issues.I6.salience=0:2",
                 "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--param: actors.germany.issues.I6.salience: salience must be within 0-1 (got 2.0)" in err
    assert not (tmp_path / "x").exists()


def test_a_script_without_a_main_guard_runs_a_parallel_sweep_once(tmp_path):
    """Worker processes must not re-run the user's script (no `if __name__ == "__main__"`)."""
    script = tmp_path / "my_sweep.py"
    script.write_text(
        "import negsim\n"
        f"store = negsim.sweep({str(EMISSION)!r}, {EMISSION_PARAMS!r}, samples=6, workers=2,\n"
        f"                     out={str(tmp_path / 'store')!r})\n"
        "print('finished', store.status()['ok'])\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["finished", "6"]
