"""A run as one self-contained HTML file: what an instructor can email to a class; with a
baseline, a what-if and its baseline side by side.

The report holds the scenario's metadata and sources, the per-issue summary, the charts
(embedded as PNG data, no external requests: a Content-Security-Policy forbids them), the
largest moves, and the exact command and seed that reproduce the run. Everything is drawn from
the stored run records; every piece of text from the scenario is escaped.

Charts are drawn once: when ``RUN_DIR/figures`` holds the PNGs ``negsim plot`` wrote for exactly
these records and options (its index, :mod:`negsim.plots.batch`), the report embeds those
files; the others are drawn (on a small process pool) and embedded without being written.

With ``baseline=`` (another run of the same scenario, e.g. ``negsim whatif``'s ``baseline``
directory) the report shows both runs: what changed between them (the scenarios' differing
values, parameters, settings and events), a per-issue table with every column before and
after, the what-if charts (the baseline in grey under the what-if) and the what-if's largest
moves.

Tables wrap at spaces only: the page may break long source addresses anywhere, but table
cells never break inside a word, and a table too wide for the page scrolls sideways in its own
box instead of squeezing its columns.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .plots._style import DEFAULT_DPI

if TYPE_CHECKING:  # pragma: no cover
    from .plots.batch import Chart
    from .result import RunResult

__all__ = ["build_report", "write_report", "scenario_changes"]

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
.table-wrap { overflow-x: auto; margin: 8px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px;
        overflow-wrap: normal; word-break: normal; hyphens: manual; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--rule);
         vertical-align: top; overflow-wrap: normal; word-break: normal; }
th { font-weight: 600; background: var(--panel); white-space: normal; }
td.nowrap { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { text-align: right; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
          font-weight: 600; font-size: 13px; white-space: nowrap; }
.status.consensus { background: var(--consensus); }
.status.deadlock { background: var(--deadlock); }
.status.unsettled { background: var(--unsettled); }
.before { color: var(--muted); }
.arrow { color: var(--muted); padding: 0 3px; }
.changed { font-weight: 700; }
.hint { color: var(--muted); font-size: 13px; }
figure { margin: 18px 0 26px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule);
             border-radius: 6px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
pre { background: var(--panel); padding: 10px 12px; border-radius: 6px; overflow-x: auto;
      font-size: 13px; white-space: pre-wrap; word-break: break-all; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
ol.sources li, ul.moves li, ul.changes li { margin-bottom: 6px; }
a { color: #0063a6; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px;
         border-top: 1px solid var(--rule); padding-top: 10px; }
@media print { main { max-width: none; padding: 0; } figure { break-inside: avoid; }
               a { color: inherit; } .table-wrap { overflow: visible; } }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _link(url: str) -> str:
    """A link for http(s) addresses only; anything else is shown as text."""
    if url.lower().startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(url)}</a>'
    return _e(url)


def _figure(png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _num(value: float) -> str:
    return f"{value:.4g}"


def _table(head: list[tuple[str, str]], rows: list[str]) -> str:
    cells = "".join(f"<th{f' class={c}' if c else ''}>{_e(h)}</th>" for h, c in head)
    return f"<div class=table-wrap><table><tr>{cells}</tr>{''.join(rows)}</table></div>"


def _stop_reason(result: "RunResult") -> str:
    """Why the run ended, in the words of ``negsim run``."""
    from .commands.run import stop_reason

    return stop_reason(result)


# -- the per-issue summary -------------------------------------------------------------------
def _issue_cells(result: "RunResult", k: int) -> dict[str, str]:
    """The summary's cells of issue k as HTML (the same for one run and for before/after)."""
    iid = result.issue_ids[k]
    st = result.statuses[k]
    detail = f" <span class=hint>{_e(st.detail)}</span>" if st.detail else ""
    mm = result.moved_most(iid)
    forecast = float(result.forecast_series[-1, k])
    return {
        "status": f'<span class="status {_e(st.status)}">{_e(st.status)}</span>{detail}',
        "since": "–" if st.since is None else str(st.since),
        "forecast": _num(forecast),
        "near": _e(result.nearest_label(iid, forecast)),
        "mean": _num(result.mean[-1, k]),
        "dispersion": f"{result.dispersion[0, k]:.3g} → {result.dispersion[-1, k]:.3g}",
        "dispersion_end": f"{result.dispersion[-1, k]:.3g}",
        "moved": "–" if mm is None or abs(mm[1]) <= 0 else
        f"{_e(result.actor_name(mm[0]))} {mm[1]:+.3g}",
    }


_HEAD = [("issue", ""), ("status", ""), ("since round", "num"), ("forecast", "num"), ("", ""),
         ("mean", "num"), ("dispersion (start → end)", "num"), ("moved most", "")]
_KEYS = ["status", "since", "forecast", "near", "mean", "dispersion", "moved"]
_CLASSES = {"status": "nowrap", "since": "num", "forecast": "num", "near": "hint",
            "mean": "num", "dispersion": "num", "dispersion_end": "num", "moved": ""}


def _summary_table(result: "RunResult") -> str:
    from .plots.runs import issue_title

    rows = []
    for k, iid in enumerate(result.issue_ids):
        cells = _issue_cells(result, k)
        rows.append(f"<tr><td>{_e(issue_title(result, iid))}</td>" + "".join(
            f"<td{f' class={_CLASSES[key]}' if _CLASSES[key] else ''}>{cells[key]}</td>"
            for key in _KEYS) + "</tr>")
    return _table(_HEAD, rows)


def _before_after_table(baseline: "RunResult", result: "RunResult") -> str:
    """Every column of the summary, baseline → what-if; changed values in bold."""
    from .plots.runs import issue_title

    rows = []
    for k, iid in enumerate(result.issue_ids):
        before, after = _issue_cells(baseline, k), _issue_cells(result, k)
        cells = []
        for key in [("dispersion_end" if key == "dispersion" else key) for key in _KEYS]:
            a, b = before[key], after[key]
            if a == b:
                inner = f"{b} <span class=hint>(same)</span>" if key == "status" else b
            else:   # the baseline's value, then the what-if's on a line of its own
                inner = (f"<span class=before>{a or '–'}</span><br><span class=arrow>→</span>"
                         f"<span class=changed>{b or '–'}</span>")
            cls = _CLASSES[key]
            cells.append(f"<td{f' class={cls}' if cls else ''}>{inner}</td>")
        delta = float(result.forecast_series[-1, k] - baseline.forecast_series[-1, k])
        cells.insert(3, f"<td class=num>{'–' if abs(delta) < 1e-12 else f'{delta:+.3g}'}</td>")
        rows.append(f"<tr><td>{_e(issue_title(result, iid))}</td>{''.join(cells)}</tr>")
    head = _HEAD[:3] + [("forecast", "num"), ("change", "num"), ("", ""), ("mean", "num"),
                        ("dispersion at the end", "num"), ("moved most", "")]
    return _table(head, rows)


# -- what changed between two runs -----------------------------------------------------------
def _flatten(doc: Any, path: str = "") -> dict[str, Any]:
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for key, value in doc.items():
            out.update(_flatten(value, f"{path}.{key}" if path else str(key)))
        return out
    return {path: doc}


def scenario_changes(baseline: "RunResult", result: "RunResult") -> list[str]:
    """What differs between two runs of a scenario, one sentence each: values of the scenario
    as run (overrides applied), rule and parameters, seed and settings, events added or
    dropped."""
    lines = []
    a = baseline.scenario.to_document()
    b = result.scenario.to_document()
    ev_a, ev_b = a.pop("events", []), b.pop("events", [])
    for doc in (a, b):
        doc.pop("metadata", None)
    fa, fb = _flatten(a), _flatten(b)
    for path in sorted(set(fa) | set(fb)):
        if fa.get(path) != fb.get(path):
            lines.append(f"{path}: {fa.get(path, '(none)')} → {fb.get(path, '(none)')}")
    if baseline.rule != result.rule:
        lines.append(f"rule: {baseline.rule} → {result.rule}")
    for key in sorted(set(baseline.params) | set(result.params)):
        va, vb = baseline.params.get(key), result.params.get(key)
        if va != vb and f"model.params.{key}: {va} → {vb}" not in lines:
            lines.append(f"parameter {key}: {va} → {vb}")
    if baseline.seed != result.seed and not any(x.startswith("model.seed:") for x in lines):
        lines.append(f"seed: {baseline.seed} → {result.seed}")
    for key in ("max_rounds", "stop", "tolerance", "move_tolerance", "patience"):
        va, vb = baseline.settings.get(key), result.settings.get(key)
        if va != vb and not any(x.startswith(f"model.{key}:") for x in lines):
            lines.append(f"{key}: {va} → {vb}")
    described_a = [e.describe(baseline.scenario) for e in baseline.scenario.events]
    for e in result.scenario.events:
        text = e.describe(result.scenario)
        if text not in described_a:
            lines.append(f"event added, round {e.round}: {text}")
    described_b = [e.describe(result.scenario) for e in result.scenario.events]
    for e in baseline.scenario.events:
        if e.describe(baseline.scenario) not in described_b:
            lines.append(f"event dropped, round {e.round}: {e.describe(baseline.scenario)}")
    if not lines and ev_a == ev_b:
        lines.append("nothing: the two runs have the same scenario, rule, parameters and seed")
    return lines


# -- the charts ---------------------------------------------------------------------------------
def _charts(result: "RunResult", view: tuple | None, whatif: bool) -> list["Chart"]:
    from .plots.batch import Chart, safe_name, whatif_charts
    from .plots.runs import issue_order

    if whatif:
        charts = whatif_charts(result)
        return [charts[-2]] + charts[:-2] + [charts[-1]]   # multiples first, strip last
    charts = []
    if len(result.issue_ids) > 1:  # with one issue the convergence chart says it all
        charts.append(Chart("multiples", "multiples"))
    charts += [Chart(f"convergence-{safe_name(i)}", "convergence", i)
               for i in issue_order(result)]
    charts.append(Chart("strip", "strip"))
    if view is not None:
        focal, iid, rnd, _ = view
        charts.append(Chart(f"quadrant-{safe_name(focal)}-{safe_name(iid)}-r{rnd}", "quadrant",
                            iid, focal, rnd))
    return charts


def _images(charts: list["Chart"], result: "RunResult", baseline: "RunResult | None",
            run_dir: str | Path | None, base_dir: str | Path | None, highlight: list[str],
            dpi: float, info: dict[str, Any]) -> list[bytes]:
    """The PNG of every chart: from ``RUN_DIR/figures`` where ``negsim plot`` wrote it for
    these very records and options, else drawn now."""
    from .plots.batch import chart_key, render, reusable, run_fingerprint

    found: list[bytes | None] = [None] * len(charts)
    if run_dir is not None:
        run = run_fingerprint(run_dir)
        base = run_fingerprint(base_dir) if base_dir is not None else None
        # RUN_DIR/figures, and for a 'negsim whatif' directory its shared DIR/figures
        figdirs = [Path(run_dir) / "figures"]
        if (Path(run_dir).parent / "whatif.json").is_file():
            figdirs.append(Path(run_dir).parent / "figures")
        if base_dir is None or base is not None:
            for n, chart in enumerate(charts):
                key = chart_key(chart, run, base, highlight, dpi, "png")
                for figdir in figdirs:
                    found[n] = found[n] or reusable(figdir, chart, key)
    missing = [n for n, data in enumerate(found) if data is None]
    drawn = render([charts[n] for n in missing], result, baseline, highlight=highlight,
                   dpi=dpi)
    for n, data in zip(missing, drawn):
        found[n] = data  # type: ignore[assignment]
    info["charts"] = len(charts)
    info["reused"] = len(charts) - len(missing)
    return found  # type: ignore[return-value]


def _caption(chart: "Chart", result: "RunResult", title: str, forecast: str) -> tuple[str, str]:
    """(alt text, caption HTML) of a chart."""
    name = result.actor_name(chart.actor) if chart.actor else ""
    lines = (f"width by capability, colour by bloc; black: forecast ({_e(forecast)}); dashed: "
             "mean; grey band: mean ± 1 s.d.")
    return {
        "multiples": (f"All issues of {result.scenario.title}, ordered by status",
                      f"All issues, ordered by status. Thin lines: actors ({lines})."),
        "convergence": (f"Positions by round on {title}",
                        f"{_e(title)}: every actor's position by round ({lines})."),
        "strip": ("Where each actor ends, per issue",
                  "Where each actor ends: points sized by capability × salience, named; a "
                  "number stands for that many members of one bloc at one position; black "
                  f"line: forecast ({_e(forecast)}); dashed: mean."),
        "quadrant": (f"View from {name} on {title}, round {chart.round}",
                     f"The view from {_e(name)} ({_e(title)}, round {chart.round}): each other "
                     f"actor at ({_e(name)}'s expected utility of challenging it, its expected "
                     f"utility of challenging {_e(name)}, as {_e(name)} sees it)."),
        "whatif-multiples": ("Every issue, the what-if over its baseline",
                             "Every issue by round: the baseline's actors in light grey and its "
                             "forecast grey dashed, under the what-if (colours by bloc, black "
                             "forecast)."),
        "whatif-convergence": (f"What-if and baseline by round on {title}",
                               f"{_e(title)}: the baseline in grey under the what-if; dotted: "
                               "the events of the what-if."),
        "whatif-strip": ("Where each actor ends, baseline and what-if",
                         "Where each actor ends: open grey points in the baseline, filled in "
                         "the what-if, arrows where it moved; the actors that moved most are "
                         "named with their change."),
    }[chart.kind]


# -- the document ----------------------------------------------------------------------------
def build_report(result: "RunResult", *, run_dir: str | Path | None = None,
                 actor: str | None = None, issue: str | None = None,
                 dpi: float = DEFAULT_DPI, baseline: "RunResult | None" = None,
                 base_dir: str | Path | None = None, highlight=None,
                 info: dict[str, Any] | None = None) -> str:
    """The report as one HTML document (a string). ``actor``/``issue`` choose the quadrant
    chart's focal actor and issue (defaults: the heaviest actor on the first issue);
    ``baseline`` (with ``base_dir``, its run directory) makes it the report of ``result`` as a
    what-if of that baseline; ``highlight`` colours and names the chosen actors in every chart.
    ``info``, when given, receives the number of charts and how many were reused from
    ``RUN_DIR/figures``."""
    import negsim

    from .plots._style import check_highlight, forecast_words
    from .plots.quadrant import view_from
    from .plots.runs import issue_title
    from .plots.whatif import check_pair

    info = info if info is not None else {}
    sc = result.scenario
    meta = sc.metadata
    hl = check_highlight(result, highlight)
    view = None
    if baseline is not None:
        check_pair(baseline, result)
        if actor is not None or issue is not None:
            from .errors import InputError, Problem

            raise InputError([Problem("--actor" if actor is not None else "--issue", "",
                                      "the what-if report has no 'view from an actor' chart")])
    elif "eu_ij" in result.pair_info and "eu_ji" in result.pair_info:
        view = view_from(result, actor, issue)
    elif actor is not None:
        view_from(result, actor, issue)  # raises the input error that explains why not

    parts: list[str] = []
    add = parts.append
    title = sc.title + (": a what-if against its baseline" if baseline is not None else "")
    add(f"<h1>{_e(title)}</h1>")
    if meta.date:
        add(f'<p class=lede>{_e(meta.date)}</p>')
    if meta.description:
        add(f"<p>{_e(meta.description)}</p>")
    for label, run in ((("baseline", baseline), ("what-if", result)) if baseline is not None
                       else (("", result),)):
        params = ", ".join(f"{_e(k)}={_e(v)}" for k, v in run.params.items()) or "none"
        add("<div class=facts>"
            + (f"<span><b>{_e(label)}</b></span>" if label else "")
            + f"<span><b>model</b> {_e(run.rule)}</span>"
            f"<span><b>seed</b> {_e(run.seed)}</span>"
            f"<span><b>rounds</b> {run.rounds_run} ({_e(_stop_reason(run))})</span>"
            f"<span><b>actors</b> {len(run.actor_ids)}</span>"
            f"<span><b>issues</b> {len(run.issue_ids)}</span>"
            f"<span><b>parameters</b> {params}</span></div>")
        if label:
            add("<div style='height:8px'></div>")

    forecast = forecast_words(result)
    if baseline is not None:
        add("<h2>What changed</h2>")
        add("<ul class=changes>" + "".join(f"<li>{_e(line)}</li>"
                                           for line in scenario_changes(baseline, result))
            + "</ul>")
        if result.events:
            add("<h3>Events of the what-if, as they happened</h3><ul>" + "".join(
                f"<li>round {t}: {_e(text)}</li>" for t, text in result.events) + "</ul>")
        add("<h2>Which issues converge, when and where: baseline → what-if</h2>")
        add(f"<p class=hint>Each cell: the baseline, then the what-if (changed values in bold). "
            f"Forecast: the {_e(forecast)} at the end; change: what-if minus baseline; mean: "
            "the weighted mean; dispersion: the weighted standard deviation of positions; "
            "moved most: the largest net move of the run (see docs/convergence.md).</p>")
        add(_before_after_table(baseline, result))
    else:
        add("<h2>Which issues converge, when and where</h2>")
        add(f"<p class=hint>Forecast: the {_e(forecast)} at the end; "
            "mean: the weighted mean; dispersion: the weighted standard deviation of positions. "
            "Consensus: dispersion within tolerance; deadlock: nobody moves any more; unsettled: "
            "still moving when the run ended (see docs/convergence.md).</p>")
        add(_summary_table(result))
        if result.events:
            add("<h3>Events (what-ifs)</h3><ul>" + "".join(
                f"<li>round {t}: {_e(text)}</li>" for t, text in result.events) + "</ul>")

    add("<h2>Charts</h2>")
    charts = _charts(result, view, baseline is not None)
    images = _images(charts, result, baseline, run_dir, base_dir, hl, dpi, info)
    for chart, png in zip(charts, images):
        alt, caption = _caption(chart, result, issue_title(result, chart.issue)
                                if chart.issue else "", forecast)
        add(_figure(png, alt, caption))

    add("<h2>Largest moves" + (" in the what-if" if baseline is not None else "") + "</h2>")
    lines = result.narrative(10)
    add("<ul class=moves>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"
        if lines else "<p>No actor moved.</p>")

    add("<h2>Reproduce " + ("these runs" if baseline is not None else "this run") + "</h2>")
    where = Path(run_dir) if run_dir is not None else Path("RUN_DIR")
    pairs = [("what-if", result, where), ("baseline", baseline,
                                          Path(base_dir) if base_dir else Path("BASE_DIR"))] \
        if baseline is not None else [("", result, where)]
    for label, run, d in pairs:
        assert run is not None
        name = f"The {label} run" if label else "The command that produced it"
        if run.command:
            add(f"<p>{_e(name)} (seed {_e(run.seed)}):</p>"
                f"<pre><code>{_e(run.command)}</code></pre>")
        else:
            add(f"<p class=hint>{_e(name)}: the command was not recorded (the run was made "
                "from Python).</p>")
        again = f"negsim run {d / 'scenario.yaml'} --seed {run.seed} --out DIR"
        add("<p>Or, from the run directory's own copy of the scenario (overrides applied):</p>"
            f"<pre><code>{_e(again)}</code></pre>")

    add("<h2>Sources</h2>")
    add(_sources(result))
    if meta.notes:
        add(f"<h3>Notes</h3><p>{_e(meta.notes)}</p>")
    if meta.authors:
        add(f"<p class=hint>Scenario by {_e(', '.join(meta.authors))}.</p>")
    add(f"<footer>Made by negsim {_e(negsim.__version__)} from the stored records of the run "
        f"({_e(where)}" + (f" and its baseline, {_e(base_dir)}" if base_dir else "") + "); "
        f"nothing was re-simulated. Cite the model (<code>negsim models {_e(result.rule)}"
        "</code>) and the sources above.</footer>")

    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<title>{_e(title)} – negsim report</title><style>{_CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")


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


def write_report(run_dir: str | Path, out: str | Path | None = None, *,
                 actor: str | None = None, issue: str | None = None,
                 dpi: float = DEFAULT_DPI, baseline: str | Path | None = None,
                 highlight=None, info: dict[str, Any] | None = None) -> Path:
    """Read a run directory (and, with ``baseline``, the baseline's run directory) and write
    the report (default ``RUN_DIR/report.html``). Everything is checked before anything is
    written."""
    from .files import write_atomic
    from .plots import load_run

    result = load_run(run_dir)
    base = load_run(baseline) if baseline is not None else None
    text = build_report(result, run_dir=run_dir, actor=actor, issue=issue, dpi=dpi,
                        baseline=base, base_dir=baseline, highlight=highlight, info=info)
    path = Path(out) if out is not None else Path(run_dir) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
