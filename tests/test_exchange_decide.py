"""decide's input format (negsim/readers/decide.py): the MODEL.md section-4 example reads into the
same scenario as the long CSV, delimiters and quotes are guessed, #M rows set scales, and every
malformed record is reported at once with its line and field (exit 2)."""

from __future__ import annotations

import numpy as np
import pytest

import negsim
from negsim.cli import main
from negsim.readers.decide import looks_like_decide

EXAMPLE = """'#A'\t'A1'\t'A1'\t''
'#A'\t'A2'\t'A2'\t''
'#P'\t'I1'\t'I1'\t''
'#P'\t'I2'\t'I2'\t''
'#D'\t'A1'\t'I1'\t0\t0.1\t1
'#D'\t'A1'\t'I2'\t0\t0.9\t1
'#D'\t'A2'\t'I1'\t100\t0.6\t1
'#D'\t'A2'\t'I2'\t100\t0.5\t1
"""
LONG = """actor,issue,position,salience,capability
A1,I1,0,0.1,1
A1,I2,0,0.9,1
A2,I1,100,0.6,1
A2,I2,100,0.5,1
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def same_arrays(a, b):
    x, y = a.arrays(), b.arrays()
    assert x.actor_ids == y.actor_ids and x.issue_ids == y.issue_ids
    for name in ("positions", "salience", "capability", "active", "low", "high"):
        np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)


def test_example_reads_like_the_long_csv(tmp_path):
    dec = negsim.load_scenario(write(tmp_path, "tiny2.txt", EXAMPLE))
    csv = negsim.load_scenario(write(tmp_path, "tiny2.csv", LONG))
    same_arrays(dec, csv)
    assert dec.model.rule == "exchange" and dec.model.max_rounds == 10
    assert dec.model.stop == "never"
    res = negsim.run(dec)
    assert res.forecast_series[1] == pytest.approx([100.0, 28.5714], abs=1e-4)


@pytest.mark.parametrize("delim, quote", [(";", ""), (",", '"'), ("\t", ""), (";", "'")])
def test_delimiters_and_quotes(tmp_path, delim, quote):
    rows = [line.split("\t") for line in EXAMPLE.strip().splitlines()]
    text = "\n".join(delim.join(f"{quote}{c.strip(chr(39))}{quote}" if not c.strip("'").replace(
        ".", "").isdigit() else c for c in row) for row in rows) + "\n"
    assert looks_like_decide(text)
    same_arrays(negsim.load_scenario(write(tmp_path, "x.csv", text)),
                negsim.load_scenario(write(tmp_path, "y.csv", LONG)))


def test_scale_labels_power_by_issue_and_percent_saliences(tmp_path):
    text = "\n".join([
        "'#/'\t'a comment'", "'#A'\t'nl'\t'The Netherlands'\t'note'", "'#A'\t'de'\t'Germany'",
        "'#P'\t'toll'\t'Toll level'\t''", "'#P'\t'when'\t'When'\t''",
        "'#M'\t'toll'\t7\t'high toll'", "'#M'\t'toll'\t0.5\t'low toll'",
        "'#M'\t'toll'\t3\t'middle'", "'#O'\t'A free description'",
        "'#D'\t'nl'\t'toll'\t2\t60\t10\t'extra'\t'words'", "'#D'\t'nl'\t'when'\t50\t40\t20",
        "'#D'\t'de'\t'toll'\t7\t50\t30", "'#D'\t'de'\t'when'\t0\t90\t30", ""])
    sc = negsim.load_scenario(write(tmp_path, "toll.txt", text))
    toll = sc.issues["toll"]
    assert (toll.scale.low, toll.scale.high) == (0.5, 7.0)
    assert (toll.ends.low, toll.ends.high) == ("low toll", "high toll")
    assert toll.anchors == {3.0: "middle"}
    assert sc.issues["when"].scale.high == 100
    nl = sc.actor_spec("nl")
    assert nl.name == "The Netherlands" and nl.capability == 10
    assert nl.capability_by_issue == {"when": 20}
    assert nl.issues["toll"].salience == pytest.approx(0.6)     # 0-100 file: percent
    assert "free description" in sc.metadata.notes
    res = negsim.run(sc, rounds=2)
    assert np.all((res.positions[:, 0] >= 0.5) & (res.positions[:, 0] <= 7.0))


def test_malformed_files_give_field_level_errors(tmp_path, capsys):
    text = "\n".join([
        "'#A'\t'A1'\t'A1'", "'#A'\t'A1'\t'again'", "'#A'\t'A2'\t'A2'",
        "'#P'\t'I1'\t'I1'", "'#P'\t'I2'\t'I2'", "'#M'\t'I9'\t0\t'x'", "'#M'\t'I2'\tlow\t'x'",
        "'#D'\t'A1'\t'I1'\t0\t0.1\t1", "'#D'\t'A1'\t'I1'\t10\t0.1\t1",
        "'#D'\t'A3'\t'I1'\t0\t0.1\t1", "'#D'\t'A2'\t'I7'\t0\t0.1\t1",
        "'#D'\t'A2'\t'I1'\tabc\t0.6\t1", "'#D'\t'A2'\t'I2'\t150\t0.5\t1",
        "'#D'\t'A1'\t'I2'\t0\t0.9", "'#X'\t'what'", ""])
    path = write(tmp_path, "bad.txt", text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    expected = [
        ":2: actors.A1: duplicate actor id (first on line 1)",
        ":6: issues.I9: #M row for an issue with no #P row",
        ":7: issues.I2.scale: #M position must be a number (got 'low')",
        ":9: actors.A1.issues.I1: duplicate #D row for this actor and issue (first on line 8)",
        ":10: actors.A3: unknown actor id (no #A row defines it)",
        ":11: actors.A2.issues.I7: unknown issue id (no #P row defines it)",
        ":12: actors.A2.issues.I1.position:",
        ":13: actors.A2.issues.I2.position: position lies off the issue's scale",
        ":14: #D row: missing power",
        ":15: unknown row type",
    ]
    for piece in expected:
        assert piece in err, piece
    assert "nothing was run or written" in err


def test_one_point_scale_and_empty_files(tmp_path, capsys):
    text = "'#A'\t'A1'\t'A1'\n'#P'\t'I1'\t'I1'\n'#M'\t'I1'\t5\t'x'\n'#D'\t'A1'\t'I1'\t5\t1\t1\n"
    assert main(["validate", str(write(tmp_path, "one.txt", text))]) == 2
    assert "issues.I1.scale: the #M rows give a scale of one point" in capsys.readouterr().err
    assert main(["validate", str(write(tmp_path, "none.txt", "'#A'\t'A1'\t'A1'\n"))]) == 2
    assert "no issue (#P row)" in capsys.readouterr().err


def test_other_tables_are_not_decide():
    assert not looks_like_decide(LONG)
    assert not looks_like_decide("Name,Desc,7,3,\n")
    assert looks_like_decide("\n#A;A1;A1;\n")
