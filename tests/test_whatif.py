"""What-ifs against their baseline, actors removed before bargaining, one actor's story, and
the small command-line promises (a closed pipe is not an error)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import negsim
from negsim.cli import main
from negsim.errors import InputError

from .conftest import EMISSION, NATO, ROOT

WAVE1 = ROOT / "tests" / "data" / "wave1" / "nato_russia_2022_wave1.yaml"


def test_whatif_runs_both_with_the_same_seed_and_tabulates_the_differences():
    w = negsim.whatif(EMISSION, overrides={"actors.germany.issues.emission.position": 10})
    assert w.baseline.seed == w.changed.seed
    base = negsim.run(EMISSION)
    assert w.baseline.forecast == base.forecast                  # the baseline is the file
    diff = w.differences()
    assert list(diff.columns) == ["issue", "measure", "baseline", "whatif", "difference",
                                  "changed"]
    row = diff[(diff.measure == "forecast")].iloc[0]
    assert row["whatif"] == w.changed.forecast["emission"]
    assert row["changed"] == (abs(row["whatif"] - row["baseline"]) > 1e-9)
    assert row["changed"]                                       # Germany (at 4) joins the 10s
    moved = w.actor_changes("emission")
    sizes = [abs(after - before) for _, before, after in moved]
    assert moved and sizes == sorted(sizes, reverse=True)
    assert w.changes == ["actors.germany.issues.emission.position = 10"]


def test_whatif_compares_runs_at_the_same_length():
    # only I3 changes; issues that cycle must not look changed because one run stopped earlier
    w = negsim.whatif(WAVE1, overrides=["actors.romania.issues.I3.position=70"])
    assert w.baseline.rounds_run == w.changed.rounds_run
    for iid in ("I1", "I2", "I6"):
        np.testing.assert_array_equal(w.baseline.positions[-1, w.baseline.issue_ids.index(iid)],
                                      w.changed.positions[-1, w.changed.issue_ids.index(iid)])


def test_whatif_needs_a_change():
    with pytest.raises(InputError, match="no change given"):
        negsim.whatif(EMISSION)


def test_whatif_command_prints_before_and_after_and_saves_both_runs(tmp_path, capsys):
    out = tmp_path / "w"
    assert main(["whatif", str(NATO), "--set", "actors.germany.issues.I6.salience=0.95",
                 "--event", "round=3,actor=russia,issue=I4,position=40", "--remove", "hungary",
                 "--out", str(out)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "what-if against the baseline" in text and "changes:" in text
    assert "Hungary leaves before bargaining" in text and "Russia on I4: position 40" in text
    assert {p.name for p in out.iterdir()} >= {"baseline", "whatif", "whatif.json",
                                              "differences.csv"}
    w = negsim.WhatIf.load(out)
    assert "hungary" not in [a for a, on in zip(w.changed.actor_ids, w.changed.active[0, 0])
                             if on]
    doc = json.loads((out / "whatif.json").read_text())
    assert set(doc["issues"]["I1"]) >= {"status", "forecast", "actors_changed_most"}
    assert doc["issues"]["I1"]["forecast"].keys() == {"baseline", "whatif", "changed"}
    # --json says the same
    assert main(["whatif", str(NATO), "--remove", "hungary", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "whatif"


def test_an_actor_can_leave_before_bargaining_three_ways():
    by_set = negsim.run(NATO, overrides=["actors.hungary=null"])
    by_event = negsim.run(negsim.load_scenario(NATO).replace(
        {"events": [{"round": 0, "remove": "hungary"}]}))
    k = by_set.actor_ids.index("hungary")
    assert not by_set.active[:, :, k].any()
    np.testing.assert_array_equal(by_set.positions, by_event.positions)
    assert by_set.events == [(0, "hungary leaves before bargaining")] or \
        by_set.events[0][1].startswith("Hungary leaves")
    with pytest.raises(InputError, match="leaves 1 actor"):
        negsim.run(EMISSION, overrides=[f"actors.{a}=null" for a in
                                        negsim.load_scenario(EMISSION).actor_ids[1:]])


def test_a_labelled_event_shows_what_it_changes():
    sc = negsim.load_scenario(NATO).replace({"events": [
        {"round": 2, "actor": "russia", "issue": "I3", "position": 30, "label": "Moscow softens"}]})
    r = negsim.run(sc, rounds=4, stop="never")
    assert r.events == [(2, "Moscow softens (Russia on I3: position 30)")]


def test_explain_actor_tells_one_story_in_plain_words(capsys):
    assert main(["run", str(WAVE1), "--explain-actor", "united_kingdom", "--issue", "I1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "United Kingdom on Open door, round by round" in out
    assert "gave in to Russia's position" in out            # the published rule's capitulation
    assert "terms: E(own challenge)" in out                 # numbers come with their legend
    assert main(["run", str(NATO), "--explain-actor", "nobody"]) == 2


def test_ties_are_reported_as_ties():
    from negsim.narrative import describe_move

    r = negsim.run(WAVE1, rounds=3, stop="never")
    mv = {"round": 1, "issue": "I1", "actor": "france", "partner": "united_kingdom",
          "kind": "confrontation", "from": 40.0, "to": 60.0, "eu_self": 0.25,
          "eu_partner": 0.25 + 1e-13}
    text = describe_move(r, mv)
    assert "a tie: both expected +0.250" in text and "E(own challenge)" not in text


def test_a_closed_pipe_is_not_an_error():
    proc = subprocess.run(f"{sys.executable} -m negsim run {NATO} | head -1", shell=True,
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.startswith("NATO-Russia Council")
    check = subprocess.run(["bash", "-c", f"set -o pipefail; {sys.executable} -m negsim run "
                            f"{NATO} | head -1 >/dev/null"], capture_output=True, cwd=ROOT)
    assert check.returncode == 0, check.stderr


def test_run_checks_the_output_path_before_simulating(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", str(NATO), "--out", str(blocker)]) == 2
    assert "is an existing file" in capsys.readouterr().err
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert main(["run", str(NATO), "--out", str(foreign)]) == 2
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_a_rerun_replaces_the_run_directory_whole(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(WAVE1), "--out", str(out), "--pairs"]) == 0
    assert (out / "pairs.parquet").exists()
    assert main(["run", str(WAVE1), "--model", "compromise", "--out", str(out)]) == 0
    # the compromise rule records no pairs: the old file must not survive
    assert not (out / "pairs.parquet").exists()
    assert negsim.RunResult.load(out).rule == "compromise"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_near_ties_show_the_digits_that_decided_them():
    from negsim.narrative import describe_move

    r = negsim.run(WAVE1, rounds=3, stop="never")
    mv = {"round": 2, "issue": "I1", "actor": "france", "partner": "united_kingdom",
          "kind": "confrontation", "from": 95.0, "to": 0.0, "eu_self": 0.25003,
          "eu_partner": 0.25017}
    text = describe_move(r, mv)
    assert "a near tie: E(own challenge) +0.2500, E(United Kingdom's) +0.2502" in text
    assert "+0.250, E(" not in text


def test_no_api_function_is_shadowed_by_a_submodule_of_its_name():
    """negsim.whatif and negsim.compare are functions. A submodule of the same name would
    replace the package attribute with itself once anything imported it, as negsim/whatif.py
    and negsim/compare.py once did, so no submodule may bear an API function's name."""
    import importlib
    import pkgutil

    for name in ("negsim.commands.whatif", "negsim.commands.compare",
                 "negsim.counterfactual", "negsim.comparison"):
        importlib.import_module(name)
    assert callable(negsim.whatif) and negsim.whatif.__module__ == "negsim.counterfactual"
    assert callable(negsim.compare) and negsim.compare.__module__ == "negsim.comparison"
    modules = {m.name for m in pkgutil.iter_modules(negsim.__path__)}
    functions = {n for n in negsim.__all__ if callable(getattr(negsim, n))
                 and not isinstance(getattr(negsim, n), type)}
    assert not modules & functions, modules & functions
