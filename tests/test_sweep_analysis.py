"""Sweep analysis that reads right (issue 14, points 1, 7, 9): heatmap bins in numeric order
with run counts and factor names, sensitivity flags, legends clear of the bars, Morris on
relative perturbations."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from negsim.cli import main
from negsim.sweeps import sweep
from negsim.sweeps.analyze import convergence_grid

from .conftest import EMISSION

HEAT = ["model.params.q=0.5:1", "actors.germany.capability=0.01:0.6"]


@pytest.fixture(scope="module")
def heat_store(tmp_path_factory):
    return sweep(EMISSION, HEAT, samples=40, seed=4, workers=1,
                 out=tmp_path_factory.mktemp("heat") / "s")


def _left(label: str) -> float:
    return float(re.match(r"[\[(]([-0-9.e+]+),", label).group(1))


def test_heatmap_bins_are_in_numeric_order_with_counts_and_factor_names(heat_store):
    grid = convergence_grid(heat_store, "model.params.q", "actors.germany.capability",
                            "emission", bins=6)
    assert grid.columns.name == "model.params.q"
    assert grid.index.name == "actors.germany.capability"
    for labels in ([str(c) for c in grid.columns], [str(r) for r in grid.index]):
        lefts = [_left(s) for s in labels]
        assert lefts == sorted(lefts) and len(lefts) > 2
    runs = grid.attrs["runs"]
    assert runs.shape == grid.shape and int(runs.to_numpy().sum()) == 40
    assert ((grid.isna()) == (runs == 0)).all().all()


def test_heatmap_command_shows_factor_names_counts_and_orders_bins(heat_store, capsys, tmp_path):
    args = ["analyze", str(heat_store.path), "--heatmap", "model.params.q",
            "actors.germany.capability", "--issue", "emission"]
    assert main(args + ["--json"]) == 0
    doc = json.loads(capsys.readouterr().out)["heatmap"]
    lefts = [_left(c) for c in doc["columns"]]
    assert lefts == sorted(lefts)
    assert sum(map(sum, doc["runs"])) == 40
    assert main(args + ["--out", str(tmp_path / "f")]) == 0
    text = capsys.readouterr().out
    assert "rows: actors.germany.capability, columns: model.params.q" in text
    assert re.search(r"^ actors\.germany\.capability +┃", text, re.M)   # the row header
    assert re.search(r"\d\.\d\d \(\d+\)", text)        # share (runs) in the cells
    assert (tmp_path / "f" / "heatmap.png").exists()


def test_negative_and_unreliable_sobol_indices_are_flagged():
    from negsim.sweeps.analyze import sobol_indices
    from negsim.sweeps.design import Design
    from negsim.sweeps.params import Factor

    factors = [Factor(n, "range", [n], low=0, high=1) for n in ("a", "b", "c")]
    d = Design("sobol", factors, [], 16, 1, 3)
    x = d.matrix()
    table = sobol_indices(d.problem(), x[:, 0] + 0.3 * x[:, 1] ** 2, seed=1)
    b = table.set_index("factor").loc["b"]
    assert b["S1"] < 0 and "negative" in b["flag"]
    assert ((table["S1_conf"] > 0.1) | (table["ST_conf"] > 0.1)
            ).tolist() == table["flag"].str.contains("unreliable").tolist()
    assert table.set_index("factor").loc["c", "flag"] == ""     # no effect, no doubt


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("kind", ["sobol", "morris"])
def test_sensitivity_legends_stay_clear_of_every_bar(kind):
    import pandas as pd

    from negsim.sweeps.plots import sensitivity_bars

    n = 5
    table = pd.DataFrame({"factor": [f"f{i}" for i in range(n)],
                          "S1": np.linspace(0.9, -0.02, n), "S1_conf": np.full(n, 0.05),
                          "ST": np.linspace(1.0, 0.0, n), "ST_conf": np.full(n, 0.05),
                          "mu_star": np.linspace(3, 2.9, n), "mu_star_conf": np.full(n, 0.2),
                          "flag": ["", "", "", "", "negative: sampling error, read as ~0"]})
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = sensitivity_bars(table, "I4.forecast", kind)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    (ax,) = fig.axes
    legend = ax.get_legend().get_window_extent(renderer)
    bars = [p.get_window_extent(renderer) for p in ax.patches]
    assert len(bars) >= n and not any(_overlaps(legend, bar) for bar in bars)
    assert ax.get_yticklabels()[-1].get_text() == "f4 (!)"


def test_morris_screens_noise_and_scale_each_factors(tmp_path, capsys):
    out = tmp_path / "morris"
    store = sweep(EMISSION, ["actors.*.issues.emission.salience=noise:5",
                             "actors.*.capability=scale-each:0.8:1.2"], design="morris",
                  samples=3, seed=2, workers=1, out=out)
    df = store.results()
    noise = [c for c in df.columns if c.endswith("emission.salience")]
    scale = [c for c in df.columns if c.endswith(".capability")]
    assert len(noise) == len(scale) >= 5
    net = df["actors.netherlands.issues.emission.salience"].astype(float)
    assert net.between(80 - 10, 80 + 10).all() and net.nunique() == 4   # +-2 sigma, 4 levels
    assert df[scale].astype(float).stack().between(0.8, 1.2).all()
    assert main(["analyze", str(out), "--morris", "emission.forecast", "--json"]) == 0
    indices = json.loads(capsys.readouterr().out)["sensitivity"]["indices"]
    assert [r["factor"] for r in indices] == noise + scale or \
        sorted(r["factor"] for r in indices) == sorted(noise + scale)
    assert all(r["mu_star"] is not None and "flag" in r for r in indices)
