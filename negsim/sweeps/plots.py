"""Figures of a sweep: forecast distributions, a convergence heatmap, sensitivity bars."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from .store import SweepStore

from ..plots._style import OKABE_ITO  # the one colour-blind-safe palette


def forecast_distributions(store: "SweepStore") -> "Figure":
    """One violin per issue of the final forecasts across runs, on each issue's scale."""
    from matplotlib.figure import Figure

    from ..scenario import load_scenario

    df = store.results()
    df = df[df["status"] == "ok"]
    sc = load_scenario(store.path / "scenario.yaml")
    issues = [i for i in sc.issue_ids if i in set(df["issue"])]
    fig = Figure(figsize=(1.3 * max(4, len(issues)) + 1.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    data = [df.loc[df["issue"] == i, "forecast"].astype(float).to_numpy() for i in issues]
    pos = np.arange(1, len(issues) + 1)
    spread = [d for d in data if d.size and np.ptp(d) > 0]
    if spread:
        parts = ax.violinplot([d if np.ptp(d) > 0 else d + 1e-9 * np.arange(d.size)
                               for d in data], positions=pos, showmedians=True, widths=0.8)
        for body in parts["bodies"]:
            body.set_facecolor(OKABE_ITO[0])
            body.set_alpha(0.35)
    for p, d in zip(pos, data):
        ax.scatter(np.full(d.size, p) + np.random.default_rng(0).uniform(-0.08, 0.08, d.size), d,
                   s=6, color=OKABE_ITO[4], alpha=0.5, zorder=3, linewidths=0)
    ax.set_xticks(pos, [sc.issues[i].label for i in issues], rotation=20, ha="right")
    ax.set_ylabel("forecast (weighted median at the end of the run)")
    n = df["run_id"].nunique()
    ax.set_title(f"{sc.title}: forecasts across {n} runs")
    ax.grid(axis="y", alpha=0.3)
    return fig


def convergence_heatmap(grid: "pd.DataFrame", x: str, y: str, issue: str) -> "Figure":
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 4.8), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis",
                   vmin=0, vmax=1)
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns], rotation=30, ha="right")
    ax.set_yticks(range(grid.shape[0]), [str(r) for r in grid.index])
    runs = grid.attrs.get("runs")
    if runs is not None:
        values = grid.to_numpy(dtype=float)
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                n = int(runs.iat[i, j])
                if n:
                    # dark text on the light end of viridis, light text on the dark end
                    colour = "black" if values[i, j] > 0.6 else "white"
                    ax.text(j, i, f"{values[i, j]:.2f}\nn={n}", ha="center", va="center",
                            fontsize=7, color=colour)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"Share of runs reaching consensus on {issue} (n: runs per cell)")
    fig.colorbar(im, ax=ax, label="P(consensus)")
    return fig


def sensitivity_bars(table: "pd.DataFrame", output: str, kind: str) -> "Figure":
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.35 * len(table) + 1.8), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(table))
    if kind == "sobol":
        ax.barh(y - 0.2, table["S1"], 0.4, xerr=table["S1_conf"], color=OKABE_ITO[0],
                label="first order S1")
        ax.barh(y + 0.2, table["ST"], 0.4, xerr=table["ST_conf"], color=OKABE_ITO[4],
                label="total order ST")
        ax.set_xlabel("Sobol index (95% bootstrap interval)")
    else:
        ax.barh(y, table["mu_star"], 0.6, xerr=table["mu_star_conf"], color=OKABE_ITO[0],
                label="mu* (mean |elementary effect|)")
        ax.set_xlabel("Morris mu* (95% interval)")
    flags = table["flag"] if "flag" in table else [""] * len(table)
    ax.set_yticks(y, [f"{name} (!)" if flag else str(name)
                      for name, flag in zip(table["factor"], flags)])
    ax.invert_yaxis()
    ax.axvline(0, color="0.5", lw=0.8)
    # above the axes, never over the data (the last bar used to sit under a lower-right one)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False,
              borderaxespad=0.2)
    title = f"Sensitivity of {output}"
    if any(flags):
        title += "  ((!): negative or unreliable, see the table)"
    fig.suptitle(title)
    return fig
