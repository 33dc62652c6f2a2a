"""The comparison chart of ``negsim compare ... --out DIR``: per issue, each model's forecast on
the issue's scale.

A compare directory holds ``compare.json``::

    {"scenario": title, "scenario_file": path, "models": ["eum", "median", ...],
     "issues": {ISSUE_ID: {"name": ..., "scale": [low, high],
                           "models": {MODEL: {"forecast": float, "status": str,
                                              "converged_round": int | null,
                                              "rounds_run": int}},
                           "spread": float}}}

plus ``compare.csv`` and one run directory per model (``DIR/<model>/``, each with its own
``scenario.yaml``, from which the issues' end labels and anchors are read when present).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib.lines import Line2D

from ..errors import InputError, Problem
from ._style import (DEFAULT_DPI, OKABE_ITO, STATUS_COLOURS, finish_layout, house_style,
                     issue_ticks, new_figure, plain, tick_label, wrap)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..scenario import Scenario

__all__ = ["load_comparison", "plot_comparison", "is_compare_dir", "MARKERS"]

MARKERS = ["o", "s", "D", "^", "v", "P", "X", "h", "<", ">"]


def is_compare_dir(path: str | Path) -> bool:
    return (Path(path) / "compare.json").is_file()


def load_comparison(directory: str | Path) -> tuple[dict[str, Any], "Scenario | None"]:
    """Read and check ``compare.json``; return it with the scenario of the first model's run
    directory (None when no run directory holds a readable ``scenario.yaml``)."""
    d = Path(directory)
    path = d / "compare.json"
    name = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([Problem(str(d), "", "not a compare directory (no compare.json)")])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(name, "", f"cannot read: {exc}")]) from None
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise InputError([Problem(name, "", "must be a JSON object")])
    models = doc.get("models")
    issues = doc.get("issues")
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        problems.append(Problem(name, "models", "must be a non-empty list of model names",
                                models))
        models = []
    if not isinstance(issues, dict) or not issues:
        problems.append(Problem(name, "issues", "must be a non-empty mapping of issue ids",
                                issues))
        issues = {}
    for iid, entry in issues.items():
        where = f"issues.{iid}"
        if not isinstance(entry, dict):
            problems.append(Problem(name, where, "must be an object", entry))
            continue
        scale = entry.get("scale")
        if not (isinstance(scale, list) and len(scale) == 2
                and all(_finite(v) for v in scale) and scale[0] < scale[1]):
            problems.append(Problem(name, f"{where}.scale", "must be [low, high] with low < high",
                                    scale))
        per_model = entry.get("models")
        if not isinstance(per_model, dict):
            problems.append(Problem(name, f"{where}.models", "must be an object", per_model))
            continue
        for model, rec in per_model.items():
            if not isinstance(rec, dict) or not _finite(rec.get("forecast")):
                problems.append(Problem(name, f"{where}.models.{model}.forecast",
                                        "must be a finite number",
                                        rec.get("forecast") if isinstance(rec, dict) else rec))
            elif rec.get("status") not in STATUS_COLOURS:
                problems.append(Problem(name, f"{where}.models.{model}.status",
                                        "must be consensus, deadlock or unsettled",
                                        rec.get("status")))
    if problems:
        raise InputError(problems)
    return doc, _scenario_of(d, models)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _scenario_of(d: Path, models: list[str]) -> "Scenario | None":
    from ..scenario import load_scenario

    for model in models:
        path = d / model / "scenario.yaml"
        if path.is_file():
            try:
                return load_scenario(path)
            except InputError:
                continue
    return None


def _one_shot(doc: dict[str, Any], model: str) -> bool:
    """Whether a model is a one-shot forecast rule (no rounds, no convergence status): from
    the rule registry, or from the compare document's own account of the model."""
    from ..rules import UnknownRule, get_rule

    try:
        return bool(get_rule(model).one_shot)
    except UnknownRule:
        how = (doc.get("how") or {}).get(model)
        return isinstance(how, str) and how.startswith("one-shot")


def plot_comparison(directory: str | Path, *, dpi: float = DEFAULT_DPI) -> "Figure":
    """Per issue, each model's forecast on the issue's scale: one row per model, filled markers
    for settled runs (consensus or deadlock) and for one-shot rules (annotated "one-shot": the
    forecast is the rule itself, there is no bargaining to settle), open markers for unsettled
    ones. A 16:9 grid of issues, the legend in a spare cell."""
    doc, scenario = load_comparison(directory)
    models: list[str] = list(doc["models"])
    issues: dict[str, Any] = doc["issues"]
    one_shot = {mo: _one_shot(doc, mo) for mo in models}
    m = len(issues)
    ncols = 1 if m <= 2 else 2
    nrows = -(-m // ncols)
    with house_style():
        fig = new_figure(dpi=dpi)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, (iid, entry) in zip(axes, issues.items()):
            low, high = (float(v) for v in entry["scale"])
            rows = range(len(models))
            ax.set_ylim(len(models) - 0.4, -0.6)
            ax.set_yticks(list(rows), [plain(mo) for mo in models])
            ax.tick_params(axis="y", length=0, labelsize=9)
            for r in rows:
                ax.axhline(r, color="#EEEEEE", lw=0.8, zorder=0)
            spec = scenario.issues.get(iid) if scenario is not None else None
            if spec is not None and (spec.scale.low, spec.scale.high) == (low, high):
                ticks = issue_ticks(spec)
                ax.set_xticks([v for v, _ in ticks],
                              [tick_label(v, plain(lab), 17) for v, lab in ticks])
                for v, _ in ticks:
                    ax.axvline(v, color="#E6E6E6", lw=0.7, zorder=0)
                title = f"{iid} {spec.label}"
            else:
                title = f"{iid} {entry.get('name') or ''}".strip()
            pad = 0.04 * (high - low)
            ax.set_xlim(low - pad, high + pad)
            ax.tick_params(axis="x", labelsize=8.5)
            for r, model in enumerate(models):
                rec = entry["models"].get(model)
                if rec is None:
                    ax.text(low, r, "  no forecast", va="center", fontsize=8.5, color="#888888")
                    continue
                colour = OKABE_ITO[r % len(OKABE_ITO)]
                filled = one_shot[model] or rec["status"] in ("consensus", "deadlock")
                ax.plot([low, rec["forecast"]], [r, r], color=colour, lw=0.8, alpha=0.5,
                        zorder=1)
                ax.plot([rec["forecast"]], [r], marker=MARKERS[r % len(MARKERS)], ms=9,
                        color=colour, mfc=colour if filled else "white", mew=1.8, ls="none",
                        zorder=3, gid=f"model:{model}")
                if one_shot[model]:
                    what = "one-shot"
                else:
                    since = rec.get("converged_round")
                    detail = f" ({rec['detail']})" if isinstance(rec.get("detail"), str) \
                        and rec["detail"] else ""
                    what = rec["status"] + detail + (f" from round {since}"
                                                     if isinstance(since, int) else "")
                right = rec["forecast"] > low + 0.62 * (high - low)
                ax.annotate(plain(f"{rec['forecast']:.3g}  {what}"), xy=(rec["forecast"], r),
                            xytext=(-9 if right else 9, 0), textcoords="offset points",
                            va="center", ha="right" if right else "left", fontsize=8.5,
                            color="#444444", gid=f"note:{model}")
            spread = entry.get("spread")
            ax.set_title(plain(title), loc="left", fontsize=11)
            ax.set_title(f"spread {spread:.3g}" if _finite(spread) else "", loc="right",
                         fontsize=9, color="#555555")
            ax.set_gid(f"issue:{iid}")
        fig.suptitle(plain(f"{doc.get('scenario') or 'Comparison'}: forecasts by model"),
                     fontsize=13, fontweight="bold")
        handles = [Line2D([], [], color="#555555", marker="o", ls="none", ms=8,
                          label="settled (consensus or deadlock)"),
                   Line2D([], [], color="#555555", marker="o", mfc="white", ls="none", ms=8,
                          mew=1.8, label="unsettled (forecast = last round)")]
        if any(one_shot.values()):
            handles.append(Line2D([], [], ls="none", label="one-shot: a forecast rule, no "
                                  "rounds to settle"))
        caption = " · ".join(str(part) for part in (
            doc.get("command"), f"seed {doc['seed']}" if doc.get("seed") is not None else None)
            if part)
        spare = axes[m] if m < len(axes) else None
        for ax in axes[m + 1:]:
            ax.set_visible(False)
        if spare is not None:
            spare.set_axis_off()
            legend = spare.legend(handles=handles, loc="center", title=plain(wrap(caption, 70))
                                  or None, title_fontsize=8, fontsize=9.5)
            legend.set_in_layout(False)
        else:
            legend = fig.legend(handles=handles, loc="outside lower center", ncols=3,
                                title=plain(caption) or None, title_fontsize=8.5)
        if legend.get_title() is not None:
            legend.get_title().set_color("#666666")
        finish_layout(fig)
    return fig
