"""Charts: what they show, checked on the matplotlib artists (not just that a file appears).

A small synthetic scenario (two blocs and an actor without one, four issues) gives every
status in eight rounds: consensus from round 2 (S), deadlock from round 4 (Q), unsettled
(P, R), with a what-if on R in round 3 and an actor leaving in round 5.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D

import negsim
from negsim.cli import main
from negsim.errors import InputError
from negsim.plots import (load_comparison, plot_comparison, plot_convergence, plot_final_strip,
                          plot_quadrant, plot_small_multiples, save_figure, view_region)
from negsim.plots._style import OKABE_ITO
from negsim.result import RunResult

from .conftest import EMISSION, NATO, NATO_FLAT, ROOT


def synthetic_scenario() -> dict:
    spec = [("a1", "North", 40, {"P": (10, 0.9), "Q": (0, 0.8), "R": (20, 0.5), "S": (48, .5)}),
            ("a2", "North", 25, {"P": (30, 0.6), "Q": (5, 0.9), "R": (80, 0.7), "S": (50, .5)}),
            ("a3", "South", 30, {"P": (35, 0.5), "Q": (100, .9), "R": (60, .6), "S": (51, .5)}),
            ("a4", "South", 20, {"P": (40, 0.4), "Q": (95, 0.8), "R": (40, .9), "S": (80, .5)}),
            ("a5", None, 10, {"P": (60, 0.3), "Q": (50, 0.2), "R": (100, .4), "S": (50, .5)})]
    actors = {}
    for aid, bloc, cap, stances in spec:
        actors[aid] = {"name": "Fund $5bn" if aid == "a5" else aid.upper(), "capability": cap,
                       "issues": {k: {"position": p, "salience": s}
                                  for k, (p, s) in stances.items()}}
        if bloc:
            actors[aid]["bloc"] = bloc
    return {
        "metadata": {"title": "Synthetic <test> & co", "date": "2024-01-01",
                     "description": "A test case with <markup> that must be escaped.",
                     "sources": [{"key": "X", "citation": "A <b>bold</b> source",
                                  "url": "https://example.org/a?b=1&c=2"},
                                 {"citation": "Not a link", "url": "javascript:alert(1)"},
                                 "a plain source"]},
        "issues": {"P": {"name": "Price", "ends": {"low": "Cheap", "high": "Dear"},
                         "anchors": {50: "Middle"}},
                   "Q": {"name": "Quota", "ends": {"low": "None", "high": "Full"}},
                   "R": {"name": "Rights"},
                   "S": {"name": "Standards"}},
        "actors": actors,
        "model": {"max_rounds": 8, "stop": "never"},
        "events": [{"round": 3, "actor": "a5", "issue": "R", "position": 10,
                    "label": "A5 shifts on rights"},
                   {"round": 5, "remove": "a5"}],
    }


def _save(result: RunResult, path, command: str | None = None):
    result.command = command
    result.save(path)
    return path


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    result = negsim.run(negsim.scenario_from_dict(synthetic_scenario()), record_pairs=True)
    return _save(result, tmp_path_factory.mktemp("synth") / "run", "negsim run synth.yaml")


@pytest.fixture(scope="module")
def synth(synth_dir):
    return RunResult.load(synth_dir)


@pytest.fixture(scope="module")
def emission_dir(tmp_path_factory):
    result = negsim.run(EMISSION, record_pairs=True)
    return _save(result, tmp_path_factory.mktemp("emission") / "run",
                 "negsim run scenarios/bdm1994_emission_standards.yaml --out run")


@pytest.fixture(scope="module")
def emission(emission_dir):
    return RunResult.load(emission_dir)


def actor_lines(ax) -> dict[str, Line2D]:
    return {ln.get_gid()[6:]: ln for ln in ax.get_lines()
            if (ln.get_gid() or "").startswith("actor:")}


def by_gid(ax, gid: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_the_synthetic_run_has_every_status(synth):
    got = {iid: (s.status, s.since) for iid, s in zip(synth.issue_ids, synth.statuses)}
    assert got == {"P": ("unsettled", None), "Q": ("deadlock", 4), "R": ("unsettled", None),
                   "S": ("consensus", 2)}


# -- convergence chart ----------------------------------------------------------------------
@pytest.mark.parametrize("issue", ["P", "Q", "R", "S"])
def test_convergence_draws_every_actor_by_round(synth, issue):
    fig = plot_convergence(synth, issue)
    ax = fig.axes[0]
    lines = actor_lines(ax)
    assert sorted(lines) == ["a1", "a2", "a3", "a4", "a5"]
    for aid, line in lines.items():
        np.testing.assert_array_equal(line.get_xdata(), np.arange(9))
        np.testing.assert_array_equal(line.get_ydata(), synth.trajectory(issue, aid))
    # a5 leaves in round 5: its line stops there
    assert np.isnan(lines["a5"].get_ydata()[5:]).all()
    # width by capability (a1 40 > a3 30 > a2 25 > a4 20 > a5 10); colour by bloc
    widths = [lines[a].get_linewidth() for a in ("a1", "a3", "a2", "a4", "a5")]
    assert widths == sorted(widths, reverse=True) and widths[0] > 1.5 * widths[-1]
    colour = {a: to_hex(lines[a].get_color()) for a in lines}
    assert colour["a1"] == colour["a2"] != colour["a3"] == colour["a4"] != colour["a5"]
    assert {colour["a1"], colour["a3"]} <= {c.lower() for c in OKABE_ITO}
    # forecast and mean are the run's, the band is mean +- dispersion
    k = synth.issue_ids.index(issue)
    (forecast,) = by_gid(ax, "forecast")
    (mean,) = by_gid(ax, "mean")
    np.testing.assert_array_equal(forecast.get_ydata(), synth.median[:, k])
    np.testing.assert_array_equal(mean.get_ydata(), synth.mean[:, k])
    assert forecast.get_linewidth() > max(widths) - 1
    (band,) = [c for c in ax.collections if c.get_gid() == "dispersion"]
    assert isinstance(band, PolyCollection)
    top = band.get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(min(100, float((synth.mean[:, k] + synth.dispersion[:, k])
                                                .max())))
    # the legend is by bloc, with counts
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "North (2 actors)" in texts and "South (2 actors)" in texts
    assert "no bloc (1 actor)" in texts


def test_y_axis_carries_the_issue_labels(synth, emission):
    def ticks(result, issue):
        ax = plot_convergence(result, issue).axes[0]
        return list(ax.get_yticks()), [t.get_text() for t in ax.get_yticklabels()]

    values, labels = ticks(synth, "P")
    assert values == [0, 50, 100]
    assert labels == ["Cheap (0)", "Middle (50)", "Dear (100)"]
    values, labels = ticks(emission, "emission")
    assert values == [4, 7, 10]
    assert labels == ["4-year delay (4)", "7-year delay (7)", "10-year delay (10)"]
    # an issue without labels shows its numeric ends
    assert ticks(synth, "R") == ([0, 100], ["0", "100"])


def test_the_convergence_round_marked_is_the_runs(synth):
    for issue, status, since in [("S", "consensus", 2), ("Q", "deadlock", 4)]:
        ax = plot_convergence(synth, issue).axes[0]
        (marker,) = by_gid(ax, "settled")
        assert list(marker.get_xdata()) == [since, since]
        assert synth.status(issue).since == since
        assert f"{status} from round {since}" in ax.get_title(loc="left")
    ax = plot_convergence(synth, "P").axes[0]
    assert by_gid(ax, "settled") == []
    assert "unsettled (oscillating) after 8 rounds" in ax.get_title(loc="left")


def test_events_are_marked_between_the_rounds_they_separate(synth):
    ax = plot_convergence(synth, "R").axes[0]
    marks = {a.get_gid(): list(a.get_xdata()) for a in ax.get_lines()
             if (a.get_gid() or "").startswith("event:")}
    assert marks == {"event:3": [2.5, 2.5], "event:5": [4.5, 4.5]}
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "round 3: A5 shifts on rights" in texts
    # the shock on R does not concern P; the departure (every issue) does
    ax = plot_convergence(synth, "P").axes[0]
    assert [a.get_gid() for a in ax.get_lines() if (a.get_gid() or "").startswith("event")] \
        == ["event:5"]


def test_unknown_issue_is_an_input_error(synth):
    with pytest.raises(InputError, match="unknown issue"):
        plot_convergence(synth, "nope")


def test_crowded_scenario_keeps_a_legend_by_bloc(tmp_path):
    result = RunResult.load(_save(negsim.run(NATO, rounds=4, record_pairs=True), tmp_path))
    fig = plot_convergence(result, "I1")
    ax = fig.axes[0]
    assert len(actor_lines(ax)) == 33
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "NATO (30 actors)" in legend and "Russia (1 actor)" in legend
    assert len(legend) <= 10
    # every actor at the line ends is named, or counted in its bloc's "n NATO members"
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("label:")]
    named = [a for t in labels for a in t.get_gid()[6:].split(",")]
    assert sorted(named) == sorted(result.actor_ids)
    summaries = [t.get_text() for t in labels if t.get_text().endswith("NATO members")]
    assert summaries and all(t.get_fontstyle() == "italic" for t in labels
                             if t.get_text() in summaries)


def test_a_long_cycle_is_drawn_until_it_has_repeated_a_few_times(tmp_path):
    result = RunResult.load(_save(negsim.run(NATO_FLAT, rounds=40, stop="never"), tmp_path))
    assert result.status("I1").detail == "cycle of 2"
    ax = plot_convergence(result, "I1").axes[0]
    left, right = ax.get_xlim()
    assert left == 0 and 12 <= right < 40
    assert "repeat every 2 rounds up to round 40" in ax.get_xlabel()
    # the claim holds in the records: from the last round drawn on, every 2 rounds repeat
    k = result.issue_ids.index("I1")
    pos = result.positions[:, k]
    for t in range(int(right) - 1, 41):
        np.testing.assert_allclose(pos[t], pos[t - 2], atol=1e-9)


# -- small multiples -----------------------------------------------------------------------
def test_small_multiples_order_issues_by_status(synth):
    fig = plot_small_multiples(synth)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_gid()]
    assert [ax.get_gid() for ax in panels] == ["issue:S", "issue:Q", "issue:P", "issue:R"]
    status = [[t.get_text() for t in ax.texts if t.get_gid() == "status"][0] for ax in panels]
    assert status == ["consensus from round 2", "deadlock from round 4",
                      "unsettled (oscillating)", "unsettled (cycle of 3)"]
    for ax in panels:
        assert len(actor_lines(ax)) == 5
    assert "1 consensus, 1 deadlock, 2 unsettled" in fig._suptitle.get_text()


# -- final-state strip chart ---------------------------------------------------------------
def test_strip_puts_each_actor_at_its_final_position_sized_by_weight(emission):
    fig = plot_final_strip(emission)
    (ax,) = [a for a in fig.axes if a.get_gid() == "issue:emission"]
    points = actor_lines(ax)
    assert len(points) == 10
    T = emission.rounds_run
    weight = {}
    for aid, line in points.items():
        i = emission.actor_ids.index(aid)
        assert line.get_xdata()[0] == pytest.approx(emission.positions[T, 0, i])
        weight[aid] = emission.capability[T, 0, i] * emission.salience[T, 0, i]
    ranked = sorted(points, key=lambda a: weight[a])
    areas = [points[a].get_markersize() ** 2 for a in ranked]
    assert areas == sorted(areas) and areas[-1] > 5 * areas[0]   # UK (0.144) vs Ireland (0.005)
    # points at one position are stacked, not drawn on top of each other
    at_four = [(points[a].get_xdata()[0], points[a].get_ydata()[0])
               for a in ("netherlands", "germany", "denmark")]
    assert len(set(at_four)) == 3
    (forecast,) = by_gid(ax, "forecast")
    assert forecast.get_xdata()[0] == emission.median[T, 0] == 7.0
    assert [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()] == \
        ["4-year delay (4)", "7-year delay (7)", "10-year delay (10)"]


def test_strip_of_an_earlier_round(synth):
    fig = plot_final_strip(synth, 2)
    (ax,) = [a for a in fig.axes if a.get_gid() == "issue:P"]
    (forecast,) = by_gid(ax, "forecast")
    assert forecast.get_xdata()[0] == synth.median[2, 0]
    with pytest.raises(InputError, match="round must be between 0 and 8"):
        plot_final_strip(synth, 9)


# -- view from an actor ---------------------------------------------------------------------
#: BDM 1994's Belgium chart (MODEL.md section 2.2 item 4 and 2.3): other -> (x, y), +-0.03.
BELGIUM = {"denmark": (-0.83, 0.24), "uk": (-0.65, 0.24), "germany": (-0.47, 0.24),
           "netherlands": (-0.47, 0.24), "france": (-0.11, 0.24), "italy": (-0.11, 0.24),
           "luxembourg": (0.61, 0.24), "ireland": (0.0, 0.0), "greece": (0.0, 0.0)}


def _points(ax) -> dict[str, tuple[float, float]]:
    return {aid: (line.get_xdata()[0], line.get_ydata()[0])
            for aid, line in actor_lines(ax).items()}


def _data_of(ax, text) -> tuple[float, float]:
    """A text's anchor in data coordinates, whatever coordinates it was placed in."""
    display = text.get_transform().transform(text.get_position())
    return tuple(ax.transData.inverted().transform(display))


def test_view_from_belgium_reproduces_bdm1994(emission):
    fig = plot_quadrant(emission, "belgium", "emission", 1)
    ax = fig.axes[0]
    points = _points(ax)
    assert set(points) == set(BELGIUM)
    for other, (x, y) in BELGIUM.items():
        assert points[other] == pytest.approx((x, y), abs=0.03), other
    i = emission.actor_ids.index("belgium")
    for other, (x, y) in points.items():
        j = emission.actor_ids.index(other)
        assert x == emission.pair_info["eu_ij"][1, 0, i, j]
        assert y == emission.pair_info["eu_ji"][1, 0, i, j]
    assert "View from Belgium" in ax.get_title(loc="left") and "round 1" in ax.get_title(loc="left")
    # actors at the same point share a label, as on BDM's chart
    labels = {t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("label:")}
    assert {"Netherlands, Germany", "France, Italy", "Ireland, Greece", "Luxembourg"} <= labels


@pytest.mark.parametrize("x, y, region", [
    (0.61, 0.24, "confrontation"), (-0.11, 0.24, "compromise:focal"),
    (-0.83, 0.24, "capitulation:focal"), (0.5, -0.2, "compromise:other"),
    (0.2, -0.5, "capitulation:other"), (-0.2, -0.1, "status quo"), (0.0, 0.0, "same position"),
    (-5e-17, 0.0, "same position")])
def test_view_regions_follow_the_octants(x, y, region):
    assert view_region(x, y) == region


@pytest.mark.parametrize("focal", ["belgium", "france", "uk"])
def test_each_actor_sits_in_the_quadrant_its_expected_utilities_say(emission, focal):
    fig = plot_quadrant(emission, focal)
    ax = fig.axes[0]
    region_texts = {t.get_gid()[7:]: t for t in ax.texts
                    if (t.get_gid() or "").startswith("region:")}
    assert set(region_texts) == {"confrontation", "compromise:focal", "capitulation:focal",
                                 "compromise:other", "capitulation:other", "status quo"}
    # every region caption lies inside its own region ...
    for key, text in region_texts.items():
        assert view_region(*_data_of(ax, text)) == key, key
    # ... and every actor at its EUs, hence in the region those EUs say
    i = emission.actor_ids.index(focal)
    quadrants = {"confrontation": (1, 1), "status quo": (-1, -1),
                 "compromise:focal": (-1, 1), "capitulation:focal": (-1, 1),
                 "compromise:other": (1, -1), "capitulation:other": (1, -1)}
    for other, (x, y) in _points(ax).items():
        j = emission.actor_ids.index(other)
        a, b = emission.pair_info["eu_ij"][1, 0, i, j], emission.pair_info["eu_ji"][1, 0, i, j]
        assert (x, y) == (a, b)
        region = view_region(x, y)
        if region != "same position":
            sx, sy = quadrants[region]
            assert (np.sign(a), np.sign(b)) == (sx, sy)
            cx, cy = _data_of(ax, region_texts[region])
            assert (np.sign(cx), np.sign(cy)) == (sx, sy)


def test_view_from_belgium_regions(emission):
    ax = plot_quadrant(emission, "belgium").axes[0]
    regions = {other: view_region(*xy) for other, xy in _points(ax).items()}
    assert regions == {"luxembourg": "confrontation", "france": "compromise:focal",
                       "italy": "compromise:focal", "denmark": "capitulation:focal",
                       "uk": "capitulation:focal", "germany": "capitulation:focal",
                       "netherlands": "capitulation:focal", "ireland": "same position",
                       "greece": "same position"}


def test_quadrant_errors(synth, emission, tmp_path):
    with pytest.raises(InputError, match="unknown actor"):
        plot_quadrant(emission, "atlantis")
    with pytest.raises(InputError, match="round must be between 1 and 10"):
        plot_quadrant(emission, "belgium", rnd=0)
    with pytest.raises(InputError, match="takes no part in issue P in round 6"):
        plot_quadrant(synth, "a5", "P", 6)
    median = RunResult.load(_save(negsim.run(EMISSION, rule="median"), tmp_path / "median"))
    with pytest.raises(InputError, match="rule 'median' records no expected utilities"):
        plot_quadrant(median)
    no_pairs = negsim.run(EMISSION, rounds=2)
    with pytest.raises(InputError, match="no pairwise records"):
        plot_quadrant(no_pairs)


# -- comparison ----------------------------------------------------------------------------
def _compare_dir(tmp_path):
    d = tmp_path / "cmp"
    (d / "eum").mkdir(parents=True)
    shutil.copy(EMISSION, d / "eum" / "scenario.yaml")
    doc = {"scenario": "EC emission standards", "scenario_file": str(EMISSION),
           "models": ["eum", "median", "compromise"],
           "issues": {
               "emission": {"name": "Delay", "scale": [4, 10], "spread": 0.39,
                            "models": {
                                "eum": {"forecast": 7.0, "status": "unsettled",
                                        "converged_round": None, "rounds_run": 10},
                                "median": {"forecast": 7.0, "status": "consensus",
                                           "converged_round": 1, "rounds_run": 1},
                                "compromise": {"forecast": 7.39, "status": "consensus",
                                               "converged_round": 1, "rounds_run": 1}}},
               "other": {"name": "Other issue", "scale": [0, 1], "spread": 0.5,
                         "models": {"eum": {"forecast": 0.25, "status": "deadlock",
                                            "converged_round": 3, "rounds_run": 5},
                                    "median": {"forecast": 0.75, "status": "unsettled",
                                               "converged_round": None, "rounds_run": 5}}}}}
    (d / "compare.json").write_text(json.dumps(doc))
    (d / "compare.csv").write_text("issue,model,forecast,status,converged_round,rounds_run\n")
    return d


def test_comparison_chart_puts_each_models_forecast_on_the_issue_scale(tmp_path):
    d = _compare_dir(tmp_path)
    fig = plot_comparison(d)
    axes = {ax.get_gid(): ax for ax in fig.axes if ax.get_gid()}
    assert list(axes) == ["issue:emission", "issue:other"]
    em = axes["issue:emission"]
    marks = {ln.get_gid()[6:]: ln for ln in em.get_lines()
             if (ln.get_gid() or "").startswith("model:")}
    assert {m: marks[m].get_xdata()[0] for m in marks} == {"eum": 7.0, "median": 7.0,
                                                           "compromise": 7.39}
    assert [t.get_text() for t in em.get_yticklabels()] == ["eum", "median", "compromise"]
    assert [marks[m].get_ydata()[0] for m in ("eum", "median", "compromise")] == [0, 1, 2]
    # open marker for the unsettled run, filled for settled ones
    assert to_hex(marks["eum"].get_markerfacecolor()) == "#ffffff"
    assert to_hex(marks["median"].get_markerfacecolor()) != "#ffffff"
    # the issue's labels come from the models' scenario.yaml; an unknown issue shows numbers
    assert "4-year delay (4)" in [t.get_text() for t in em.get_xticklabels()]
    assert em.get_xlim()[0] < 4 < 10 < em.get_xlim()[1]
    other = axes["issue:other"]
    assert other.get_title(loc="left") == "other Other issue"
    assert "spread 0.5" == other.get_title(loc="right")
    assert len([ln for ln in other.get_lines() if (ln.get_gid() or "").startswith("model:")]) == 2


def test_broken_compare_json_lists_every_problem(tmp_path):
    d = _compare_dir(tmp_path)
    doc = json.loads((d / "compare.json").read_text())
    doc["issues"]["emission"]["scale"] = [10, 4]
    doc["issues"]["other"]["models"]["eum"]["forecast"] = None
    doc["issues"]["other"]["models"]["median"]["status"] = "done"
    (d / "compare.json").write_text(json.dumps(doc))
    with pytest.raises(InputError) as exc:
        load_comparison(d)
    paths = [p.path for p in exc.value.problems]
    assert paths == ["issues.emission.scale", "issues.other.models.eum.forecast",
                     "issues.other.models.median.status"]


# -- files and the command line --------------------------------------------------------------
def test_plot_command_writes_every_chart(synth_dir, emission_dir, tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["plot", str(emission_dir), "--out", str(out), "--dpi", "60"]) == 0
    written = capsys.readouterr().out.split()
    names = sorted(p.split("/")[-1] for p in written)
    assert names == ["convergence-emission.png", "multiples.png",
                     "quadrant-uk-emission-r1.png", "strip.png"]
    for path in written:
        data = open(path, "rb").read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    # default place: RUN_DIR/figures; one issue, one focal actor, another round, SVG and PDF
    assert main(["plot", str(synth_dir), "--kind", "quadrant", "--issue", "S", "--actor", "a2",
                 "--round", "3", "--format", "svg"]) == 0
    (svg,) = capsys.readouterr().out.split()
    assert svg == str(synth_dir / "figures" / "quadrant-a2-S-r3.svg")
    text = open(svg).read()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "Fund $5bn" in text          # a dollar sign is text, not mathtext
    assert main(["plot", str(synth_dir), "--kind", "multiples", "--format", "pdf",
                 "--out", str(out)]) == 0
    (pdf,) = capsys.readouterr().out.split()
    assert open(pdf, "rb").read(5) == b"%PDF-"


def test_plot_command_draws_from_records_without_simulating(emission_dir, tmp_path,
                                                            monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("charts must not re-simulate")

    monkeypatch.setattr(negsim.NegotiationModel, "run", refuse)
    monkeypatch.setattr(negsim.NegotiationModel, "step", refuse)
    assert main(["plot", str(emission_dir), "--kind", "convergence", "--out",
                 str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("convergence-emission.png")


def test_plot_command_detects_a_compare_directory(tmp_path, capsys):
    d = _compare_dir(tmp_path)
    assert main(["plot", str(d), "--dpi", "50"]) == 0
    (path,) = capsys.readouterr().out.split()
    assert path == str(d / "figures" / "compare.png")


@pytest.mark.parametrize("args, message", [
    (["plot", "{missing}"], "no such run directory"),
    (["plot", "{run}", "--issue", "I9"], "--issue: unknown issue (known: emission) (got 'I9')"),
    (["plot", "{run}", "--kind", "quadrant", "--actor", "atlantis"], "--actor: unknown actor"),
    (["plot", "{run}", "--round", "11"], "--round: round must be between"),
    (["plot", "{run}", "--kind", "compare"], "is not a compare directory"),
    (["plot", "{run}", "--dpi", "5"], "--dpi: must be between"),
    (["plot", "{median}", "--kind", "quadrant"], "records no expected utilities"),
    (["plot", "{compare}", "--kind", "strip"], "is a compare directory"),
    (["plot", "{empty}"], "not a run directory (no summary.json)"),
    (["run", str(EMISSION), "--plot"], "--plot: needs --out DIR"),
])
def test_bad_plot_requests_exit_2_without_writing(args, message, emission_dir, tmp_path,
                                                   capsys):
    median = _save(negsim.run(EMISSION, rule="median"), tmp_path / "median")
    (tmp_path / "empty").mkdir()
    where = {"run": str(emission_dir), "missing": str(tmp_path / "nope"),
             "median": str(median), "compare": str(_compare_dir(tmp_path)),
             "empty": str(tmp_path / "empty")}
    out = tmp_path / "out"
    argv = [a.format(**where) for a in args]
    if argv[0] == "plot":
        argv += ["--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_run_plot_writes_figures_from_the_stored_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(EMISSION), "--rounds", "3", "--out", str(out), "--plot",
                 "--json"]) == 0
    captured = capsys.readouterr()
    json.loads(captured.out)                        # stdout stays one JSON document
    assert f"wrote 4 figures to {out}/figures/" in captured.err
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "convergence-emission.png", "figures.json", "multiples.png",
        "quadrant-uk-emission-r1.png", "strip.png"]


def test_charts_leave_no_pyplot_state_and_save_cleanly(synth, tmp_path):
    code = ("import sys, matplotlib; matplotlib.use('Agg'); import negsim; "
            "from negsim.plots import plot_small_multiples, load_run, save_figure; "
            f"r = load_run({str(tmp_path / 'run')!r}); "
            f"save_figure(plot_small_multiples(r), {str(tmp_path / 'm.png')!r}, 50); "
            "print('matplotlib.pyplot' in sys.modules)")
    _save(synth, tmp_path / "run")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
    assert (tmp_path / "m.png").stat().st_size > 5000
    # and every figure of the synthetic run draws (text with '$' included) to PNG
    for fig in (plot_convergence(synth, "P"), plot_final_strip(synth),
                plot_quadrant(synth, "a1", "R")):
        path = save_figure(fig, tmp_path / "x.png", dpi=40)
        assert path.stat().st_size > 2000
    assert math.isfinite(float(synth.median[-1, 0]))


def test_actors_beyond_the_palette_stay_distinguishable(emission):
    """Ten actors without blocs: the tenth shares a colour with the first, so it is dashed in
    the convergence chart and square in the strip chart."""
    lines = actor_lines(plot_convergence(emission).axes[0])
    style = {a: (to_hex(ln.get_color()), ln.get_linestyle()) for a, ln in lines.items()}
    assert len(set(style.values())) == 10
    strip = [a for a in plot_final_strip(emission).axes if a.get_gid() == "issue:emission"][0]
    look = {a: (to_hex(ln.get_markerfacecolor()), ln.get_marker())
            for a, ln in actor_lines(strip).items()}
    assert look["greece"] != look["netherlands"]


# -- the flagship at 33 actors: labels, sizes, highlight, events ------------------------------
from matplotlib.text import Text  # noqa: E402

from negsim.commands.plot import DEFAULT_DPI as CLI_DPI, FIGSIZE as CLI_FIGSIZE  # noqa: E402
from negsim.plots import plot_whatif_convergence  # noqa: E402
from negsim.plots._style import DEFAULT_DPI, FIGSIZE, GREY, MAX_PIXELS  # noqa: E402


@pytest.fixture(scope="module")
def nato_dir(tmp_path_factory):
    """The flagship as 'negsim run scenarios/nato_russia_2022.yaml --out DIR' writes it."""
    d = tmp_path_factory.mktemp("nato") / "run"
    assert main(["run", str(NATO), "--out", str(d)]) == 0
    return d


@pytest.fixture(scope="module")
def nato(nato_dir):
    return RunResult.load(nato_dir)


def window(artist, renderer):
    """An artist's box in display pixels (a text's own box: no arrow, no bbox patch)."""
    return Text.get_window_extent(artist, renderer) if isinstance(artist, Text) \
        else artist.get_window_extent(renderer)


def name_labels(ax) -> list[Text]:
    return [t for t in ax.texts if (t.get_gid() or "").startswith("label:")]


def marker_centres(ax) -> dict[str, np.ndarray]:
    """Every actor's marker (and every count badge) on ``ax``, in display pixels."""
    out = {aid: ax.transData.transform((ln.get_xdata()[0], ln.get_ydata()[0]))
           for aid, ln in actor_lines(ax).items()}
    for t in ax.texts:
        if (t.get_gid() or "").startswith("badge:"):
            out[t.get_gid()] = ax.transData.transform(t.get_position())
    return out


def box_distance(box, point) -> float:
    dx = max(box.x0 - point[0], 0.0, point[0] - box.x1)
    dy = max(box.y0 - point[1], 0.0, point[1] - box.y1)
    return float(np.hypot(dx, dy))


def assert_labels_read_right(fig, ax):
    """No two names overlap (boxes from the renderer), every name is inside the axes, and
    every name is nearer its own marker than any other marker, or has a leader line that
    ends at its marker."""
    renderer = fig.canvas.get_renderer()
    labels = name_labels(ax)
    assert labels
    boxes = [window(t, renderer) for t in labels]
    frame = ax.get_window_extent(renderer)
    for t, b in zip(labels, boxes):
        assert frame.x0 - 0.5 <= b.x0 and b.x1 <= frame.x1 + 0.5, t.get_text()
        assert frame.y0 - 0.5 <= b.y0 and b.y1 <= frame.y1 + 0.5, t.get_text()
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            a, b = boxes[i], boxes[j]
            overlap_w = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_h = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert overlap_w <= 0.5 or overlap_h <= 0.5, (labels[i].get_text(),
                                                          labels[j].get_text())
    centres = marker_centres(ax)
    leaders = {ln.get_gid()[7:]: ln for ln in ax.get_lines()
               if (ln.get_gid() or "").startswith("leader:")}
    for t, b in zip(labels, boxes):
        own = t.get_gid()[6:].split(",")
        assert all(a in centres for a in own), t.get_gid()
        d_own = min(box_distance(b, centres[a]) for a in own)
        d_other = min((box_distance(b, p) for a, p in centres.items() if a not in own),
                      default=np.inf)
        if d_own < d_other:
            continue
        line = leaders.get(t.get_gid())
        assert line is not None, f"{t.get_text()!r} is nearer another marker, without a leader"
        ends = ax.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
        assert min(np.hypot(*(ends[0] - centres[a])) for a in own) < 16, t.get_text()


@pytest.mark.parametrize("focal, issue", [("russia", "I1"), (None, "I1"), (None, "I4"),
                                          ("germany", "I6")])
def test_flagship_view_names_every_actor_without_collisions(nato, focal, issue):
    fig = plot_quadrant(nato, focal, issue)
    ax = fig.axes[0]
    assert_labels_read_right(fig, ax)
    named = {a for t in name_labels(ax) for a in t.get_gid()[6:].split(",")}
    assert named == set(_points(ax))                    # everyone shown is named
    # the region captions cover no label
    renderer = fig.canvas.get_renderer()
    regions = [window(t, renderer) for t in ax.texts if (t.get_gid() or "").startswith("region")]
    for t in name_labels(ax):
        assert not any(window(t, renderer).overlaps(r) for r in regions), t.get_text()


def test_flagship_strip_names_actors_without_collisions(nato):
    fig = plot_final_strip(nato)
    T = nato.rounds_run
    for k, iid in enumerate(nato.issue_ids):
        (ax,) = [a for a in fig.axes if a.get_gid() == f"issue:{iid}"]
        assert_labels_read_right(fig, ax)
        # every actor is a named point or counted in a badge of its bloc at its position
        named = {a for t in name_labels(ax) for a in t.get_gid()[6:].split(",")}
        badges = {t.get_gid(): t for t in ax.texts if (t.get_gid() or "").startswith("badge:")}
        counted = [a for g in badges for a in g[6:].split(",")]
        present = {nato.actor_ids[i] for i in np.flatnonzero(nato.active[T, k])}
        assert named | set(counted) == present and not named & set(counted)
        for gid, badge in badges.items():
            members = gid[6:].split(",")
            assert badge.get_text() == str(len(members)) and len(members) >= 4
            where = {float(nato.positions[T, k, nato.actor_ids.index(a)]) for a in members}
            assert max(where) - min(where) <= 0.005 * 100
            assert len({nato.scenario.actor_spec(a).bloc for a in members}) == 1
    # the question a class asks: which NATO member sits with Russia at 0 on I1?
    (ax,) = [a for a in fig.axes if a.get_gid() == "issue:I1"]
    at_zero = [nato.actor_name(a) for a in nato.actor_ids
               if nato.positions[T, 0, nato.actor_ids.index(a)] == 0]
    texts = " ".join(t.get_text().replace("\n", " ") for t in name_labels(ax))
    assert at_zero and all(name in texts for name in at_zero)


def test_the_cli_and_the_charts_agree_on_sizes():
    assert (CLI_DPI, CLI_FIGSIZE) == (DEFAULT_DPI, FIGSIZE)
    assert FIGSIZE[0] / FIGSIZE[1] == pytest.approx(16 / 9)
    assert max(FIGSIZE) * DEFAULT_DPI <= MAX_PIXELS


def test_every_chart_is_16_9_and_at_most_2000_pixels(nato_dir, tmp_path, capsys):
    assert main(["plot", str(nato_dir), "--out", str(tmp_path / "f")]) == 0
    written = capsys.readouterr().out.split()
    assert len(written) == 7 + 1 + 1 + 7
    for path in written:
        data = open(path, "rb").read()
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert max(width, height) <= 2000 and width / height == pytest.approx(16 / 9, rel=0.01)
        assert len(data) < 350_000, path          # about 300 KB at most
    d = _compare_dir(tmp_path)
    assert main(["plot", str(d)]) == 0
    (path,) = capsys.readouterr().out.split()
    data = open(path, "rb").read()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1600, 900)


def _colour(line) -> str:
    return to_hex(line.get_color())


def test_highlight_colours_and_names_the_chosen_and_greys_the_rest(nato):
    chosen = ["germany", "hungary"]
    fig = plot_convergence(nato, "I6", highlight="germany,Hungary")
    ax = fig.axes[0]
    lines = actor_lines(ax)
    colours = {a: _colour(ln) for a, ln in lines.items()}
    assert colours["germany"] != colours["hungary"]
    assert GREY.lower() not in (colours["germany"], colours["hungary"])
    assert {c for a, c in colours.items() if a not in chosen} == {GREY.lower()}
    # the chosen lines are drawn over the grey ones
    assert min(lines[a].get_zorder() for a in chosen) > max(
        ln.get_zorder() for a, ln in lines.items() if a not in chosen)
    named = {a for t in name_labels(ax) for a in t.get_gid()[6:].split(",")}
    assert named == set(chosen)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Germany" in legend and "Hungary" in legend and "other actors (31 actors)" in legend
    # the strip and the view chart do the same
    strip = plot_final_strip(nato, highlight=chosen)
    for ax in [a for a in strip.axes if (a.get_gid() or "").startswith("issue:")]:
        pts = actor_lines(ax)
        assert {to_hex(pts[a].get_markerfacecolor()) for a in pts if a not in chosen} \
            == {GREY.lower()}
        assert {a for t in name_labels(ax) for a in t.get_gid()[6:].split(",")} == set(chosen)
        assert not [t for t in ax.texts if (t.get_gid() or "").startswith("badge:")]
    view = plot_quadrant(nato, "russia", "I1", highlight=chosen).axes[0]
    assert {a for t in name_labels(view) for a in t.get_gid()[6:].split(",")} <= set(chosen)
    assert {_colour(ln) for a, ln in actor_lines(view).items() if a not in chosen} \
        == {GREY.lower()}
    with pytest.raises(InputError, match="--highlight: unknown actor"):
        plot_convergence(nato, "I1", highlight="atlantis")


def test_highlight_on_the_command_line(emission_dir, tmp_path, capsys):
    out = tmp_path / "hl"
    assert main(["plot", str(emission_dir), "--kind", "strip", "--highlight", "belgium,uk",
                 "--out", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out / "strip.png")]
    assert main(["plot", str(emission_dir), "--highlight", "atlantis", "--out",
                 str(tmp_path / "no")]) == 2
    assert "--highlight: unknown actor" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def _event_scenario() -> dict:
    doc = synthetic_scenario()
    doc["events"] = [{"round": 1, "actor": "a2", "issue": "R", "position": 90,
                      "label": "A2 jumps to the far end of the scale at once"},
                     {"round": 8, "actor": "a1", "issue": "R", "position": 50,
                      "label": "A1 meets everyone half way in the very last round"}]
    return doc


def _assert_events_inside(fig):
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("event-label:")]
    assert labels
    frame = ax.get_window_extent(renderer)
    ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() + ax.get_yticklabels()
             if t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in labels]
    for t, box in zip(labels, boxes):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, t.get_text()
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, t.get_text()
        assert not any(box.overlaps(tick) for tick in ticks), t.get_text()
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j])
    return labels


def test_event_labels_never_cross_the_axes_or_the_tick_labels(nato):
    events = [{"round": 1, "actor": "germany", "issue": "I4", "position": 70,
               "label": "Germany hardens on exercises before the first round is over"},
              {"round": 8, "actor": "norway", "issue": "I4", "position": 50, "salience": 0.9,
               "label": "Norway presses for reciprocal transparency"}]
    result = negsim.run(nato.scenario.replace({"events": events}))
    fig = plot_convergence(result, "I4")
    labels = _assert_events_inside(fig)
    # round 1's line is half a round from the y axis: its label goes to the line's right
    by_round = {t.get_gid(): t for t in labels}
    assert by_round["event-label:1"].get_horizontalalignment() == "left"
    assert "round 1: Germany hardens" in by_round["event-label:1"].get_text().replace("\n", " ")
    assert "event-label:8" in by_round
    # the same in a what-if over its baseline, and on the small synthetic run
    _assert_events_inside(plot_whatif_convergence(nato, result, "I4"))
    _assert_events_inside(plot_convergence(
        negsim.run(negsim.scenario_from_dict(_event_scenario())), "R"))


def test_forecast_is_named_after_the_rule(tmp_path):
    """A one-shot rule's forecast is the rule itself: the compromise model's is its weighted
    mean, and the chart says so (not 'weighted median')."""
    result = negsim.run(EMISSION, rule="compromise")
    legend = [t.get_text() for t in plot_convergence(result).legends[0].get_texts()]
    assert any("weighted mean" in t and t.startswith("forecast") for t in legend), legend
    assert not any("weighted median" in t for t in legend)
    strip = plot_final_strip(result)
    (ax,) = [a for a in strip.axes if a.get_gid() == "issue:emission"]
    (forecast,) = by_gid(ax, "forecast")
    assert forecast.get_xdata()[0] == pytest.approx(result.forecast_series[-1, 0])


def test_comparison_calls_one_shot_rules_one_shot(tmp_path):
    d = _compare_dir(tmp_path)
    fig = plot_comparison(d)
    em = [ax for ax in fig.axes if ax.get_gid() == "issue:emission"][0]
    notes = {t.get_gid()[5:]: t.get_text() for t in em.texts
             if (t.get_gid() or "").startswith("note:")}
    assert notes["median"].endswith("one-shot") and notes["compromise"].endswith("one-shot")
    assert "unsettled" in notes["eum"] and "consensus" not in " ".join(notes.values())
    legend = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()] \
        if fig.axes[-1].get_legend() else [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(t.startswith("one-shot") for t in legend)
