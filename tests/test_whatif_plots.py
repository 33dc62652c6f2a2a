"""What-if charts and the files they are drawn into: a changed run over its baseline.

The pair is the flagship as it is (baseline) and with one event (what-if): in round 8 Norway
presses for reciprocal transparency on exercises (I4 position 50, salience 0.9). Under the
default rule I4 then reaches consensus at 50 from round 15, where the baseline goes round a
cycle of two at 25.7; the other six issues end as in the baseline.
"""

from __future__ import annotations

import builtins
import json

import numpy as np
import pytest
from matplotlib.colors import to_hex

from negsim.cli import main
from negsim.errors import InputError
from negsim.plots import (plot_whatif_convergence, plot_whatif_dirs, plot_whatif_multiples,
                          plot_whatif_strip)
from negsim.plots._style import BASELINE, GREY
from negsim.plots.whatif import moved_most
from negsim.result import RunResult

from .conftest import EMISSION, NATO, NATO_FLAT
from .test_plots import actor_lines, assert_labels_read_right, by_gid, name_labels

EVENT = ("events=[{round: 8, actor: norway, issue: I4, position: 50, salience: 0.9, "
         "label: Norway presses for reciprocal transparency}]")


@pytest.fixture(scope="module")
def pair_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("whatif")
    assert main(["run", str(NATO_FLAT), "--out", str(root / "baseline")]) == 0
    assert main(["run", str(NATO_FLAT), "--set", EVENT, "--out", str(root / "whatif")]) == 0
    return root / "baseline", root / "whatif"


@pytest.fixture(scope="module")
def pair(pair_dirs):
    return RunResult.load(pair_dirs[0]), RunResult.load(pair_dirs[1])


def test_the_event_settles_exercises_and_nothing_else(pair):
    base, what = pair
    k = what.issue_ids.index("I4")
    assert (base.statuses[k].status, what.statuses[k].status) == ("unsettled", "consensus")
    assert what.statuses[k].since == 15 and what.forecast["I4"] == pytest.approx(50)
    for iid in what.issue_ids:
        if iid != "I4":
            assert what.forecast[iid] == base.forecast[iid]


def test_convergence_draws_the_baseline_grey_under_the_whatif(pair):
    base, what = pair
    fig = plot_whatif_convergence(base, what, "I4")
    ax = fig.axes[0]
    grey = {ln.get_gid()[15:]: ln for ln in ax.get_lines()
            if (ln.get_gid() or "").startswith("baseline:actor:")}
    lines = actor_lines(ax)
    assert set(grey) == set(lines) == set(what.actor_ids)
    for aid, ln in grey.items():
        assert to_hex(ln.get_color()) == GREY.lower()
        np.testing.assert_array_equal(ln.get_ydata(), base.trajectory("I4", aid))
        np.testing.assert_array_equal(lines[aid].get_ydata(), what.trajectory("I4", aid))
    assert max(ln.get_zorder() for ln in grey.values()) < min(ln.get_zorder()
                                                              for ln in lines.values())
    (bf,) = by_gid(ax, "baseline:forecast")
    (wf,) = by_gid(ax, "forecast")
    k = what.issue_ids.index("I4")
    np.testing.assert_array_equal(bf.get_ydata(), base.forecast_series[:, k])
    np.testing.assert_array_equal(wf.get_ydata(), what.forecast_series[:, k])
    assert to_hex(bf.get_color()) == BASELINE.lower() and bf.get_zorder() < wf.get_zorder()
    title = ax.get_title(loc="left")
    assert "unsettled (cycle of 2) after 22 rounds → consensus from round 15" in title
    assert "forecast 25.7 → 50" in title
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    for entry in ("baseline: every actor (grey)", "baseline forecast (weighted median)",
                  "what-if forecast (weighted median)", "what-if consensus reached",
                  "event (what-if), between rounds", "NATO (30 actors)"):
        assert entry in legend, entry
    assert [t for t in ax.texts if t.get_gid() == "event-label:8"]
    (settled,) = by_gid(ax, "settled")
    assert list(settled.get_xdata()) == [15, 15]


def test_multiples_say_what_changed_per_issue(pair):
    base, what = pair
    fig = plot_whatif_multiples(base, what)
    panels = {ax.get_gid()[6:]: ax for ax in fig.axes if (ax.get_gid() or "").startswith("issue")}
    assert list(panels) == ["I4", "I1", "I2", "I3", "I5", "I6", "I7"]     # consensus first
    for iid, ax in panels.items():
        (status,) = [t.get_text() for t in ax.texts if t.get_gid() == "status"]
        assert by_gid(ax, "baseline:forecast") and by_gid(ax, "forecast")
        assert len([ln for ln in ax.get_lines()
                    if (ln.get_gid() or "").startswith("baseline:actor:")]) == 33
        if iid == "I4":
            assert status == "unsettled → consensus from round 15\nforecast 25.7 → 50"
        else:
            assert status.endswith("(unchanged)") and "unsettled → unsettled" in status


def test_strip_pairs_each_actor_and_names_the_largest_moves(pair):
    base, what = pair
    fig = plot_whatif_strip(base, what)
    (ax,) = [a for a in fig.axes if a.get_gid() == "issue:I4"]
    k = what.issue_ids.index("I4")
    dots = actor_lines(ax)
    rings = {ln.get_gid()[15:]: ln for ln in ax.get_lines()
             if (ln.get_gid() or "").startswith("baseline:actor:")}
    arrows = {t.get_gid()[5:]: t for t in ax.texts if (t.get_gid() or "").startswith("move:")}
    for aid, dot in dots.items():
        i = what.actor_ids.index(aid)
        assert dot.get_xdata()[0] == pytest.approx(what.positions[-1, k, i])
        assert rings[aid].get_xdata()[0] == pytest.approx(base.positions[-1, k, i])
        assert rings[aid].get_ydata()[0] == dot.get_ydata()[0]      # paired at one height
        moved = abs(what.positions[-1, k, i] - base.positions[-1, k, i]) > 1e-4
        assert (aid in arrows) == moved
        if moved:
            assert arrows[aid].xyann[0] == pytest.approx(base.positions[-1, k, i])
            assert arrows[aid].xy[0] == pytest.approx(what.positions[-1, k, i])
    top = moved_most(base, what, "I4")
    texts = {t.get_gid()[6:]: t.get_text() for t in name_labels(ax)}
    assert set(texts) == {a for a, _ in top} and len(top) == 4
    for aid, change in top:
        assert texts[aid] == f"{what.actor_name(aid)} {change:+.3g}"
    assert_labels_read_right(fig, ax)
    (other,) = [a for a in fig.axes if a.get_gid() == "issue:I1"]
    assert not name_labels(other) and not [t for t in other.texts
                                           if (t.get_gid() or "").startswith("move:")]


def test_highlight_and_mismatched_runs(pair, pair_dirs, tmp_path):
    base, what = pair
    fig = plot_whatif_strip(base, what, highlight=["germany"])
    for ax in [a for a in fig.axes if (a.get_gid() or "").startswith("issue:")]:
        assert {t.get_gid() for t in name_labels(ax)} == {"label:germany"}
    import negsim

    other = negsim.run(EMISSION)
    with pytest.raises(InputError, match="not of the same scenario"):
        plot_whatif_convergence(other, what, "I4")


def test_the_chart_functions_touch_no_file(pair, monkeypatch):
    base, what = pair
    plot_whatif_convergence(base, what, "I4")      # fonts and caches are loaded by now

    def refuse(*args, **kwargs):
        raise AssertionError(f"a chart function opened a file: {args[:1]}")

    monkeypatch.setattr(builtins, "open", refuse)
    for fig in (plot_whatif_convergence(base, what, "I4"), plot_whatif_multiples(base, what),
                plot_whatif_strip(base, what)):
        assert fig.axes


def test_plot_whatif_dirs_and_the_command(pair_dirs, tmp_path, capsys):
    base_dir, what_dir = pair_dirs
    paths = plot_whatif_dirs(base_dir, what_dir, tmp_path / "f", highlight=["norway"])
    assert sorted(p.name for p in paths) == sorted(
        [f"whatif-convergence-I{k}.png" for k in range(1, 8)]
        + ["whatif-multiples.png", "whatif-strip.png"])
    index = json.loads((tmp_path / "f" / "figures.json").read_text())
    assert set(index["files"]) == {p.name for p in paths}
    assert main(["plot", str(what_dir), "--baseline", str(base_dir), "--kind", "strip",
                 "--out", str(tmp_path / "g")]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "g" / "whatif-strip.png")]
    assert main(["plot", str(what_dir), "--baseline", str(tmp_path / "nope"),
                 "--out", str(tmp_path / "h")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert main(["plot", str(what_dir), "--baseline", str(base_dir), "--kind", "quadrant",
                 "--out", str(tmp_path / "h")]) == 2
    assert "what-if charts are convergence, multiples and strip" in capsys.readouterr().err
    assert not (tmp_path / "h").exists()
