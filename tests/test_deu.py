"""The DEU loader: the published layout (tab or semicolon), missing values and 999, unanimity
rows, skipped issues counted, dates as the redistributed copy spells them, capabilities, and
issues as scenarios a user can run."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import yaml

import negsim
from negsim.deu import Capabilities, DeuData, parse_date, read_deu
from negsim.errors import InputError

from .conftest import DATA, ROOT

SMALL = DATA / "deu" / "small.tsv"
SEMICOLON = DATA / "deu" / "small_semicolon.csv"
MALFORMED = DATA / "deu" / "malformed.tsv"


@pytest.fixture(scope="module")
def small() -> DeuData:
    return read_deu(SMALL)


def test_rows_become_issue_records(small):
    assert small.actors == ["com", "ep", "fr", "de", "uk", "nl"]
    assert small.gdp == {"com": 4.1, "ep": 4.1, "fr": 2.8, "de": 4.1, "uk": 2.6, "nl": 1.0}
    assert [i.id for i in small.issues] == ["t01i1", "t01i2", "t02i1", "t02i2", "t03i1",
                                            "t03i2", "t04i1"]
    first = small.issue("t01i1")
    assert first.line == 3                       # header, GDP line, then the rows
    assert first.stances == {"com": (100, 50), "ep": (100, 50), "fr": (40, 20), "de": (0, 80),
                             "uk": (100, 60)}
    assert "nl" not in first.stances             # blank position: not involved
    assert (first.procedure, first.voting_rule, first.reference_point, first.outcome) == \
        ("COD", "QMV", 0.0, 100.0)
    assert first.title == "documents" and first.proposal == "t01" and first.council == "General"


def test_999_is_missing_data_and_the_actor_is_absent(small):
    issue = small.issue("t01i2")
    # fr: position 999; de: salience 999 -> both left out, and named as missing
    assert set(issue.stances) == {"com", "ep", "uk", "nl"}
    assert issue.missing == ("fr", "de")
    assert issue.reference_point is None         # blank rp
    assert small.issue("t04i1").reference_point is None   # rp 150: off the scale


def test_a_position_without_salience_is_missing_unless_read_as_zero(small):
    assert "nl" not in small.issue("t04i1").stances
    zero = read_deu(SMALL, missing_salience="zero")
    assert zero.issue("t04i1").stances["nl"] == (80.0, 0.0)
    assert zero.issue("t01i2").stances["de"] == (20.0, 0.0)
    assert zero.counts()["stances"]["salience_read_as_zero"] == 2


def test_unanimity_rows_and_voting_codes(small):
    assert small.issue("t02i1").voting_rule == "unanimity"
    assert small.issue("t02i1").vote_code == "Unan"
    assert small.issue("t02i1").procedure == "CNS"
    assert small.issue("t02i2").voting_rule == "QMV"          # QMV(10) reads as QMV
    assert small.issue("t02i2").vote_code == "QMV(10)"
    assert small.issue("t03i2").voting_rule == "unanimity"


def test_unscorable_issues_are_skipped_and_counted(small):
    assert [i.id for i in small.scorable()] == ["t01i1", "t01i2", "t02i1", "t04i1"]
    assert small.issue("t02i2").skip_reason == "few_actors"    # two actors
    assert small.issue("t03i1").skip_reason == "no_outcome"    # blank outcome
    assert small.issue("t03i2").skip_reason == "no_outcome"    # 999 outcome
    assert small.counts() == {
        "issues": 7, "with_outcome": 5, "scorable": 4,
        "skipped": {"no_outcome": 2, "few_actors": 1},
        "stances": {"taking_part": 26, "missing_position": 1, "missing_salience": 2,
                    "salience_read_as_zero": 0},
    }


def test_semicolon_original_layout_reads_the_same(small):
    original = read_deu(SEMICOLON)
    assert original.gdp is None                  # the DEU III download has no GDP line
    assert original.issues == [i.__class__(**{**i.__dict__, "line": i.line - 1})
                               for i in small.issues]


def test_decimal_commas_in_semicolon_files(tmp_path):
    text = SEMICOLON.read_text().replace(";150;45\n", ";150;45,5\n")
    path = tmp_path / "comma.csv"
    path.write_text(text)
    assert read_deu(path).issue("t04i1").outcome == 45.5


@pytest.mark.parametrize("text, expected", [
    ("26-01-00", dt.date(2000, 1, 26)),
    ("19-07-99", dt.date(1999, 7, 19)),
    ("15-12-2015", dt.date(2015, 12, 15)),
    ("1930-05-01", dt.date(2001, 5, 30)),    # DD-MM-YY re-read by a spreadsheet as YY-MM-DD
    ("2018-03-17", dt.date(2017, 3, 18)),
    ("1999-03-04", dt.date(1999, 3, 4)),     # no day 99: an ISO date after all
    ("999", None), ("", None),
])
def test_dates(text, expected):
    assert parse_date(text) == expected


def test_iso_dates_can_be_taken_literally():
    assert parse_date("2018-03-17", spreadsheet_dates=False) == dt.date(2018, 3, 17)
    with pytest.raises(ValueError):
        parse_date("yesterday")


def test_malformed_cells_are_reported_with_file_line_field_value():
    with pytest.raises(InputError) as info:
        read_deu(MALFORMED)
    got = [p.format() for p in info.value.problems]
    name = str(MALFORMED)
    assert got == [
        f"{name}:2: t01i1.pfr: must be a number (blank: not involved; 999: missing) (got 'abc')",
        f"{name}:3: t01i2.finact: not a date (expected DD-MM-YY; blank or 999 when unknown) "
        "(got '32-13-99')",
        f"{name}:4: t02i1.out: must be a number (blank: not involved; 999: missing) "
        "(got 'high')",
        f"{name}:5: t01i1.isnr: duplicate issue id (first on line 2) (got 't01i1')",
        f"{name}:6: row has 20 fields but the header has 27",
    ]


def test_missing_columns_and_unreadable_files(tmp_path):
    path = tmp_path / "cut.tsv"
    path.write_text("isnr\tpfr\tsfr\tout\nx1\t10\t20\t30\n")
    with pytest.raises(InputError) as info:
        read_deu(path)
    assert [p.path for p in info.value.problems] == ["proc", "counvte", "rp"]
    with pytest.raises(InputError) as info:
        read_deu(tmp_path / "nope.tsv")
    assert "cannot read the file" in info.value.problems[0].message


def test_the_shipped_copy_counts():
    data = read_deu()
    counts = data.counts()
    assert (counts["issues"], counts["with_outcome"], counts["scorable"]) == (364, 353, 351)
    assert counts["skipped"] == {"no_outcome": 11, "few_actors": 2}
    assert len(data.actors) == 30 and data.gdp["com"] == data.gdp["ep"] == data.gdp["de"] == 4.1
    assert sorted({i.procedure for i in data.issues}) == ["CNS", "COD"]
    assert sorted({i.voting_rule for i in data.issues}) == ["QMV", "unanimity"]
    # every date reads, none in the future of the data, and no act precedes its proposal
    dated = [i for i in data.issues if i.adopted and i.introduced]
    assert all(dt.date(1995, 1, 1) <= i.introduced <= i.adopted <= dt.date(2019, 12, 31)
               for i in dated)


# ------------------------------------------------------------------------------------------
# capabilities

def test_gdp_capabilities_and_institution_shares(small):
    issue = small.issue("t01i1")
    assert small.capabilities(issue, Capabilities("gdp")) == \
        {"com": 4.1, "ep": 4.1, "fr": 2.8, "de": 4.1, "uk": 2.6}
    half = small.capabilities(issue, Capabilities("gdp", com=0.5, ep={"COD": 0, "CNS": 1}))
    assert half["com"] == pytest.approx(2.05) and half["ep"] == 0.0 and half["fr"] == 2.8
    cns = small.issue("t04i1")
    assert small.capabilities(cns, Capabilities("gdp", ep={"COD": 0}))["ep"] == 4.1  # file's


def test_council_weights_follow_the_regime_on_the_decision_date(small):
    # 30 May 2001: EU-15 weights (large states 10); institutions as the largest state
    assert small.capabilities(small.issue("t01i2"), Capabilities("council")) == \
        {"com": 10, "ep": 10, "uk": 10, "nl": 5}
    # no final act: the proposal date (1998) picks the regime
    assert small.capabilities(small.issue("t02i1"), Capabilities("council"))["de"] == 10
    # 18 March 2017: Lisbon population shares
    lisbon = small.capabilities(small.issue("t04i1"),
                                Capabilities("council", ep={"CNS": 0, "COD": 1}))
    assert lisbon == {"com": 15.93, "ep": 0.0, "fr": 13.04, "de": 15.93, "uk": 12.73}


def test_equal_capabilities(small):
    assert set(small.capabilities(small.issue("t01i1"), Capabilities("equal")).values()) == {1}


def test_gdp_capability_needs_a_gdp_line():
    data = read_deu(SEMICOLON)
    with pytest.raises(InputError) as info:
        data.check_capabilities(Capabilities("gdp"))
    assert "no GDP line" in info.value.problems[0].message


# ------------------------------------------------------------------------------------------
# scenarios

def test_an_issue_becomes_a_scenario(small):
    sc = small.scenario(small.issue("t01i2"))
    assert sc.issue_ids == ["t01i2"] and sc.actor_ids == ["com", "ep", "uk", "nl"]
    assert sc.actors["nl"].issues["t01i2"].salience == 0.6        # 0-100 -> 0-1
    assert sc.actors["uk"].capability == 2.6
    assert sc.issues["t01i2"].status_quo is None
    assert small.scenario(small.issue("t01i1")).issues["t01i1"].status_quo == 0.0
    assert (sc.model.rule, sc.model.max_rounds, sc.model.stop) == ("eum", 10, "never")
    assert "Outcome recorded in the DEU data: 50" in sc.metadata.notes
    assert "fr, de" in sc.metadata.notes                          # missing data named


def test_compromise_forecast_by_hand(small):
    # t02i1 with GDP capabilities: weights c x s = com 4.1x90, fr 2.8x30, de 4.1x60, uk 2.6x70
    w = {"com": 369.0, "fr": 84.0, "de": 246.0, "uk": 182.0}
    x = {"com": 0.0, "fr": 100.0, "de": 50.0, "uk": 100.0}
    expected = sum(w[a] * x[a] for a in w) / sum(w.values())
    result = negsim.run(small.scenario(small.issue("t02i1")), rule="compromise")
    assert result.forecast["t02i1"] == pytest.approx(expected)


def test_export_writes_a_scenario_negsim_runs(tmp_path):
    out = tmp_path / "t01i1.yaml"
    proc = subprocess.run([sys.executable, "-m", "negsim", "backtest", "deu", str(SMALL),
                           "--export", "t01i1", "--out", str(out)], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(out.read_text())
    assert doc["salience_scale"] == "percent"
    assert doc["actors"]["de"]["issues"]["t01i1"] == {"position": 0.0, "salience": 80.0}
    loaded = negsim.load_scenario(out)
    small = read_deu(SMALL)
    assert loaded.model_dump(exclude={"source"}) == \
        small.scenario(small.issue("t01i1")).model_dump(exclude={"source"})
    run = subprocess.run([sys.executable, "-m", "negsim", "run", str(out)], capture_output=True,
                         text=True, cwd=ROOT)
    assert run.returncode == 0 and "t01i1" in run.stdout


def test_export_several_and_unknown_ids(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "negsim", "backtest", "deu", str(SMALL),
                           "--export", "all", "--out", str(tmp_path / "cases")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "cases").iterdir()) == \
        ["t01i1.yaml", "t01i2.yaml", "t02i1.yaml", "t04i1.yaml"]
    bad = subprocess.run([sys.executable, "-m", "negsim", "backtest", "deu", str(SMALL),
                          "--export", "t01i1,zz9"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2
    assert "--export: unknown DEU issue id" in bad.stderr and "'zz9'" in bad.stderr
