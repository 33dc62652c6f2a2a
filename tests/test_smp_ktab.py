"""KTAB's CSV layout (negsim/ktab.py): every shipped KTAB file reads, layout variants read the
same, malformed files get field-level problems with file and line, and the command line runs
KTAB files with SMP and other scenarios with ``--model smp``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import negsim
from negsim.readers import read_document
from negsim.errors import InputError

from .conftest import DATA, NATO, SCENARIOS

KTAB = SCENARIOS / "ktab"
REFERENCE = DATA / "ktab"
SIZES = {"dummyData_3Dim": (7, 3), "dummyData_6Dim": (27, 6), "dummyData-a040": (40, 1),
         "dummyData-a080": (80, 1), "dummyData-a160": (160, 1), "SOE-Policy": (26, 1),
         "SOE-Competitive": (34, 1), "SOE-Pol-Comp": (13, 2)}

HEADER = "Actor,Description,Power,Pstn1,Sal1,Pstn2,Sal2,"
GOOD = ["Alpha,first,10,20,30,40,50,", "Beta,second,20,60,10,30,20,",
        "Gamma,third,5,90,40,10,40,"]


def write(tmp_path, lines, name="case.csv", newline="\n"):
    path = tmp_path / name
    path.write_bytes(newline.join(lines).encode("utf-8") + newline.encode())
    return path


def problems_of(path):
    with pytest.raises(InputError) as info:
        negsim.load_scenario(path)
    return info.value.problems


@pytest.mark.parametrize("name", sorted(SIZES))
def test_every_shipped_ktab_file_reads(name):
    sc = negsim.load_scenario(KTAB / f"{name}.csv")
    n, d = SIZES[name]
    assert len(sc.actors) == n and len(sc.issues) == d
    assert sc.model.rule == "smp" and sc.model.max_rounds == 100
    for issue in sc.issues.values():
        assert (issue.scale.low, issue.scale.high) == (0.0, 100.0)
    a = sc.arrays()
    assert a.active.all()
    assert (a.salience.sum(axis=0) <= 1.0 + 1e-12).all()   # KTAB's 0-100 saliences / 100


def test_values_of_dummy_data():
    sc = negsim.load_scenario(KTAB / "dummyData_3Dim.csv")
    assert sc.title == "DummyData_3Dim"
    assert sc.metadata.description == "Dummy scenario to test reading format"
    actor = sc.actors["SActor-02"]
    assert actor.capability == 129.643 and actor.notes == "Random Spatial Actor"
    assert actor.issues["Pstn3"].position == 0.07
    assert actor.issues["Pstn3"].salience == pytest.approx(0.3462)
    assert sc.issues["Pstn1"].name == "Pstn1"


def test_issue_ids_from_header_names():
    sc = negsim.load_scenario(KTAB / "SOE-Pol-Comp.csv")
    assert list(sc.issues) == ["Policy_Position", "Competitive_Position"]
    assert sc.issues["Policy_Position"].name == "Policy Position"


def test_layout_variants_read_the_same(tmp_path):
    base = negsim.load_scenario(write(tmp_path, ["Demo,A demo,3,2,", HEADER, *GOOD]))
    variants = {
        "no trailing commas": ["Demo,A demo,3,2", HEADER.rstrip(","),
                               *[g.rstrip(",") for g in GOOD]],
        "spaces and quotes": ['Demo , "A demo", 3, 2, ', " , ".join(HEADER.split(",")),
                              *[", ".join(g.split(",")) for g in GOOD]],
        "blank lines, extra first-line fields": ["", "Demo,A demo,3,2,0,,,", "", HEADER, "",
                                                 *GOOD, ""],
    }
    for what, lines in variants.items():
        sc = negsim.load_scenario(write(tmp_path, lines))
        assert sc.model_dump(exclude={"source"}) == base.model_dump(exclude={"source"}), what
    crlf = negsim.load_scenario(write(tmp_path, ["Demo,A demo,3,2,", HEADER, *GOOD],
                                      newline="\r\n"))
    assert crlf.model_dump(exclude={"source"}) == base.model_dump(exclude={"source"})
    (tmp_path / "bom").mkdir()
    bom = tmp_path / "bom" / "case.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + "\n".join(["Demo,A demo,3,2,", HEADER, *GOOD]).encode())
    assert negsim.load_scenario(bom).model_dump(exclude={"source"}) == \
        base.model_dump(exclude={"source"})


def test_bdm_actor_tables_are_not_mistaken_for_ktab():
    doc = read_document(DATA / "eum" / "emission_standards.csv")
    assert doc.kind == "csv-bdm"
    assert read_document(KTAB / "dummyData_3Dim.csv").kind == "csv-ktab"


@pytest.mark.parametrize("lines, path, line, fragment", [
    (["Demo,A demo,4,2,", HEADER, *GOOD], "", 1, "declares 4 actor(s) but 3"),
    (["Demo,A demo,3,3,", HEADER, *GOOD], "", 2, "header needs 9 fields"),
    (["Demo,A demo,3,2,", HEADER, GOOD[0], "Beta,second,20,60,10,30,", GOOD[2]], "", 4,
     "expected 7 fields"),
    (["Demo,A demo,3,2,", HEADER, GOOD[0], "Beta,second,20,sixty,10,30,20,", GOOD[2]],
     "actors.Beta.issues.Pstn1.position", 4, "must be a number"),
    (["Demo,A demo,3,2,", HEADER, GOOD[0], "Beta,second,20,60,70,30,40,", GOOD[2]],
     "actors.Beta.issues", 4, "total at most 100"),
    (["Demo,A demo,3,2,", HEADER, GOOD[0], "Beta,second,20,160,10,30,20,", GOOD[2]],
     "actors.Beta.issues.Pstn1.position", 4, "off the issue's scale 0-100"),
    (["Demo,A demo,3,2,", HEADER, GOOD[0], "Beta,second,-2,60,10,30,20,", GOOD[2]],
     "actors.Beta.capability", 4, "greater than or equal to 0"),
    (["Demo,A demo,3,2,", HEADER, GOOD[0], GOOD[1], GOOD[0]], "actors.Alpha", 5,
     "duplicate actor"),
    (["Demo,A demo,3,zero,", HEADER, *GOOD], None, None, None),   # not KTAB: a BDM table error
    (["Demo,A demo,3,0,", HEADER, *GOOD], "", 1, "number of dimensions"),
])
def test_malformed_files_get_field_level_problems(tmp_path, lines, path, line, fragment):
    problems = problems_of(write(tmp_path, lines))
    if path is None:
        assert any("not a negsim actor table" in p.message for p in problems)
        return
    match = [p for p in problems if p.path == path and fragment in p.message]
    assert match, [p.format() for p in problems]
    assert match[0].line == line and match[0].file.endswith("case.csv")


def test_every_problem_is_reported_at_once(tmp_path):
    lines = ["Demo,A demo,3,2,", HEADER, "Alpha,first,10,20,30,40,80,",
             "Beta,second,20,60,10,30,", "Gamma,third,5,nine,40,10,40,"]
    problems = problems_of(write(tmp_path, lines))
    found = {(p.line, p.path) for p in problems}
    assert {(3, "actors.Alpha.issues"), (4, ""), (5, "actors.Gamma.issues.Pstn1.position")} \
        <= found


def test_cli_reports_bad_ktab_file_with_status_2(tmp_path):
    path = write(tmp_path, ["Demo,A demo,3,2,", HEADER, GOOD[0],
                            "Beta,second,20,sixty,10,30,20,", GOOD[2]])
    out = subprocess.run([sys.executable, "-m", "negsim", "run", str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert f"{path}:4: actors.Beta.issues.Pstn1.position: must be a number (got 'sixty')" \
        in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_runs_nato_with_model_smp():
    out = subprocess.run([sys.executable, "-m", "negsim", "run", str(NATO), "--model", "smp",
                          "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import json

    doc = json.loads(out.stdout)
    assert doc["model"] == "smp" and doc["params"]["salience_scaling"] == "auto"
    assert 2 <= doc["rounds_run"] <= 100
    for issue in doc["issues"].values():
        for pos in issue["trajectory"][-1]["positions"].values():
            assert 0.0 <= pos <= 100.0


def test_ktab_run_is_identical_from_python_and_from_a_yaml_round_trip(tmp_path):
    """The KTAB file as a negsim scenario: saving it as YAML and running that gives the same
    run (nothing of the model lives in the reader)."""
    sc = negsim.load_scenario(KTAB / "SOE-Pol-Comp.csv")
    yaml_path = tmp_path / "soe.yaml"
    yaml_path.write_text(sc.to_yaml())
    a = negsim.run(KTAB / "SOE-Pol-Comp.csv")
    b = negsim.run(yaml_path)
    assert a.rounds_run == b.rounds_run
    np.testing.assert_array_equal(a.positions, b.positions)
