"""Institutions: win-sets on a line, decision rules, blocs, packages, and runs that respect them.

The hand-computed cases follow docs/institutions.md: a preferred-to set is the open interval
between the status quo q and 2x - q; unanimity intersects them; a q-majority's far end is the
pivotal member's.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import negsim
from negsim.commands.agree import analyse_scenario
from negsim.errors import InputError
from negsim.institutions import Body, aggregate


def case(positions, sq, decision=None, blocs=None, linkage=None, issues=None, caps=None,
         saliences=None, events=()):
    """A scenario from {actor: position} (one issue "x") or {actor: {issue: position}}."""
    issue_ids = issues or ["x"]
    actors = {}
    for n, (aid, pos) in enumerate(positions.items()):
        per = pos if isinstance(pos, dict) else {"x": pos}
        actors[aid] = {"capability": (caps or {}).get(aid, 1.0),
                       "issues": {iid: {"position": p,
                                        "salience": (saliences or {}).get((aid, iid), 0.5)}
                                  for iid, p in per.items()}}
    sqs = sq if isinstance(sq, dict) else {"x": sq}
    doc = {"metadata": {"title": "t"},
           "issues": {iid: {"name": iid, "status_quo": sqs.get(iid)} for iid in issue_ids},
           "actors": actors, "events": list(events)}
    if decision is not None:
        doc["decision"] = decision
    if blocs is not None:
        doc["blocs"] = blocs
    if linkage is not None:
        doc["linkage"] = linkage
    return negsim.scenario_from_dict(doc)


def agreement(sc, issue="x"):
    return analyse_scenario(sc)[1].by_issue()[issue]


# -- hand-computed cases ---------------------------------------------------------------------

def test_unanimity_status_quo_inside_the_core_gives_no_zone():
    # three veto players at 20, 40, 60; the core is [20, 60]; a status quo at 50 lies in it
    a = agreement(case({"a": 20, "b": 40, "c": 60}, 50, {"rule": "unanimity"}))
    assert a.zone is None and a.agreement == "none"
    # a and b want less, c wants more: each direction is vetoed
    assert a.blocking == {"toward_high": ["a", "b"], "toward_low": ["c"]}
    # two of three want a move down; c alone stops it
    assert a.blocked_by == ["c"]


def test_unanimity_status_quo_outside_the_core_gives_the_exact_interval():
    # status quo 80: preferred sets (−40, 80), (0, 80), (40, 80): the intersection is (40, 80)
    a = agreement(case({"a": 20, "b": 40, "c": 60}, 80, {"rule": "unanimity"}))
    assert a.zone == (40.0, 80.0) and a.agreement == "possible"
    assert a.decisive == ["c"]           # the most reluctant veto player sets the edge
    # a zone that would run off the scale is cut at the scale's end
    a = agreement(case({"a": 5, "b": 10}, 60, {"rule": "unanimity"}))
    assert a.zone == (0.0, 60.0)


def test_a_veto_player_at_the_status_quo_blocks_every_change():
    a = agreement(case({"a": 20, "b": 50, "c": 30}, 50, {"rule": "unanimity"}))
    assert a.zone is None and a.blocking["toward_low"] == ["b"]


def test_qmv_with_weights_and_a_threshold():
    # EU-Council style: weights 29, 29, 27, 13, 12 (110 in all), threshold 62/110.
    # Status quo 90. Reaches 2(x - 90): A -140, B -100, C -60, D -20, E +10.
    # Toward lower: sorted by reach magnitude A(29), B(58), C(85 >= 62): the pivot is C, so
    # the win-set is (90 - 60, 90) = (30, 90).
    w = {"A": 29, "B": 29, "C": 27, "D": 13, "E": 12}
    dec = {"rule": "qmv", "parties": list(w), "weights": w, "threshold": 62 / 110}
    a = agreement(case({"A": 20, "B": 40, "C": 60, "D": 80, "E": 95}, 90, dec))
    assert a.zone == pytest.approx((30.0, 90.0)) and a.decisive == ["C"]
    # a higher threshold (90/110) needs D as well: (90 - 20, 90) = (70, 90)
    a = agreement(case({"A": 20, "B": 40, "C": 60, "D": 80, "E": 95}, 90,
                       {**dec, "threshold": 90 / 110}))
    assert a.zone == pytest.approx((70.0, 90.0)) and a.decisive == ["D"]
    # a blocking minority: with 100/110 needed, A+B+C+D = 98 < 100, so no zone
    a = agreement(case({"A": 20, "B": 40, "C": 60, "D": 80, "E": 95}, 90,
                       {**dec, "threshold": 100 / 110}))
    assert a.zone is None and a.agreement == "none"


def test_simple_majority_is_more_than_half():
    # equal weights, four voters: three must agree; two of four is not a majority
    dec = {"rule": "majority", "parties": ["a", "b", "c", "d"]}
    a = agreement(case({"a": 10, "b": 20, "c": 80, "d": 90}, 50, dec))
    assert a.zone is None
    a = agreement(case({"a": 10, "b": 20, "c": 30, "d": 90}, 50, dec))
    assert a.zone == (10.0, 50.0)        # pivot c at 30: (2*30 - 50, 50)


def test_a_consensus_bloc_cannot_pass_its_most_reluctant_member():
    # bloc W (u at 60, v at 70) decides by consensus; with the status quo at 80 it accepts
    # (2*70 - 80, 80) = (60, 80), however strong u is. Party r (at 0) accepts (−80, 80).
    sc = case({"u": 60, "v": 70, "r": 0}, 80,
              {"rule": "unanimity", "parties": ["W", "r"]},
              blocs={"W": {"rule": "consensus", "members": ["u", "v"]}},
              caps={"u": 100.0, "v": 1.0, "r": 10.0})
    a = agreement(sc)
    assert a.zone == (60.0, 80.0) and a.decisive == ["v"] and a.blocs == {"W": (60.0, 80.0)}
    # in a two-level run no rule takes the bloc past the edge its members accept at that
    # round (2 x the most reluctant member's position - 80), whatever r's pull
    for rule in ("eum", "compromise", "median", "nash", "smp"):
        r = negsim.run(sc, rule=rule, rounds=20)
        pl = r.plenary
        w = pl.ids.index("W")
        members = [r.actor_ids.index("u"), r.actor_ids.index("v")]
        for t in range(r.rounds_run + 1):
            held = r.start[t] if negsim.get_rule(rule).one_shot else r.positions[t]
            edge = 2 * held[0, members].max() - 80
            assert pl.positions[t, 0, w] >= edge - 1e-9, (rule, t)
        held = r.start[-1] if negsim.get_rule(rule).one_shot else r.positions[-1]
        assert r.forecast["x"] >= 2 * held[0, members].max() - 80 - 1e-9, rule
        # members bargain only among themselves: no member ever takes r as partner
        assert not any(m["partner"] == "r" for m in r.moves() if m["actor"] in ("u", "v")), rule


def test_a_package_fails_as_a_whole_although_one_issue_alone_would_pass():
    # Issue y alone: everyone prefers lower (zone (20, 60) with b at 40 the edge). Issue z:
    # r's red line (z at most 30) is out of the others' reach. r links y and z.
    positions = {"r": {"y": 10, "z": 0}, "b": {"y": 40, "z": 70}, "c": {"y": 30, "z": 80}}
    base = dict(positions=positions, sq={"y": 60, "z": 60}, decision={"rule": "unanimity"},
                issues=["y", "z"])
    free = analyse_scenario(case(**base))[1]
    assert free.by_issue()["y"].agreement == "possible"
    assert free.by_issue()["y"].zone == (20.0, 60.0)
    linked = analyse_scenario(case(**base, linkage=[{
        "actor": "r", "issues": ["y", "z"], "conditions": [{"issue": "z", "at_most": 30}]}]))[1]
    assert linked.by_issue()["y"].agreement == "blocked by linkage"
    [pkg] = linked.packages
    assert not pkg["can_pass"] and set(pkg["blocked_by"]) == {"b", "c"}
    # in a run, y's bargain may land in its zone, but the package withholds it
    r = negsim.run(case(**base, linkage=[{"actor": "r", "issues": ["y", "z"],
                                          "conditions": [{"issue": "z", "at_most": 30}]}]),
                   rule="compromise")
    rec = {x["issue"]: x for x in r.issue_records()}
    assert rec["y"]["agreement"] == "blocked by linkage" and r.forecast["y"] == 60.0
    assert rec["y"]["linkage"]["unmet"][0]["issue"] == "z"


def test_a_package_of_trades_can_pass_as_a_whole():
    # a cares about y, b about z; each issue alone has no zone, but as a package both gain
    sal = {("a", "y"): 0.9, ("a", "z"): 0.1, ("b", "y"): 0.1, ("b", "z"): 0.9}
    sc = case({"a": {"y": 0, "z": 60}, "b": {"y": 60, "z": 0}}, {"y": 30, "z": 30},
              {"rule": "unanimity"}, issues=["y", "z"], saliences=sal,
              linkage=[{"actor": "a", "issues": ["y", "z"]}])
    inst, ag = analyse_scenario(sc)
    [pkg] = ag.packages
    assert pkg["can_pass"] and pkg["margin"] > 0
    assert pkg["outcome"]["y"] < 30 and pkg["outcome"]["z"] < 30


def test_agree_command_json_and_table(capsys):
    from negsim.cli import main

    assert main(["agree", "tests/data/institutions_three.yaml", "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert set(doc["issues"]["x"]) >= {"status_quo", "zone", "blocked_by", "agreement"}
    assert doc["issues"]["x"]["zone"] == [40.0, 80.0]
    assert doc["issues"]["y"]["agreement"] == "none" and doc["issues"]["y"]["zone"] is None
    assert main(["agree", "tests/data/institutions_three.yaml"]) == 0
    out = capsys.readouterr().out
    assert "40 - 80" in out and "possible" in out and "none" in out


@pytest.mark.parametrize("body, fragment", [
    ({"decision": {"rule": "qmv", "parties": ["a", "b"]}}, "decision.threshold: a qualified"),
    ({"decision": {"rule": "qmv", "threshold": 0.4}}, "must exceed 0.5"),
    ({"decision": {"parties": ["a", "nobody"]}}, "decision.parties[1]: unknown party"),
    ({"blocs": {"W": {"members": ["a", "zz"]}}}, "blocs.W.members[1]: unknown actor id"),
    ({"blocs": {"a": {"members": ["b"]}}}, "blocs.a: a bloc id must differ"),
    ({"blocs": {"W": {"members": ["a"], "broker": "a"}}}, "is not one of its members"),
    ({"linkage": [{"actor": "a", "issues": ["x"]}]}, "links at least two issues"),
    ({"linkage": [{"actor": "q", "issues": ["x", "x"]}]}, "linkage[0].actor: unknown actor"),
    ({"decision": {"rule": "unanimity", "threshold": 0.7}}, "only a qmv rule takes"),
])
def test_institutions_are_validated_field_by_field(body, fragment):
    doc = {"metadata": {"title": "t"}, "issues": {"x": {"name": "x", "status_quo": 50}},
           "actors": {"a": {"capability": 1, "issues": {"x": {"position": 10, "salience": 1}}},
                      "b": {"capability": 1, "issues": {"x": {"position": 90, "salience": 1}}}},
           **body}
    with pytest.raises(InputError) as err:
        negsim.scenario_from_dict(doc)
    assert fragment in str(err.value)


def test_existing_files_keep_their_results():
    # a wave-1 file has no institutions: runs are flat and report no agreement
    r = negsim.run("tests/data/wave1/nato_russia_2022_wave1.yaml", rounds=10, stop="never")
    assert r.agreement is None and r.plenary is None
    assert "agreement" not in r.issue_records()[0]


# -- properties ------------------------------------------------------------------------------

positions_st = st.lists(st.integers(0, 100).map(float), min_size=2, max_size=7)


@st.composite
def line_cases(draw):
    xs = draw(positions_st)
    sq = float(draw(st.integers(0, 100)))
    rule = draw(st.sampled_from(["unanimity", "qmv", "majority"]))
    weights = draw(st.lists(st.integers(1, 30), min_size=len(xs), max_size=len(xs)))
    threshold = draw(st.sampled_from([0.55, 0.65, 0.74, 0.9, 1.0]))
    return xs, sq, rule, weights, threshold


def _decision(names, rule, weights, threshold):
    dec = {"rule": rule, "parties": names}
    if rule in ("qmv", "majority"):
        dec["weights"] = dict(zip(names, weights))
    if rule == "qmv":
        dec["threshold"] = threshold
    return dec


def _zone(xs, sq, rule, weights, threshold, order=None):
    names = [f"p{i}" for i in range(len(xs))]
    idx = list(range(len(xs))) if order is None else order
    sc = case({names[i]: xs[i] for i in idx}, sq,
              _decision([names[i] for i in idx], rule, [weights[i] for i in idx], threshold))
    return agreement(sc).zone


@given(line_cases(), st.randoms())
def test_the_zone_does_not_depend_on_actor_order(c, rnd):
    xs, sq, rule, weights, threshold = c
    order = list(range(len(xs)))
    rnd.shuffle(order)
    assert _zone(*c) == _zone(xs, sq, rule, weights, threshold, order)


def _supporters(xs, weights, point, sq):
    return [w for x, w in zip(xs, weights) if abs(point - x) < abs(sq - x)]


@given(line_cases())
def test_every_point_of_the_zone_passes_and_no_point_outside_it_does(c):
    xs, sq, rule, weights, threshold = c
    zone = _zone(*c)
    total = sum(weights) if rule != "unanimity" else None
    for point in np.linspace(0, 100, 201):
        sup = _supporters(xs, weights if rule != "unanimity" else [1] * len(xs), point, sq)
        if rule == "unanimity":
            passes = len(sup) == len(xs)
        elif rule == "majority":
            passes = sum(sup) > 0.5 * total
        else:
            passes = sum(sup) >= threshold * total * (1 - 1e-12)
        inside = zone is not None and zone[0] < point < zone[1]
        on_edge = zone is not None and (abs(point - zone[0]) < 1e-9 or abs(point - zone[1]) < 1e-9)
        if inside:
            assert passes, (point, zone)
        elif not on_edge:
            assert not passes, (point, zone)


@given(positions_st, st.integers(0, 100), st.integers(0, 100))
def test_adding_a_veto_player_never_widens_the_zone(xs, sq, extra):
    names = [f"p{i}" for i in range(len(xs))]
    before = agreement(case(dict(zip(names, xs)), float(sq), {"rule": "unanimity"})).zone
    after = agreement(case({**dict(zip(names, xs)), "new": float(extra)}, float(sq),
                           {"rule": "unanimity"})).zone
    if before is None:
        assert after is None
    elif after is not None:
        assert before[0] - 1e-9 <= after[0] and after[1] <= before[1] + 1e-9


@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=9),
       st.lists(st.integers(1, 9), min_size=9, max_size=9),
       st.sampled_from([0.55, 0.7, 1.0]))
def test_aggregate_matches_a_brute_force_search(reach, weights, threshold):
    w = np.array(weights[: len(reach)], dtype=float)
    r = np.array(reach)
    body = Body("qmv", threshold=threshold)
    got = aggregate(r, w, body, 1e-9).value
    # brute force: the largest t (either sign) such that the voters with reach beyond t
    # carry the threshold
    best = 0.0
    for t in sorted(set(np.abs(r).tolist())):
        for sign in (1.0, -1.0):
            sup = w[(r * sign) >= t - 1e-12].sum() if t > 0 else 0
            if t > 0 and sup >= threshold * w.sum() * (1 - 1e-12):
                if t > abs(best):
                    best = sign * t
    assert got == pytest.approx(best)


# -- the flagship -----------------------------------------------------------------------------

FLAGSHIP = "scenarios/nato_russia_2022.yaml"
CORE, ARMS = ("I1", "I2", "I6", "I7"), ("I3", "I4", "I5")


@pytest.fixture(scope="module")
def flagship():
    return negsim.load_scenario(FLAGSHIP)


def test_flagship_no_agreement_on_any_issue_with_russias_linkage(flagship):
    ag = analyse_scenario(flagship)[1].by_issue()
    assert all(a.agreement != "possible" for a in ag.values())
    assert {i for i, a in ag.items() if a.agreement == "blocked by linkage"} == set(ARMS)


def test_flagship_without_linkage_core_items_have_no_zone_and_arms_control_do(flagship):
    ag = analyse_scenario(flagship.replace({"linkage": []}))[1].by_issue()
    assert all(ag[i].zone is None for i in CORE)
    assert all(ag[i].zone is not None and ag[i].agreement == "possible" for i in ARMS)
    assert ag["I3"].zone == (45.0, 75.0)


def test_flagship_the_most_reluctant_ally_moves_the_edge_of_an_arms_control_zone(flagship):
    base = analyse_scenario(flagship.replace({"linkage": []}))[1].by_issue()["I3"]
    assert "romania" in base.decisive
    moved = flagship.replace({"linkage": [], "actors.romania.issues.I3.position": 70,
                              "actors.poland.issues.I3.position": 70,
                              "actors.estonia.issues.I3.position": 70,
                              "actors.latvia.issues.I3.position": 70,
                              "actors.lithuania.issues.I3.position": 70})
    after = analyse_scenario(moved)[1].by_issue()["I3"]
    assert after.zone == (65.0, 75.0)
    # the largest Ally alone does not set it
    us = flagship.replace({"linkage": [], "actors.united_states.issues.I3.position": 20})
    assert analyse_scenario(us)[1].by_issue()["I3"].zone == (45.0, 75.0)


@pytest.mark.parametrize("rule", ["eum", "smp", "compromise", "median", "nash", "procedural"])
def test_flagship_two_level_runs_respect_nato_consensus(flagship, rule):
    r = negsim.run(flagship, rule=rule)
    recs = {x["issue"]: x for x in r.issue_records()}
    assert all(x["agreement"] != "agreed" for x in recs.values())
    members = set(flagship.bloc_members("nato"))
    for mv in r.moves():
        if mv["actor"] in members:
            assert mv["partner"] != "russia", mv
    if r.plenary is not None:
        # NATO's tabled position never leaves what all its members accept
        nato = r.plenary.ids.index("nato")
        for k, iid in enumerate(r.issue_ids):
            a = analyse_scenario(flagship)[1].by_issue()[iid]
            if "nato" not in a.blocs:
                continue        # I5 is decided by the US and Russia: NATO's consent is not needed
            sq = flagship.issues[iid].status_quo
            lo, hi = a.blocs["nato"] or (sq, sq)
            assert ((r.plenary.positions[0, k, nato] >= lo - 1e-9)
                    & (r.plenary.positions[0, k, nato] <= hi + 1e-9))


def test_flagship_package_fails_on_its_red_lines_without_a_linear_programme(flagship):
    # correctness of the fast path the benchmark times: the package is decided without the LP
    inst, ag = analyse_scenario(flagship)
    assert ag.packages[0]["can_pass"] is False and ag.packages[0]["blocked_by"]


def test_wave1_style_flat_runs_are_still_available(flagship):
    r = negsim.run(flagship.replace({"model.institutions": "off"}), rounds=5, stop="never")
    assert r.agreement is None and r.plenary is None


@given(st.lists(st.integers(0, 100), min_size=6, max_size=6),
       st.lists(st.integers(0, 100), min_size=6, max_size=6),
       st.sampled_from(["consensus", "qmv"]), st.integers(0, 100), st.integers(0, 100))
def test_vectorised_zones_equal_the_issue_by_issue_analysis(xs, ys, rule, sq_x, sq_y):
    """The per-round fast path (judge) finds the zones negsim agree finds."""
    from negsim.institutions import Institutions, analyse_issue, judge

    names = [f"m{i}" for i in range(5)] + ["r"]
    bloc = {"rule": rule, "members": names[:5]}
    if rule == "qmv":
        bloc.update(threshold=0.6, weights={n: i + 1 for i, n in enumerate(names[:5])})
    sc = case({n: {"x": float(a), "y": float(b)} for n, a, b in zip(names, xs, ys)},
              {"x": float(sq_x), "y": float(sq_y)}, {"rule": "unanimity", "parties": ["W", "r"]},
              blocs={"W": bloc}, issues=["x", "y"])
    a = sc.arrays()
    inst = Institutions.from_scenario(sc, a.actor_ids)
    j = judge(inst, a.positions, a.active, a.capability, a.salience, np.array([50.0, 50.0]))
    for k in range(2):
        z = analyse_issue(inst, k, a.positions, a.active, a.capability).zone
        if z is None:
            assert np.isnan(j.zone[k]).all()
        else:
            assert tuple(j.zone[k]) == pytest.approx(z)


@st.composite
def _institutions(draw):
    """Random scenarios over 3 issues and 7 actors: actors absent from some issues, status
    quos at the scale's ends or missing, positions at the status quo, a bloc deciding by
    consensus or qmv, and per-issue decisions by unanimity (actors, the bloc, or both, even
    overlapping) or qmv."""
    names = [f"a{i}" for i in range(7)]
    issues = ["x", "y", "z"]
    grid = st.sampled_from([0.0, 10.0, 25.0, 50.0, 50.0, 75.0, 90.0, 100.0])
    sqs = {iid: draw(st.one_of(st.none(), grid, grid, grid)) for iid in issues}
    actors = {}
    for n in names:
        per = {}
        for iid in issues:
            if n not in ("a5", "a6") and draw(st.integers(0, 5)) == 0:
                continue                                  # absent from this issue
            pos = sqs[iid] if (sqs[iid] is not None and draw(st.booleans())
                               and draw(st.booleans())) else draw(grid)
            per[iid] = {"position": pos, "salience": 0.5}
        if not per:
            per["x"] = {"position": 50.0, "salience": 0.5}
        actors[n] = {"capability": float(draw(st.integers(1, 9))), "issues": per}
    members = draw(st.lists(st.sampled_from(names[:5]), min_size=1, max_size=5, unique=True))
    bloc_rule = draw(st.sampled_from(["consensus", "unanimity", "qmv"]))
    bloc = {"rule": bloc_rule, "members": members}
    if bloc_rule == "qmv":
        bloc.update(threshold=0.6, weights={n: i + 1 for i, n in enumerate(members)})
    doc_issues = {}
    for iid in issues:
        spec = {"name": iid, "status_quo": sqs[iid]}
        kind = draw(st.integers(0, 3))
        if kind == 0:
            spec["decision"] = {"rule": "unanimity", "parties": ["W", "a5", "a6"]}
        elif kind == 1:
            spec["decision"] = {"rule": "consensus", "parties": ["W", members[0], "a6"]}
        elif kind == 2:
            spec["decision"] = {"rule": "unanimity",
                                "parties": draw(st.lists(st.sampled_from(names), min_size=1,
                                                         max_size=4, unique=True))}
        else:
            spec["decision"] = {"rule": "qmv", "parties": ["W", "a5", "a6"],
                                "threshold": 0.7}
        doc_issues[iid] = spec
    return negsim.scenario_from_dict({"metadata": {"title": "t"}, "issues": doc_issues,
                                      "actors": actors, "blocs": {"W": bloc}})


@given(_institutions())
def test_the_array_analysis_equals_the_issue_by_issue_one(sc):
    """analyse_issues (arrays over issues x parties x actors, the per-round log's path) gives
    exactly analyse_issue's zone, verdict, blockers, decisive actors and bloc sets; and the
    zones judge reuses from zones_at are the same as fresh ones."""
    from negsim.institutions import (Institutions, analyse_issue, analyse_issues, judge,
                                     zones_at)

    a = sc.arrays()
    inst = Institutions.from_scenario(sc, a.actor_ids)
    fast = analyse_issues(inst, a.positions, a.active, a.capability)
    for k in range(len(inst.issue_ids)):
        assert fast[k] == analyse_issue(inst, k, a.positions, a.active, a.capability), k
    at = zones_at(inst, a.positions, a.active, a.capability)
    bargain = np.array([50.0, 50.0, 50.0])
    j1 = judge(inst, a.positions, a.active, a.capability, a.salience, bargain, at=at)
    j2 = judge(inst, a.positions, a.active, a.capability, a.salience, bargain)
    np.testing.assert_array_equal(j1.codes, j2.codes)
    np.testing.assert_array_equal(j1.zone, j2.zone)
    assert j1.log(None, inst.issue_ids) == j2.log(None, inst.issue_ids)


@pytest.mark.parametrize("rule", ["compromise", "eum", "exchange"])
def test_reused_zones_and_acceptance_sets_change_no_record(flagship, rule, monkeypatch):
    """A run reuses the zones, bloc acceptance sets and opening plenary of an unchanged state
    (a one-shot rule's round 1 judges its opening again); with every reuse refused the records
    are the same."""
    import negsim._reuse

    def records():
        r = negsim.run(flagship, rule=rule, rounds=6)
        return r.agreement, r.zone, r.bargain, r.positions, r.forecast_series, r.log, \
            r.plenary.positions

    reused = records()
    never = type("NeverEqual", (), {"array_equal": staticmethod(lambda a, b: False),
                                    "__getattr__": lambda self, name: getattr(np, name)})()
    monkeypatch.setattr(negsim._reuse, "np", never)
    fresh = records()
    for a, b in zip(reused[:5], fresh[:5]):
        np.testing.assert_array_equal(a, b)
    assert reused[5] == fresh[5]
    np.testing.assert_array_equal(reused[6], fresh[6])
