"""An actor that takes no part in an issue is absent from it: every registered rule gives the
same results as if the actor were not in the scenario at all (on that issue, for rules that
bargain issue by issue; everywhere, for an actor absent from every issue). Absent is not
salience 0: a present actor that does not care can still be challenged, move and weigh in."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negsim
from negsim.rules import get_rule, rule_names
from negsim.scenario import scenario_from_dict

#: actor -> (capability, {issue: (position, salience on 0-1)})
BASE = {
    "a": (3.0, {"I": (10, 0.8), "J": (20, 0.5)}),
    "b": (2.0, {"I": (70, 0.6), "J": (90, 0.9)}),
    "c": (1.0, {"I": (40, 0.4), "J": (60, 0.3)}),
    "d": (2.5, {"I": (90, 0.7), "J": (35, 0.6)}),
}
OTHERS = list(BASE)


def scenario(base=BASE, z=None, status_quo=None, rounds=10):
    """``z``: None (no actor z) or z's stances {issue: (position, salience)} ({} = no issue)."""
    actors = {k: {"capability": c, "issues": {i: {"position": p, "salience": s}
                                              for i, (p, s) in stances.items()}}
              for k, (c, stances) in base.items()}
    if z is not None:
        actors["z"] = {"capability": 4.0, "issues": {i: {"position": p, "salience": s}
                                                     for i, (p, s) in z.items()}}
    issues = {"I": {"name": "first"}, "J": {"name": "second"}}
    if status_quo is not None:
        issues["I"]["status_quo"] = status_quo
    return scenario_from_dict({"metadata": {"title": "absent actors"}, "salience_scale": "unit",
                               "issues": issues, "actors": actors,
                               "model": {"max_rounds": rounds, "stop": "never"}})


def final_positions(result, issue, actors=OTHERS):
    k = result.issue_ids.index(issue)
    return np.array([result.positions[-1, k, result.actor_ids.index(a)] for a in actors])


def assert_same_on(issue, with_z, without_z):
    assert with_z.rounds_run == without_z.rounds_run
    k, k0 = with_z.issue_ids.index(issue), without_z.issue_ids.index(issue)
    np.testing.assert_allclose(final_positions(with_z, issue), final_positions(without_z, issue),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(with_z.median[:, k], without_z.median[:, k0], rtol=1e-9,
                               atol=1e-9)
    np.testing.assert_allclose(with_z.mean[:, k], without_z.mean[:, k0], rtol=1e-9, atol=1e-9)
    assert with_z.statuses[k].status == without_z.statuses[k0].status


@pytest.mark.parametrize("rule", rule_names())
def test_an_actor_absent_from_every_issue_changes_nothing(rule):
    with_z = negsim.run(scenario(z={}), rule=rule)
    without_z = negsim.run(scenario(), rule=rule)
    z = with_z.actor_ids.index("z")
    assert not with_z.active[:, :, z].any()
    for issue in ("I", "J"):
        assert_same_on(issue, with_z, without_z)


ISSUE_BY_ISSUE = [name for name in rule_names() if not get_rule(name).multidimensional]


@pytest.mark.parametrize("rule", ISSUE_BY_ISSUE)
def test_an_actor_absent_from_one_issue_is_ignored_there(rule):
    """z bargains on J only; on I the results equal those of the scenario without z."""
    with_z = negsim.run(scenario(z={"J": (50, 0.5)}, status_quo=30), rule=rule)
    without_z = negsim.run(scenario(status_quo=30), rule=rule)
    z = with_z.actor_ids.index("z")
    assert not with_z.active[:, 0, z].any() and with_z.active[:, 1, z].all()
    assert_same_on("I", with_z, without_z)


def test_issue_by_issue_covers_the_known_rules():
    assert {"eum", "compromise", "median", "nash"} <= set(ISSUE_BY_ISSUE)


positions = st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 3))
saliences = st.floats(0.05, 1, allow_nan=False).map(lambda v: round(v, 3))


@settings(max_examples=25)
@given(data=st.data())
def test_absent_equals_removed_on_random_issues(data):
    n = data.draw(st.integers(3, 7), label="actors")
    base = {f"a{i}": (data.draw(st.floats(0.1, 10).map(lambda v: round(v, 3))),
                      {"I": (data.draw(positions), data.draw(saliences)),
                       "J": (data.draw(positions), data.draw(saliences))}) for i in range(n)}
    z = {"J": (data.draw(positions), data.draw(saliences))}
    for rule in ISSUE_BY_ISSUE:
        with_z = negsim.run(scenario(base, z, rounds=4), rule=rule)
        without_z = negsim.run(scenario(base, rounds=4), rule=rule)
        assert with_z.rounds_run == without_z.rounds_run
        np.testing.assert_allclose(final_positions(with_z, "I", list(base)),
                                   final_positions(without_z, "I", list(base)),
                                   rtol=1e-9, atol=1e-9, err_msg=rule)
        assert with_z.forecast["I"] == pytest.approx(without_z.forecast["I"], abs=1e-9)


# ------------------------------------------------------------------------------------------
# salience 0 is not absence

def run_pair(rule, status_quo=None):
    absent = negsim.run(scenario(z={"J": (50, 0.5)}, status_quo=status_quo), rule=rule)
    indifferent = negsim.run(scenario(z={"I": (60, 0.0), "J": (50, 0.5)},
                                      status_quo=status_quo), rule=rule)
    return absent, indifferent


@pytest.mark.parametrize("rule", ["compromise", "median"])
def test_weighted_forecasts_give_salience_zero_no_weight(rule):
    """capability x salience weights: an indifferent actor carries no weight, as if absent."""
    absent, indifferent = run_pair(rule)
    assert indifferent.forecast["I"] == absent.forecast["I"]
    z = indifferent.actor_ids.index("z")
    assert indifferent.active[0, 0, z] and not absent.active[0, 0, z]


def test_eum_an_indifferent_actor_still_takes_part():
    """z (salience 0) casts no vote, but others weigh challenging it and it can move: the
    other actors end elsewhere than when z is absent."""
    absent, indifferent = run_pair("eum")
    moved = np.abs(final_positions(indifferent, "I") - final_positions(absent, "I")).max()
    assert moved > 1.0
    z = indifferent.actor_ids.index("z")
    k = indifferent.issue_ids.index("I")
    assert indifferent.positions[-1, k, z] != 60        # and z itself was moved


def test_nash_an_indifferent_actor_keeps_its_bargaining_weight():
    """Nash weights are capabilities: an actor that does not care still has a say (its gain
    is measured on an unscaled utility), unlike an absent one."""
    absent, indifferent = run_pair("nash")
    assert abs(indifferent.forecast["I"] - absent.forecast["I"]) > 1.0
