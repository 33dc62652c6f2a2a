"""The Mesa layer: agents are views of the model's arrays, the DataCollector records per round,
issue and actor, blocs group with AgentSet.groupby, Mesa's batch_run builds the model from
keyword parameters, and what-if events fire at their round."""

from __future__ import annotations

import inspect

import mesa
import numpy as np
import pytest

import negsim
from negsim import NegotiationModel
from negsim.agents import Actor
from negsim.errors import InputError
from negsim.scenario import scenario_from_dict

from .conftest import DATA, EMISSION, NATO


def small_case(events=(), max_rounds=6, stop="never"):
    return scenario_from_dict({
        "metadata": {"title": "small"},
        "issues": {"I1": {"name": "one"}, "I2": {"name": "two"}},
        "actors": {
            "a": {"capability": 3, "bloc": "west", "issues": {
                "I1": {"position": 10, "salience": 0.9}, "I2": {"position": 20, "salience": 0.4}}},
            "b": {"capability": 1, "bloc": "west", "issues": {
                "I1": {"position": 60, "salience": 0.5}, "I2": {"position": 80, "salience": 0.8}}},
            "c": {"capability": 2, "bloc": "east", "issues": {
                "I1": {"position": 90, "salience": 0.7}}},
        },
        "model": {"rule": "eum", "max_rounds": max_rounds, "stop": stop},
        "events": list(events),
    })


def test_model_takes_keyword_parameters_and_not_mesas_scenario_keyword():
    sig = inspect.signature(NegotiationModel)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in sig.parameters.values())
    assert "scenario" not in sig.parameters and "case" in sig.parameters
    assert "rng" in sig.parameters and "seed" not in sig.parameters


def test_agents_hold_views_of_the_model_arrays():
    model = NegotiationModel(case=NATO)
    assert len(model.agents) == 33
    assert all(isinstance(a, Actor) for a in model.agents)
    de = model.actors["germany"]
    assert de.position("I6") == 30.0 and de.salience("I6") == pytest.approx(0.85)
    model.step()
    k = model.issue_index["I6"]
    assert de.positions[k] == model.positions[k, de.slot]
    assert de.last_move("I6")["round"] == 1
    assert de.last_move("I6")["kind"] in ("held", "confrontation", "compromise", "capitulation")


def test_blocs_group_with_agentset_groupby():
    model = NegotiationModel(case=NATO)
    groups = model.agents.groupby("bloc")
    sizes = {bloc: len(group) for bloc, group in groups}
    assert sizes == {"NATO": 30, "Russia": 1, "Ukraine": 1, "NATO institution": 1}
    us = model.actors["united_states"]
    assert us in groups.groups["NATO"]


def test_datacollector_records_per_round_issue_and_actor():
    model = NegotiationModel(case=small_case(), max_rounds=4)
    model.run()
    mv = model.datacollector.get_model_vars_dataframe()
    assert len(mv) == 5                                   # rounds 0..4
    assert {"median[I1]", "mean[I2]", "dispersion[I1]", "status[I2]"} <= set(mv.columns)
    av = model.datacollector.get_agent_vars_dataframe()
    assert len(av) == 5 * 3
    assert {"actor", "bloc", "position[I1]", "move[I2]"} <= set(av.columns)
    last = av.xs(4, level="Step").set_index("actor")
    assert np.isnan(last.loc["c", "position[I2]"])       # c takes no part in I2 (None)
    result = model.result()
    np.testing.assert_allclose(mv["median[I1]"].to_numpy(), result.median[:, 0])


def test_mesa_batch_run_builds_and_runs_the_model():
    rows = mesa.batch_run(NegotiationModel,
                          parameters={"case": str(EMISSION),
                                      "rule_params": [{}, {"compromise_choice": "least_move"}]},
                          number_processes=1, max_steps=20, data_collection_period=-1,
                          display_progress=False)
    assert len(rows) == 2 * 10                            # two runs x ten agents
    finals = {(r["RunId"], r["actor"]): r["position[emission]"] for r in rows}
    direct = negsim.run(EMISSION)
    be = direct.actor_ids.index("belgium")
    run0 = [r["RunId"] for r in rows if r["rule_params"] == {}][0]
    assert finals[run0, "belgium"] == pytest.approx(direct.positions[-1, 0, be])
    assert all(r["Step"] == 10 for r in rows)


def test_events_fire_at_their_round():
    events = [
        {"round": 2, "actor": "b", "issue": "I1", "position": 15, "label": "b softens"},
        {"round": 2, "actor": "c", "capability": 10},
        {"round": 3, "remove": "b"},
        {"round": 4, "add": {"id": "d", "name": "Dee", "bloc": "east", "capability": 1,
                             "issues": {"I2": {"position": 50, "salience": 0.6}}}},
    ]
    model = NegotiationModel(case=small_case(events))
    model.step()
    before = model.positions.copy()
    model.step()                                          # round 2: events, then bargaining
    assert model.capability[:, model.actor_index["c"]].tolist() == [10, 10]
    h = model.history
    assert (2, "b softens (b on I1: position 15)") in h.events
    model.step()                                          # round 3: b leaves
    assert "b" not in model.actors and not model.active[:, model.actor_index["b"]].any()
    assert len(model.agents) == 2
    model.step()                                          # round 4: d joins on I2 only
    d = model.actors["d"]
    assert d.name == "Dee" and d.participates.tolist() == [False, True]
    assert len(model.agents) == 3
    result = model.run()
    assert result.rounds_run == 6
    assert [t for t, _ in result.events] == [2, 2, 3, 4]
    assert not result.active[:4, :, model.actor_index["d"]].any()
    assert result.active[4, 1, model.actor_index["d"]]
    b = model.actor_index["b"]
    assert before[0, b] != 15 and result.active[2, 0, b]
    # b was set to 15 at the start of round 2, then bargained from there
    moves = [m for m in result.moves() if m["round"] == 2 and m["actor"] == "b"
             and m["issue"] == "I1"]
    assert not moves or moves[0]["from"] == 15


def test_stop_auto_waits_for_pending_events():
    # Two actors at the same point: consensus from round 0, but an event at round 8 must run.
    case = scenario_from_dict({
        "metadata": {"title": "calm"}, "issues": {"I": {"name": "i"}},
        "actors": {"a": {"capability": 1, "issues": {"I": {"position": 50, "salience": 0.5}}},
                   "b": {"capability": 1, "issues": {"I": {"position": 50, "salience": 0.5}}}},
        "model": {"max_rounds": 50, "stop": "auto", "patience": 3},
        "events": [{"round": 8, "actor": "a", "issue": "I", "position": 10}],
    })
    result = negsim.run(case)
    assert result.rounds_run >= 8
    assert result.statuses[0].status in ("consensus", "deadlock")
    calm = negsim.run(case.replace({"events": []}))
    assert calm.rounds_run == 2 and calm.statuses[0].status == "consensus"
    assert calm.statuses[0].since == 0


def test_bad_keyword_values_raise_input_errors():
    with pytest.raises(InputError) as info:
        NegotiationModel(case=EMISSION, rule_params={"q": 7, "colour": "red"}, stop="sometimes")
    text = str(info.value)
    assert "q: must be <= 1 (got 7)" in text and "colour: unknown parameter" in text
    assert "stop: must be auto or never" in text


def test_rng_default_is_the_scenario_seed():
    model = NegotiationModel(case=NATO)
    assert model.seed == 20220112
    assert NegotiationModel(case=NATO, rng=5).seed == 5


def _without_reuse(**kwargs):
    model = NegotiationModel(**kwargs)
    model.engine._reuse = False
    return model


@pytest.mark.parametrize("case, kwargs", [
    (NATO, {"max_rounds": 60, "stop": "never"}),
    # noisy saliences: some issues repeat while others are still moving
    (NATO, {"max_rounds": 60, "stop": "never", "overrides": {
        "actors.germany.issues.I4.salience": 0.61, "actors.france.issues.I2.salience": 0.37,
        "actors.poland.issues.I1.salience": 0.83, "actors.turkey.issues.I6.salience": 0.41}}),
    (DATA / "eum" / "argentina.csv", {"max_rounds": 70, "stop": "never"}),
    (DATA / "eum" / "iran2013.csv", {"max_rounds": 30, "stop": "never", "rule_params": {"q": 0.5}}),
])
def test_reusing_a_repeated_rounds_outcome_changes_nothing(case, kwargs):
    """A deterministic Markov rule whose state repeats reuses the recorded outcomes; the run is
    bit-identical to recomputing every round."""
    fast = NegotiationModel(case=case, record_pairs=True, **kwargs)
    slow = _without_reuse(case=case, record_pairs=True, **kwargs)
    a, b = fast.run(), slow.run()
    assert fast._period.any()                  # the shortcut was actually taken
    assert a.to_dict() == b.to_dict()
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.kind, b.kind)
    for name in a.actor_info:
        np.testing.assert_array_equal(a.actor_info[name], b.actor_info[name])
    for name in a.pair_info:
        np.testing.assert_array_equal(a.pair_info[name], b.pair_info[name])


def test_no_reuse_before_the_last_event():
    events = [{"round": 9, "actor": "b", "issue": "I1", "position": 12}]
    fast = NegotiationModel(case=small_case(events, max_rounds=14))
    slow = _without_reuse(case=small_case(events, max_rounds=14))
    a, b = fast.run(), slow.run()
    np.testing.assert_array_equal(a.positions, b.positions)
    assert all(min(seen.values(), default=9) >= 9 for seen in fast._seen)


def test_reuse_with_issues_repeating_at_different_periods():
    """Issues of one scenario that repeat with different periods (here 1 and 2) reuse their
    outcomes each from its own source round, forecasts included."""
    from negsim.backtest.deu import deu_cases
    from negsim.deu import Capabilities, read_deu

    cases, _ = deu_cases(read_deu(), Capabilities("gdp"), by="proposal")
    case = next(c for c in cases if any(t.issue == "n99235i2" for t in c.targets))
    fast = NegotiationModel(case=case.scenario, rule="eum")
    slow = _without_reuse(case=case.scenario, rule="eum")
    a, b = fast.run(), slow.run()
    assert sorted(fast._period.tolist()) == [1, 2]
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.forecast_series, b.forecast_series)
    assert a.to_dict() == b.to_dict()
