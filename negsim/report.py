"""A run as one self-contained HTML file: what an instructor can email to a class.

The report holds the scenario's metadata and sources, the per-issue summary, the charts
(embedded as PNG data, no external requests: a Content-Security-Policy forbids them), the
largest moves, and the exact command and seed that reproduce the run. Everything is drawn from
the stored run records; every piece of text from the scenario is escaped.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .result import RunResult

__all__ = ["build_report", "write_report"]

_CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d9d9de; --panel: #f6f6f8;
        --consensus: #009E73; --deadlock: #B07800; --unsettled: #D55E00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; overflow-wrap: anywhere; }
h1 { font-size: 26px; line-height: 1.25; margin: 0 0 6px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px;
     border-bottom: 1px solid var(--rule); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 6px 0 10px; }
.lede { color: var(--muted); margin-bottom: 14px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 22px; padding: 10px 14px;
         background: var(--panel); border-radius: 8px; font-size: 14px; }
.facts b { font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 8px 0 4px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--rule);
         vertical-align: top; }
th { font-weight: 600; background: var(--panel); }
td.nowrap { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
          font-weight: 600; font-size: 13px; white-space: nowrap; }
.status.consensus { background: var(--consensus); }
.status.deadlock { background: var(--deadlock); }
.status.unsettled { background: var(--unsettled); }
.hint { color: var(--muted); font-size: 13px; }
figure { margin: 18px 0 26px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule);
             border-radius: 6px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
pre { background: var(--panel); padding: 10px 12px; border-radius: 6px; overflow-x: auto;
      font-size: 13px; white-space: pre-wrap; word-break: break-all; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
ol.sources li, ul.moves li { margin-bottom: 6px; }
a { color: #0063a6; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px;
         border-top: 1px solid var(--rule); padding-top: 10px; }
@media print { main { max-width: none; padding: 0; } figure { break-inside: avoid; }
               a { color: inherit; } }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _link(url: str) -> str:
    """A link for http(s) addresses only; anything else is shown as text."""
    if url.lower().startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(url)}</a>'
    return _e(url)


def _png(fig: "Figure", dpi: int) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.12)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(fig: "Figure", alt: str, caption: str, dpi: int) -> str:
    return (f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{_png(fig, dpi)}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _num(value: float) -> str:
    return f"{value:.4g}"


def _stop_reason(result: "RunResult") -> str:
    stop = result.settings.get("stop")
    if stop == "never":
        return "a fixed number of rounds"
    if all(s.settled for s in result.statuses) and \
            result.rounds_run < result.settings.get("max_rounds", result.rounds_run + 1):
        return "every issue settled"
    return "round limit reached"


def _summary_table(result: "RunResult") -> str:
    from .plots.runs import issue_title

    rows = []
    for k, iid in enumerate(result.issue_ids):
        st = result.statuses[k]
        detail = f" <span class=hint>{_e(st.detail)}</span>" if st.detail else ""
        mm = result.moved_most(iid)
        moved = "–" if mm is None or abs(mm[1]) <= 0 else \
            f"{_e(result.actor_name(mm[0]))} {mm[1]:+.3g}"
        near = result.nearest_label(iid, float(result.forecast_series[-1, k]))
        rows.append(
            "<tr>"
            f"<td>{_e(issue_title(result, iid))}</td>"
            f'<td class=nowrap><span class="status {_e(st.status)}">{_e(st.status)}</span>'
            f"{detail}</td>"
            f'<td class=num>{"–" if st.since is None else st.since}</td>'
            f"<td class=num>{_num(result.forecast_series[-1, k])}</td>"
            f"<td class=hint>{_e(near)}</td>"
            f"<td class=num>{_num(result.mean[-1, k])}</td>"
            f"<td class=num>{result.dispersion[0, k]:.3g} → {result.dispersion[-1, k]:.3g}</td>"
            f"<td>{moved}</td></tr>")
    head = ("<tr><th>issue</th><th>status</th><th>since round</th><th>forecast</th><th></th>"
            "<th>mean</th><th>dispersion (start → end)</th><th>moved most</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _sources(result: "RunResult") -> str:
    items = []
    for src in result.scenario.metadata.sources:
        if isinstance(src, str):
            items.append(f"<li>{_e(src)}</li>")
            continue
        urls = ([src.url] if src.url else []) + list(src.urls)
        key = f"<b>[{_e(src.key)}]</b> " if src.key else ""
        links = "".join(f"<br>{_link(u)}" for u in urls)
        items.append(f"<li>{key}{_e(src.citation)}{links}</li>")
    if not items:
        return "<p class=hint>The scenario lists no sources.</p>"
    return f"<ol class=sources>{''.join(items)}</ol>"


def build_report(result: "RunResult", *, run_dir: str | Path | None = None,
                 actor: str | None = None, issue: str | None = None, dpi: int = 110) -> str:
    """The report as one HTML document (a string). ``actor``/``issue`` choose the quadrant
    chart's focal actor and issue (defaults: the heaviest actor on the first issue)."""
    import negsim

    from .plots import (plot_convergence, plot_final_strip, plot_quadrant,
                        plot_small_multiples)
    from .plots.quadrant import view_from
    from .plots.runs import issue_order, issue_title

    sc = result.scenario
    meta = sc.metadata
    view = None
    if "eu_ij" in result.pair_info and "eu_ji" in result.pair_info:
        view = view_from(result, actor, issue)
    elif actor is not None:
        view_from(result, actor, issue)  # raises the input error that explains why not

    parts: list[str] = []
    add = parts.append
    add(f"<h1>{_e(sc.title)}</h1>")
    if meta.date:
        add(f'<p class=lede>{_e(meta.date)}</p>')
    if meta.description:
        add(f"<p>{_e(meta.description)}</p>")
    params = ", ".join(f"{_e(k)}={_e(v)}" for k, v in result.params.items()) or "none"
    add("<div class=facts>"
        f"<span><b>model</b> {_e(result.rule)}</span>"
        f"<span><b>seed</b> {_e(result.seed)}</span>"
        f"<span><b>rounds</b> {result.rounds_run} ({_e(_stop_reason(result))})</span>"
        f"<span><b>actors</b> {len(result.actor_ids)}</span>"
        f"<span><b>issues</b> {len(result.issue_ids)}</span>"
        f"<span><b>parameters</b> {params}</span></div>")

    add("<h2>Which issues converge, when and where</h2>")
    add("<p class=hint>Forecast: the capability × salience weighted median at the end; "
        "mean: the weighted mean; dispersion: the weighted standard deviation of positions. "
        "Consensus: dispersion within tolerance; deadlock: nobody moves any more; unsettled: "
        "still moving when the run ended (see docs/convergence.md).</p>")
    add(_summary_table(result))
    if result.events:
        add("<h3>Events (what-ifs)</h3><ul>" + "".join(
            f"<li>round {t}: {_e(text)}</li>" for t, text in result.events) + "</ul>")

    add("<h2>Charts</h2>")
    if len(result.issue_ids) > 1:  # with one issue the convergence chart says it all
        add(_figure(plot_small_multiples(result), f"All issues of {sc.title}, ordered by status",
                    "All issues, ordered by status. Thin lines: actors (width by capability, "
                    "colour by bloc); black: forecast; dashed: mean; grey band: mean ± 1 s.d.",
                    dpi))
    for iid in issue_order(result):
        title = issue_title(result, iid)
        add(_figure(plot_convergence(result, iid), f"Positions by round on {title}",
                    f"{_e(title)}: every actor's position by round (width by capability, colour "
                    "by bloc); black: forecast; dashed: mean; grey band: mean ± 1 s.d.", dpi))
    add(_figure(plot_final_strip(result), "Where each actor ends, per issue",
                "Where each actor ends: points sized by capability × salience; black line: "
                "forecast; dashed: mean.", dpi))
    if view is not None:
        focal, iid, rnd, _ = view
        name = result.actor_name(focal)
        add(_figure(plot_quadrant(result, focal, iid, rnd),
                    f"View from {name} on {issue_title(result, iid)}, round {rnd}",
                    f"The view from {_e(name)} ({_e(issue_title(result, iid))}, round {rnd}): "
                    f"each other actor at ({_e(name)}'s expected utility of challenging it, "
                    f"its expected utility of challenging {_e(name)}, as {_e(name)} sees it).",
                    dpi))

    add("<h2>Largest moves</h2>")
    lines = result.narrative(10)
    add("<ul class=moves>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"
        if lines else "<p>No actor moved.</p>")

    add("<h2>Reproduce this run</h2>")
    if result.command:
        add(f"<p>The command that produced it (seed {_e(result.seed)}):</p>"
            f"<pre><code>{_e(result.command)}</code></pre>")
    else:
        add("<p class=hint>The command was not recorded (the run was made from Python).</p>")
    where = Path(run_dir) if run_dir is not None else Path("RUN_DIR")
    again = f"negsim run {where / 'scenario.yaml'} --seed {result.seed} --out DIR"
    add("<p>Or, from the run directory's own copy of the scenario (overrides applied):</p>"
        f"<pre><code>{_e(again)}</code></pre>")

    add("<h2>Sources</h2>")
    add(_sources(result))
    if meta.notes:
        add(f"<h3>Notes</h3><p>{_e(meta.notes)}</p>")
    if meta.authors:
        add(f"<p class=hint>Scenario by {_e(', '.join(meta.authors))}.</p>")
    add(f"<footer>Made by negsim {_e(negsim.__version__)} from the stored records of the run "
        f"({_e(where)}); nothing was re-simulated. Cite the model "
        f"(<code>negsim models {_e(result.rule)}</code>) and the sources above.</footer>")

    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<title>{_e(sc.title)} – negsim report</title><style>{_CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")


def write_report(run_dir: str | Path, out: str | Path | None = None, *,
                 actor: str | None = None, issue: str | None = None, dpi: int = 110) -> Path:
    """Read a run directory and write its report (default ``RUN_DIR/report.html``)."""
    from .plots import load_run

    result = load_run(run_dir)
    text = build_report(result, run_dir=run_dir, actor=actor, issue=issue, dpi=dpi)
    path = Path(out) if out is not None else Path(run_dir) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    from .files import write_atomic

    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
