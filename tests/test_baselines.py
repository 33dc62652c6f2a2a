"""Forecast baselines on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

import negsim
from negsim.rules.baselines import nash_solution
from negsim.scenario import scenario_from_dict

from .conftest import EMISSION, NATO, NATO_FLAT


def two_actors(x0, x1, c0=1.0, c1=1.0, s0=1.0, s1=1.0, status_quo=None, low=0.0, high=100.0):
    issue = {"name": "split", "scale": {"low": low, "high": high}}
    if status_quo is not None:
        issue["status_quo"] = status_quo
    return scenario_from_dict({
        "metadata": {"title": "two"}, "salience_scale": "unit", "issues": {"I": issue},
        "actors": {"a": {"capability": c0, "issues": {"I": {"position": x0, "salience": s0}}},
                   "b": {"capability": c1, "issues": {"I": {"position": x1, "salience": s1}}}}})


@pytest.mark.parametrize("rule", ["compromise", "nash"])
@pytest.mark.parametrize("x0, x1", [(0, 100), (20, 80), (37.5, 62.5)])
def test_two_symmetric_actors_give_the_midpoint(rule, x0, x1):
    """Equal actors placed symmetrically on the scale (so their worst points mirror too)."""
    result = negsim.run(two_actors(x0, x1), rule=rule)
    assert result.forecast["I"] == pytest.approx((x0 + x1) / 2, abs=1e-5)


def test_compromise_gives_the_midpoint_anywhere():
    assert negsim.run(two_actors(20, 60), rule="compromise").forecast["I"] == 40


def test_median_of_two_symmetric_actors_is_the_lower_one():
    assert negsim.run(two_actors(20, 60), rule="median").forecast["I"] == 20


@pytest.mark.parametrize("c0, c1", [(1, 3), (3, 1), (2, 5), (1, 1)])
def test_textbook_asymmetric_nash_split(c0, c1):
    """Dividing the scale between actors at its two ends with worst-point disagreement:
    maximise (100 - x)^a x^b, so x* = 100 b / (a + b) (Kalai 1977)."""
    result = negsim.run(two_actors(0, 100, c0=c0, c1=c1), rule="nash")
    assert result.forecast["I"] == pytest.approx(100 * c1 / (c0 + c1), abs=1e-5)


def test_nash_with_a_status_quo_between_the_actors_is_the_status_quo():
    result = negsim.run(two_actors(0, 100, status_quo=30), rule="nash")
    assert result.forecast["I"] == 30
    # both actors above the status quo at 20: between 60 and 80 the gains are (100 - p) and
    # (p - 20), whose product falls from p = 60 on; below 60 both gains grow with p.
    assert nash_solution(np.array([60.0, 80.0]), np.ones(2), np.ones(2), 0, 100, 20) == \
        pytest.approx(60.0, abs=1e-5)
    # an actor sitting at the status quo can veto any change
    assert nash_solution(np.array([20.0, 80.0]), np.ones(2), np.ones(2), 0, 100, 20) == 20
    worst = negsim.run(two_actors(0, 100, status_quo=30), rule="nash",
                       params={"disagreement": "worst"})
    assert worst.forecast["I"] == pytest.approx(50, abs=1e-5)


def test_compromise_and_median_on_the_emission_data():
    assert negsim.run(EMISSION, rule="compromise").forecast["emission"] == \
        pytest.approx(7.389955686853767, abs=1e-12)
    assert negsim.run(EMISSION, rule="median").forecast["emission"] == 7.0


def test_baselines_are_one_round_and_ignore_absent_actors():
    sc = negsim.load_scenario(NATO_FLAT).replace({"actors.united_states.issues": {
        "I2": {"position": 60, "salience": 0.7}}})   # the US now takes part in I2 only
    for rule in ("compromise", "median", "nash"):
        result = negsim.run(sc, rule=rule)
        assert result.rounds_run == 1
        assert all(s.status == "consensus" and s.since == 1 for s in result.statuses)
        us = result.actor_ids.index("united_states")
        assert not result.active[:, 0, us].any()      # absent from I1
    w = {a: v.capability * v.issues["I1"].salience for a, v in sc.actors.items()
         if "I1" in v.issues}
    expect = sum(w[a] * sc.actors[a].issues["I1"].position for a in w) / sum(w.values())
    assert negsim.run(sc, rule="compromise").forecast["I1"] == pytest.approx(expect)
