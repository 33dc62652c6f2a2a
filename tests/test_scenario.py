"""Scenario files: loading (YAML, BDM CSV, long CSV), --set overrides, and validation that reports
every problem at once with file, line, field path and bad value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim.errors import InputError
from negsim.scenario import load_scenario, scenario_from_dict

from .conftest import DATA, EMISSION, NATO


def problems_of(path, overrides=None) -> list[str]:
    with pytest.raises(InputError) as info:
        load_scenario(path, overrides)
    return [p.format() for p in info.value.problems]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


MINIMAL = """\
    metadata: {title: Minimal}
    issues:
      I1: {name: One, scale: {low: 0, high: 100}}
      I2: {name: Two}
    actors:
      a: {capability: 1, issues: {I1: {position: 10, salience: 0.5}, I2: {position: 0, salience: 1}}}
      b: {capability: 2, issues: {I1: {position: 90, salience: 0.5}, I2: {position: 100, salience: 1}}}
      c: {capability: 1, bloc: X, issues: {I1: {position: 50, salience: 0.2}}}
    """


# -- the shipped scenarios --------------------------------------------------------------------

def test_nato_scenario_matches_the_research_pack():
    sc = load_scenario(NATO)
    assert len(sc.actors) == 33 and sc.issue_ids == [f"I{k}" for k in range(1, 8)]
    us, ru = sc.actors["united_states"], sc.actors["russia"]
    assert us.capability == 100 and ru.capability == 12.16
    assert (us.issues["I1"].position, us.issues["I1"].salience) == (50, 0.6)   # 60 -> 0.6
    assert (ru.issues["I7"].position, ru.issues["I7"].salience) == (0, 0.95)
    # the NAC/Secretary General brokers the NATO bloc and holds no capability of its own
    assert sc.actors["nac"].capability == 0
    assert list(sc.blocs) == ["nato"] and sc.blocs["nato"].rule == "consensus"
    assert sc.blocs["nato"].broker == "nac" and len(sc.bloc_members("nato")) == 30
    assert sc.decision.rule == "unanimity" and sc.decision.parties == ["nato", "russia"]
    (package,) = sc.linkage
    assert package.actor == "russia" and package.issues == ["I1", "I2", "I3", "I4", "I5", "I7"]
    assert {(c.issue, c.at_most) for c in package.conditions} == {("I1", 25), ("I2", 25),
                                                                   ("I7", 25)}
    blocs = {a.bloc for a in sc.actors.values()}
    assert blocs == {"NATO", "Russia", "Ukraine", "NATO institution"}
    assert sum(a.bloc == "NATO" for a in sc.actors.values()) == 30
    assert all(a.flag in ("S", "S/J", "J") for a in sc.actors.values())
    keys = {s.key for s in sc.metadata.sources if not isinstance(s, str)}
    assert {"S1", "S7", "S14", "D1", "D4"} <= keys
    assert sc.issues["I1"].ends.low.startswith("Binding ban")


def test_nato_file_is_generated_from_the_pack(tmp_path):
    """The committed YAML is exactly what the generator makes from the research pack."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "tools/build_nato_scenario.py"],
                         capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout == NATO.read_text()


def test_emission_yaml_and_csv_hold_the_same_data():
    yml = load_scenario(EMISSION)
    csv = load_scenario(DATA / "eum" / "emission_standards.csv")
    assert csv.issue_ids == ["issue"]
    a, b = yml.arrays(), csv.arrays()
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_allclose(a.salience, b.salience)      # 0-100 in both, read as 0-1
    np.testing.assert_array_equal(a.capability, b.capability)
    assert (b.low[0], b.high[0]) == (4.0, 10.0)              # CSV scale: the positions' span


# -- loading ------------------------------------------------------------------------------------

def test_absent_actor_is_not_salience_zero(tmp_path):
    sc = load_scenario(write(tmp_path, "s.yaml", MINIMAL))
    arr = sc.arrays()
    k2, c = sc.issue_ids.index("I2"), sc.actor_ids.index("c")
    assert not arr.active[k2, c]
    assert arr.active[0].all()


def test_long_csv_with_per_issue_capability(tmp_path):
    p = write(tmp_path, "long.csv", """\
        actor,issue,capability,position,salience
        A,tax,3,10,50
        A,trade,5,80,40
        B,tax,1,60,90
        B,trade,1,20,70
        C,tax,2,30,10
        """)
    sc = load_scenario(p)
    assert sc.issue_ids == ["tax", "trade"]
    assert sc.actors["A"].capability == 3 and sc.actors["A"].capability_by_issue == {"trade": 5}
    assert "trade" not in sc.actors["C"].issues
    assert sc.actors["B"].issues["tax"].salience == pytest.approx(0.9)   # auto: 0-100 file


def test_semicolon_and_tab_separated_tables(tmp_path):
    p = write(tmp_path, "t.csv", "actor;capability;position;salience\nA;1;10;0.5\nB;2;20;0.7\n")
    assert load_scenario(p).actors["B"].capability == 2
    p = write(tmp_path, "t.tsv", "actor\tcapability\tposition\tsalience\nA\t1\t10\t0.5\nB\t2\t20\t.7\n")
    assert load_scenario(p).actors["B"].issues["issue"].salience == 0.7


def test_set_overrides_values_and_creates_stances(tmp_path):
    p = write(tmp_path, "s.yaml", MINIMAL)
    sc = load_scenario(p, ["actors.a.issues.I1.salience=0.9", "actors.c.issues.I2={position: 5, "
                           "salience: 0.4}", "model.params.q=0.5", "model.max_rounds=7"])
    assert sc.actors["a"].issues["I1"].salience == 0.9
    assert sc.actors["c"].issues["I2"].position == 5
    assert sc.model.params == {"q": 0.5} and sc.model.max_rounds == 7


def test_bad_overrides_are_reported_with_their_origin(tmp_path):
    p = write(tmp_path, "s.yaml", MINIMAL)
    msgs = problems_of(p, ["actors.zed.issues.I1.salience=0.9", "actors.a.issues.I1.salience=3",
                           "nonsense"])
    assert any(m.startswith("--set: actors.zed.issues.I1.salience: no such field 'actors.zed'")
               for m in msgs)
    assert any(m.startswith("--set: actors.a.issues.I1.salience: salience must be within")
               and "(got 3.0)" in m for m in msgs)
    assert any("expected PATH=VALUE" in m for m in msgs)


def test_scenario_replace_and_roundtrip(tmp_path):
    sc = load_scenario(NATO)
    sc2 = sc.replace({"actors.germany.issues.I6.salience": 0.9})
    assert sc2.actors["germany"].issues["I6"].salience == 0.9
    assert sc.actors["germany"].issues["I6"].salience == 0.85   # the original is unchanged
    # to_yaml -> load gives the same scenario (saliences already on 0-1)
    p = tmp_path / "again.yaml"
    p.write_text(sc.to_yaml())
    again = load_scenario(p)
    assert again.model_dump(exclude={"source"}) == sc.model_dump(exclude={"source"})


# -- validation: every problem at once -----------------------------------------------------------

def test_broken_file_reports_every_problem_with_line_path_and_value():
    msgs = problems_of(DATA / "broken.yaml")
    f = str(DATA / "broken.yaml")
    expected = [
        f"{f}:10: issues.I2.scale: scale low must be below high (got '10..0')",
        f"{f}:13: actors.alpha.capability: must be greater than or equal to 0 (got -3)",
        f"{f}:15: actors.alpha.issues.I1.position: position lies off the issue's scale 0-100 "
        "(got 120.0)",
        f"{f}:19: actors.beta.issues.I1.salience: salience must be within 0-1 (got 1.7)",
        f"{f}:20: actors.beta.issues.I9: unknown issue id (known: I1, I2) (got 'I9')",
        f"{f}:24: actors.gamma.issues.I1.position: must be a finite number (NaN and infinity "
        "are not allowed) (got nan)",
        f"{f}:25: actors.gamma: duplicate key (it appears more than once here) (got 'gamma')",
        f"{f}:31: model.params.probability: must be one of scholz, literal, masad (got 'psychic')",
        f"{f}:33: events[0].actor: unknown actor id (got 'delta')",
    ]
    assert msgs == expected


@pytest.mark.parametrize("text, fragment", [
    ("metadata: {title: T}\nissues: {I1: {name: x}}\nactors:\n  a: {capability: 1, issues: "
     "{I1: {position: 5, salience: 0.5}}}\n", "actors: a negotiation needs at least two actors"),
    ("metadata: {title: T}\nissues: {I1: {name: x}}\nactors:\n  a: {capability: 1, issues: "
     "{I1: {position: 5, salience: 0.5}}}\n  b: {capability: 1, issues: {}}\n",
     "issues.I1: fewer than two actors take part in this issue (got 1)"),
    ("metadata: {title: T}\nissues: {I1: {name: x}}\nactors:\n  a: {capability: 0, issues: "
     "{I1: {position: 5, salience: 0.5}}}\n  b: {capability: 1, issues: {I1: {position: 5, "
     "salience: 0}}}\n", "no position carries any weight"),
    ("metadata: {title: T}\nissues: {I1: {name: x}}\nactors:\n  a: {capability: 1, issues: "
     "{I1: {position: 5, salince: 0.5}}}\n", "actors.a.issues.I1.salince: unknown field"),
    ("metadata: {title: T}\nissues: {I1: {name: x}}\nactors:\n  a: {capability: 1, issues: "
     "{I1: {position: 5, salience: 150}}}\n  b: {capability: 1, issues: {I1: {position: 5, "
     "salience: 50}}}\n", "salience must be within 0-1, or 0-100 for the whole file (got 150.0)"),
    ("metadata: {title: T}\nissues: {I1: {name: x}}\nactors:\n  a: {capability: 1, issues: "
     "{I1: {position: 5, salience: 0.5}}}\n  b: {capability: 1, issues: {I1: {position: 50, "
     "salience: 0.5}}}\nmodel: {rule: oracle}\n", "model.rule: unknown rule"),
    ("metadata: {title: T}\nissues: {I1: {name: x}}\nactors:\n  a: {capability: 1, issues: "
     "{I1: {position: 5, salience: 0.5}}}\n  b: {capability: 1, issues: {I1: {position: 50, "
     "salience: 0.5}}}\nevents:\n  - {round: 500, actor: a, issue: I1, position: 3}\n"
     "  - {round: 2, remove: a, actor: b, issue: I1, position: 3}\n",
     "events[0].round: event falls after the last round"),
])
def test_single_problems(tmp_path, text, fragment):
    msgs = problems_of(write(tmp_path, "s.yaml", text))
    assert any(fragment in m for m in msgs), msgs


def test_event_forms_and_stances(tmp_path):
    base = MINIMAL.rstrip(" ") + """\
    events:
      - {round: 2, remove: a, actor: b, issue: I1, position: 3}
      - {round: 3, actor: c, issue: I2, position: 40}
      - {round: 3, actor: c, issue: I2, position: 40, salience: 0.5}
      - {round: 4, remove: a}
      - {round: 5, remove: a}
    """
    msgs = problems_of(write(tmp_path, "s.yaml", base))
    assert any("events[0]: an event must do exactly one thing" in m for m in msgs)
    assert any("events[1]: c takes no part in I2; give both position and salience" in m
               for m in msgs)
    assert not any("events[2]" in m for m in msgs)
    assert any("events[4].remove: actor has already left" in m for m in msgs)


def test_malformed_yaml_gives_the_line(tmp_path):
    p = write(tmp_path, "bad.yaml", "metadata: {title: T}\nissues:\n  I1: {name: x\nactors: {}\n")
    (msg,) = problems_of(p)
    assert msg.startswith(f"{p}:4: malformed YAML")


@pytest.mark.parametrize("text, line, fragment", [
    ("actor,capability,position,salience\nA,1,10,0.5\nB,2,20\n", 3, "expected 4 fields"),
    ("actor,capability,position,salience\nA,1,10,0.5\nA,2,20,0.4\n", 3, "duplicate actor"),
    ("actor,capability,position,salience\nA,1,10,0.5\nB,x,20,0.4\n", 3,
     "actors.B.capability: must be a number (got 'x')"),
    ("actor,capability,position,salience\nA,1,nan,0.5\nB,2,20,0.4\n", 2,
     "actors.A.issues.issue.position: must be a finite number"),
    ("actor,capability,position,salience\nA,-1,10,0.5\nB,2,20,0.4\n", 2,
     "actors.A.capability: must be greater than or equal to 0 (got -1.0)"),
    ("actor,capability,posn,salience\nA,1,10,0.5\n", 1, "missing column(s) position"),
])
def test_malformed_csv_gives_the_line(tmp_path, text, line, fragment):
    p = write(tmp_path, "t.csv", text)
    msgs = problems_of(p)
    assert any(m.startswith(f"{p}:{line}:") and fragment in m for m in msgs), msgs


def test_missing_file_and_unknown_suffix(tmp_path):
    [line] = problems_of(tmp_path / "nope.yaml")
    assert line.startswith(f"{tmp_path / 'nope.yaml'}: no such file (shipped scenarios, usable "
                           "by name: ") and "nato_russia_2022" in line
    p = write(tmp_path, "s.xlsx", "x")
    assert "unknown file type" in problems_of(p)[0]


def test_scenario_from_dict_validates():
    with pytest.raises(InputError):
        scenario_from_dict({"metadata": {"title": "x"}, "issues": {}, "actors": {}})
    sc = scenario_from_dict({"metadata": {"title": "x"}, "issues": {"I": {"name": "i"}},
                             "actors": {"a": {"capability": 1, "issues": {"I": {"position": 1,
                                                                                 "salience": 1}}},
                                        "b": {"capability": 1, "issues": {"I": {"position": 2,
                                                                                 "salience": 1}}}}})
    assert isinstance(sc, negsim.Scenario)
