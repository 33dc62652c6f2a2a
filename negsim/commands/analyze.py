"""``negsim analyze DIR``: convergence shares, forecast distributions and sensitivity indices."""

from __future__ import annotations

import argparse

HELP = "analyse a sweep store: convergence shares, forecasts, Sobol/Morris indices, figures"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help=HELP, description=HELP + ".")
    p.add_argument("dir", metavar="DIR", help="a directory written by negsim sweep")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--sobol", metavar="ISSUE.METRIC",
                   help="first- and total-order Sobol indices of an output (sobol design); "
                        "METRIC: forecast (default), mean, final_dispersion, consensus, "
                        "settled, rounds_run")
    g.add_argument("--morris", metavar="ISSUE.METRIC",
                   help="Morris elementary effects of an output (morris design)")
    p.add_argument("--heatmap", nargs=2, metavar=("X", "Y"),
                   help="share of runs reaching consensus over two swept factors (with --issue)")
    p.add_argument("--issue", metavar="ID", help="issue for --heatmap")
    p.add_argument("--out", metavar="FIGDIR", help="write figures (PNG) to this directory")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    import math
    from pathlib import Path

    from ..errors import InputError, Problem
    from ..sweeps import analyze as an
    from ..sweeps.store import SweepStore
    from .common import console, print_json

    store = SweepStore(args.dir)
    manifest = store.manifest
    if args.heatmap and not args.issue:
        raise InputError([Problem("--heatmap", "", "needs --issue ID")])
    table = an.summary(store)
    indices = None
    if args.sobol:
        indices = an.sensitivity(store, args.sobol, "sobol")
    elif args.morris:
        indices = an.sensitivity(store, args.morris, "morris")
    grid = an.convergence_grid(store, *args.heatmap, args.issue) if args.heatmap else None

    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    if args.json:
        doc = {"dir": str(args.dir), "design": manifest["design"], "status": {
            k: v for k, v in store.status().items() if k != "errors"},
            "issues": [{k: clean(v) for k, v in row.items()}
                       for row in table.to_dict(orient="records")]}
        if indices is not None:
            doc["sensitivity"] = {"kind": indices.kind, "output": indices.output,
                                  "indices": [{k: clean(v) for k, v in r.items()} for r in
                                              indices.table.to_dict(orient="records")]}
        if grid is not None:
            doc["heatmap"] = {"x": args.heatmap[0], "y": args.heatmap[1], "issue": args.issue,
                              "rows": [str(i) for i in grid.index],
                              "columns": [str(c) for c in grid.columns],
                              "consensus": [[clean(float(v)) for v in row]
                                            for row in grid.to_numpy()],
                              "runs": [[int(v) for v in row]
                                       for row in grid.attrs["runs"].to_numpy()]}
        print_json(doc)
    else:
        from rich.table import Table

        con = console()
        st = store.status()
        con.print(f"[bold]{manifest['scenario']['title']}[/bold]: {st['ok']} runs ok, "
                  f"{st['failed']} failed, {st['pending']} pending ({manifest['design']} design)")
        t = Table(show_edge=False, header_style="bold")
        for col in ("issue", "runs", "consensus", "deadlock", "unsettled", "forecast mean±sd",
                    "p5 / median / p95", "round"):
            t.add_column(col, justify="left" if col == "issue" else "right")
        for r in table.to_dict(orient="records"):
            t.add_row(r["issue"], str(r["runs"]), f"{r['consensus']:.0%}",
                      f"{r['deadlock']:.0%}", f"{r['unsettled']:.0%}",
                      f"{r['forecast_mean']:.3g} ± {r['forecast_sd']:.2g}",
                      f"{r['p5']:.3g} / {r['median']:.3g} / {r['p95']:.3g}",
                      "-" if r["converged_round_median"] is None
                      or r["converged_round_median"] != r["converged_round_median"]
                      else f"{r['converged_round_median']:.0f}")
        con.print(t)
        if indices is not None:
            it = Table(show_edge=False, header_style="bold",
                       title=f"{indices.kind} indices of {indices.output}")
            for col in indices.table.columns:
                it.add_column(col, justify="left" if col in ("factor", "flag") else "right")
            for r in indices.table.itertuples(index=False):
                it.add_row(*[v if isinstance(v, str) else f"{v:.3f}" for v in r])
            con.print(it)
        if grid is not None:
            con.print(_grid_table(grid, args.issue))
    if args.out:
        from ..sweeps import plots

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        figures = {"forecasts": plots.forecast_distributions(store)}
        if grid is not None:
            figures["heatmap"] = plots.convergence_heatmap(grid, *args.heatmap, args.issue)
        if indices is not None:
            figures[indices.kind] = plots.sensitivity_bars(indices.table, indices.output,
                                                           indices.kind)
        for name, fig in figures.items():
            fig.savefig(out / f"{name}.png", dpi=150)
        import sys

        print(f"wrote {', '.join(f'{n}.png' for n in figures)} to {out}", file=sys.stderr)
    return 0


def _grid_table(grid, issue: str):
    """The heatmap as a table: rows are the y factor's values, columns the x factor's, each
    cell the share of runs reaching consensus and (in brackets) how many runs it rests on."""
    from rich.table import Table

    runs = grid.attrs["runs"]
    t = Table(show_edge=False, header_style="bold",
              title=f"P(consensus on {issue}) (runs); rows: {grid.index.name}, columns: "
                    f"{grid.columns.name}")
    t.add_column(str(grid.index.name), justify="left", no_wrap=True,
                 min_width=len(str(grid.index.name)))
    for c in grid.columns:
        t.add_column(_label(c), justify="right")
    for r in grid.index:
        cells = []
        for c in grid.columns:
            v, n = grid.at[r, c], int(runs.at[r, c])
            cells.append("-" if n == 0 or v != v else f"{v:.2f} ({n})")
        t.add_row(_label(r), *cells)
    return t


def _label(value) -> str:
    """A heatmap axis value for a table: bins as they are, numbers to 4 significant digits."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)
