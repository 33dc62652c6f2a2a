"""Replication of KTAB's reference run of its SMP on ``dummyData_3Dim.csv`` (default parameters;
tests/data/ktab, MIT (c) 2015 KAPSARC): the whole run through negsim's normal path, and the
turn-0 intermediate values of the log through the kernel's pieces.

Tolerances follow what the log prints: positions one decimal on 0-100 (the issue asks for 0.1;
a faithful run agrees to half a printed unit), probabilities and fractional changes four decimals
(half a unit: 5e-5), risk attitudes three decimals (5e-4), utilities three or four decimals.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import negsim
from negsim.rules import smp

from .conftest import DATA, SCENARIOS

KTAB = SCENARIOS / "ktab"
REFERENCE = DATA / "ktab"
CSV = KTAB / "dummyData_3Dim.csv"
EXPECTED = json.loads((REFERENCE / "dummyData_3Dim.expected.json").read_text())
LOG = (REFERENCE / "dummyData_3Dim.reference-run.txt").read_text().splitlines()
ACTORS = [f"SActor-0{i}" for i in range(7)]
DIMS = ["Pstn1", "Pstn2", "Pstn3"]
KTAB_PARAMS = {"VictoryProbModel": "victory_prob_model", "VotingRule": "voting_rule",
               "PCEModel": "pce_model", "StateTransitions": "state_transitions",
               "BigRRange": "big_r_range", "BigRAdjust": "big_r_adjust",
               "ThirdPartyCommit": "third_party_commit", "InterVecBrgn": "inter_vec_brgn",
               "BargnModel": "bargn_model"}


@pytest.fixture(scope="module")
def result() -> negsim.RunResult:
    return negsim.run(CSV)


def _matrix_after(title: str, occurrence: int = 0, rows: int = 7) -> np.ndarray:
    """The numeric block printed under the ``occurrence``-th line starting with ``title``."""
    starts = [i for i, line in enumerate(LOG) if line.startswith(title)]
    at = starts[occurrence] + 1
    return np.array([[float(v) for v in LOG[at + r].split()] for r in range(rows)])


def _turn0_state():
    sc = negsim.load_scenario(CSV)
    a = sc.arrays()
    params = smp.RULE.resolve({})[0]
    x = (a.positions.T - a.low) / (a.high - a.low)
    act = a.active.T
    sal = smp.normalised_saliences(a.salience.T, act, "auto")
    cap = a.capability[0]
    return x, act, sal, cap, params


# -- the whole run, through negsim.run -----------------------------------------------------------

def test_ktab_file_runs_smp_with_ktab_defaults(result):
    assert result.rule == "smp"
    for ktab_name, ours in KTAB_PARAMS.items():
        assert result.params[ours] == EXPECTED["parameters"][ktab_name]
    assert result.actor_ids == ACTORS
    assert result.issue_ids == DIMS


def test_turn0_risk_attitudes(result):
    """'Inferred risk attitudes' of iteration 1 (MODEL.md 4.5), 3 decimals."""
    want = _matrix_after("Inferred risk attitudes", rows=7)[:, 0]
    assert want.tolist() == [-0.500, -0.459, -0.499, -0.274, 1.000, -0.232, -0.430]
    got = result.actor_info["risk"][1, 0]
    np.testing.assert_allclose(got, want, atol=5e-4, rtol=0)


def test_turn0_position_probabilities(result):
    want = [EXPECTED["position_probability_by_turn"][a][0] for a in ACTORS]
    np.testing.assert_allclose(result.actor_info["prob"][1, 0], want, atol=5e-4, rtol=0)


def test_position_probabilities_every_turn(result):
    """The 'History of actors' winning probabilities' of turns 0-9 (each round records the
    probabilities of the positions it started from), to half a printed unit."""
    for t in range(EXPECTED["states"] - 1):
        want = [EXPECTED["position_probability_by_turn"][a][t] for a in ACTORS]
        got = result.actor_info["prob"][t + 1, 0]
        np.testing.assert_allclose(got, want, atol=5e-5 + 1e-12, rtol=0, err_msg=f"turn {t}")


def test_stops_after_the_same_number_of_turns(result):
    assert result.rounds_run == EXPECTED["states"] - 1 == 10


def test_fractional_changes(result):
    """KTAB's 'Fractional change compared to first step', recomputed from the positions and as
    recorded by the rule."""
    x = result.positions / 100.0                                     # (T+1, m, n), 0-1 units
    delta = np.sqrt(((x[1:] - x[:-1]) ** 2).sum(axis=1)).sum(axis=1)
    ratio = delta / (delta[0] + 1e-4)
    np.testing.assert_allclose(ratio, EXPECTED["fractional_change"], atol=5e-5 + 1e-12, rtol=0)
    recorded = result.actor_info["change_ratio"][1:, 0, 0]
    np.testing.assert_allclose(recorded, EXPECTED["fractional_change"], atol=5e-5 + 1e-12,
                               rtol=0)
    assert (ratio[1:-1] >= 0.02).all() and ratio[-1] < 0.02


def test_every_position_every_turn(result):
    """All 7 actors x 3 dimensions x 11 states within half a printed unit (0.05; the issue
    asks for 0.1)."""
    worst = 0.0
    for i, a in enumerate(ACTORS):
        for k, d in enumerate(DIMS):
            want = np.array(EXPECTED["positions_by_turn"][a][d])
            got = result.positions[:, k, i]
            worst = max(worst, float(np.abs(got - want).max()))
    assert worst <= 0.05 + 1e-9


def test_final_positions_match_model_md(result):
    final = {"SActor-00": (78.6, 31.8, 74.1), "SActor-02": (82.5, 90.9, 0.1),
             "SActor-03": (67.1, 50.1, 63.7), "SActor-05": (79.9, 34.4, 75.2)}
    for a, want in final.items():
        i = ACTORS.index(a)
        np.testing.assert_allclose(result.positions[-1, :, i], want, atol=0.05 + 1e-9)


def test_every_move_is_a_bargain_with_a_partner(result):
    from negsim.rules.base import MoveKind

    kinds = result.kind[1:]
    partners = result.partner[1:]
    assert set(np.unique(kinds)) <= {MoveKind.HELD, MoveKind.BARGAIN}
    assert ((kinds == MoveKind.BARGAIN) == (partners >= 0)).all()
    # SActor-02 never moves: it adopts its status quo every turn (KTAB's "Chosen bargain" 1/2)
    assert (kinds[:, :, 2] == MoveKind.HELD).all()


# -- turn 0 intermediate values, through the kernel's pieces -------------------------------------

def test_turn0_utility_matrices():
    x, act, sal, cap, params = _turn0_state()
    a = smp.assess(x, act, sal, cap, params)
    raw = _matrix_after("Raw actor-pos value matrix (risk neutral)")
    np.testing.assert_allclose(1.0 - a.dist, raw, atol=5e-4, rtol=0)
    aware = _matrix_after("Risk-aware actor-pos utility matrix (objective)")
    np.testing.assert_allclose(smp.utility(a.dist, a.risk[:, None]), aware, atol=5e-5 + 1e-12,
                               rtol=0)
    for h in range(7):   # "Estimate by h of risk-aware utility matrix"
        est = _matrix_after(f"Estimate by {h} of risk-aware utility matrix")
        np.testing.assert_allclose(smp.utility(a.dist, a.r_est[h][:, None]), est,
                                   atol=5e-5 + 1e-12, rtol=0)


def _turn0_log_section() -> list[str]:
    end = next(i for i, line in enumerate(LOG) if line.startswith("Starting Model::run iteration 2"))
    return LOG[:end]


def test_turn0_targets_probabilities_and_bargains():
    x, act, sal, cap, params = _turn0_state()
    a = smp.assess(x, act, sal, cap, params)
    total = sal.sum(axis=1)
    weight = total * cap
    target, p_win, gain = smp.best_targets(a, weight, total, params)
    bargains = smp.propose(x, act, sal, cap, target, p_win, a, weight, total, params)
    section = _turn0_log_section()
    seen = 0
    for n, line in enumerate(section):
        m = re.match(r"In turn 0 actor (\d) has most advantageous target (\d) worth ([-.\d]+)",
                     line)
        if not m:
            continue
        i, j, worth = int(m[1]), int(m[2]), float(m[3])
        assert target[i] == j
        assert gain[i] == pytest.approx(worth, abs=5e-4)
        est = next(s for s in section[n:] if s.startswith(f"Est by {i:2d} of prob"))
        assert p_win[i] == pytest.approx(float(est.split()[5]), abs=5e-5 + 1e-12)
        head = next(k for k in range(n, len(section))
                    if re.match(rf"Bargain \[\d+, {i}:{j}\] from {i}'s perspective", section[k]))
        offer_i = [float(v) for v in section[head + 1].split(":")[1].split()]
        offer_j = [float(v) for v in section[head + 2].split(":")[1].split()]
        b = int(np.flatnonzero(bargains.init == i)[0])
        np.testing.assert_allclose(bargains.pos_init[b] * 100, offer_i, atol=5e-4, rtol=0)
        np.testing.assert_allclose(bargains.pos_rcvr[b] * 100, offer_j, atol=5e-4, rtol=0)
        seen += 1
    assert seen == 7 == (target >= 0).sum()


def test_turn0_receiver_view_as_ktab_logs_it():
    """KTAB's receiver-perspective bargain (brgnJIJ) is interpolated from j's estimate of i's
    *gain* where a probability is meant; receiver_view='ktab' reproduces the logged offers."""
    x, act, sal, cap, params = _turn0_state()
    params = {**params, "bargn_model": "InitRcvrInterp"}
    a = smp.assess(x, act, sal, cap, params)
    total = sal.sum(axis=1)
    weight = total * cap
    target, p_win, _ = smp.best_targets(a, weight, total, params)
    bargains = smp.propose(x, act, sal, cap, target, p_win, a, weight, total, params)
    section = _turn0_log_section()
    # "Bargain [1007, 0:6] from 6's perspective (brgnIIJ)": 0 -> 71.080 33.450 90.120
    head = section.index("Bargain [1007, 0:6] from 6's perspective (brgnIIJ) ")
    offer_i = [float(v) for v in section[head + 1].split(":")[1].split()]
    b = np.flatnonzero(bargains.init == 0)
    assert len(b) == 2
    np.testing.assert_allclose(bargains.pos_init[b[1]] * 100, offer_i, atol=5e-4, rtol=0)


def test_turn0_chosen_bargains():
    """Each actor adopts what the log's 'Chosen bargain' lines say: new turn-1 positions."""
    x, act, sal, cap, params = _turn0_state()
    a = smp.assess(x, act, sal, cap, params)
    total = sal.sum(axis=1)
    weight = total * cap
    target, p_win, _ = smp.best_targets(a, weight, total, params)
    bargains = smp.propose(x, act, sal, cap, target, p_win, a, weight, total, params)
    choice, chosen_p = smp.resolve(x, act, sal, cap, a, bargains, params,
                                   np.random.default_rng(0))
    # actor 2 keeps its status quo (1 out of 2), everyone else adopts a bargain
    assert choice[2] == -1 and (np.delete(choice, 2) >= 0).all()
    # actor 0's queue: status quo 0.0004, 0:6 0.2938, 1:0 0.0137, 4:0 0.4968, 3:0 0.1953
    assert chosen_p[0] == pytest.approx(0.4968, abs=5e-5 + 1e-12)
    assert (bargains.init[choice[0]], bargains.rcvr[choice[0]]) == (4, 0)


def test_cli_runs_the_ktab_file_with_smp(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "negsim", "run", str(CSV), "--json"],
                         capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    assert doc["model"] == "smp" and doc["rounds_run"] == 10
    last = doc["issues"]["Pstn2"]["trajectory"][-1]["positions"]
    assert last["SActor-00"] == pytest.approx(31.8, abs=0.05 + 1e-9)
