"""``negsim backtest``: score models against known outcomes (the DEU data, or your own cases)."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "score models against real outcomes: the DEU data or a scenario with an outcomes file"

EPILOG = """\
examples:
  negsim backtest deu                                   # shipped DEU I-III copy, 4 models
  negsim backtest deu --models compromise,eum --out runs/deu
  negsim backtest deu --capability council --ep-share CNS=0,COD=1
  negsim backtest deu path/to/DEU_III.csv               # the original download (semicolons)
  negsim backtest deu --export d00032i1 --out d00032i1.yaml   # one issue as a scenario
  negsim backtest my_case.yaml --outcomes outcomes.csv  # outcomes: issue,outcome[,date]

DEU options apply to 'deu'; --outcomes and --set to a scenario. See docs/backtest.md."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backtest", help=HELP, description=HELP + ".", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="deu|SCENARIO",
                   help="'deu' for the DEU data, or a scenario file scored with --outcomes")
    p.add_argument("file", metavar="FILE", nargs="?",
                   help="with 'deu': a DEU file (tab- or semicolon-separated; default: the "
                        "shipped DEU I-III copy)")
    p.add_argument("--outcomes", metavar="CSV",
                   help="with a scenario: CSV of issue,outcome (optional date, group, note)")
    p.add_argument("--models", metavar="LIST", default=None,
                   help="comma-separated rules (see 'negsim models'); default "
                        "compromise,median,nash,eum")
    p.add_argument("--param", dest="params", action="append", default=[],
                   metavar="MODEL.NAME=VALUE", help="a model's parameter, e.g. --param eum.q=0.5 "
                   "(repeatable)")
    p.add_argument("--rounds", type=int, metavar="N",
                   help="rounds of the dynamic models (DEU default 10; a scenario: its own)")
    p.add_argument("--stop", choices=("auto", "never"),
                   help="stopping rule (DEU default never: exactly --rounds rounds; a scenario: "
                        "its own)")
    deu = p.add_argument_group("DEU data")
    deu.add_argument("--capability", choices=("gdp", "council", "equal"),
                     help="capabilities: the file's GDP line (default when present), Council "
                          "voting weights of the regime on the decision date, or equal")
    deu.add_argument("--com-share", metavar="X|PROC=X,...",
                     help="Commission capability as a multiple of the largest member state's, "
                          "one number or per procedure (CNS=0.5,COD=1); default: the source's own")
    deu.add_argument("--ep-share", metavar="X|PROC=X,...",
                     help="Parliament capability, as --com-share")
    deu.add_argument("--missing-salience", choices=("absent", "zero"), default="absent",
                     help="a position without a salience: leave the actor out (default) or "
                          "read salience 0")
    deu.add_argument("--issues", metavar="ID,...", help="only these issue ids")
    deu.add_argument("--by", choices=("issue", "proposal"), default="issue",
                     help="one case per issue (default; as in the literature) or per proposal "
                          "(its issues bargained together: rules that trade across issues, "
                          "such as exchange, need it; issue-by-issue rules are unchanged)")
    deu.add_argument("--export", metavar="ID,...|all",
                     help="write these issues as scenario YAML files (to --out: a .yaml file or "
                          "a directory; one issue without --out: standard output) and stop")
    sc = p.add_argument_group("scenario")
    sc.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE",
                    help="override a scenario value before the back-test (repeatable)")
    out = p.add_argument_group("output")
    out.add_argument("--seed", type=int, metavar="S",
                     help="seed of the bootstrap and of the runs (default 0; a scenario's runs: "
                          "its own seed)")
    out.add_argument("--bootstrap", type=int, default=2000, metavar="N",
                     help="bootstrap resamples for the intervals (default 2000; 0: none)")
    out.add_argument("--workers", type=int, metavar="N", help="processes (default: all cores)")
    out.add_argument("--out", metavar="DIR",
                     help="write issues/summary/paired/skipped tables (Parquet and CSV), "
                          "errors.png and manifest.json to DIR")
    out.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=main)


# ------------------------------------------------------------------------------------------

def _split(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _share(option: str, text: str | None, problems: list) -> Any:
    from ..errors import Problem

    if text is None:
        return None

    def number(s: str) -> float | None:
        try:
            v = float(s)
        except ValueError:
            return None
        return v if v >= 0 and v == v and v != float("inf") else None

    if "=" not in text:
        v = number(text)
        if v is None:
            problems.append(Problem(option, "", "must be a number >= 0 or PROC=X,... "
                                    "(e.g. CNS=0,COD=1)", text))
        return v
    out = {}
    for part in _split(text):
        proc, _, value = part.partition("=")
        v = number(value)
        if not proc.strip() or v is None:
            problems.append(Problem(option, proc.strip(), "expected PROC=X with X a number >= 0",
                                    part))
            continue
        out[proc.strip().upper()] = v
    return out


def main(args: argparse.Namespace) -> int:
    from ..errors import InputError, Problem
    from .common import command_line, rule_params

    problems: list[Problem] = []
    is_deu = args.target.lower() == "deu"
    if is_deu:
        if args.outcomes:
            problems.append(Problem("--outcomes", "", "applies to a scenario, not to 'deu' (the "
                                    "DEU data carry their outcomes)", args.outcomes))
        if args.sets:
            problems.append(Problem("--set", "", "applies to a scenario, not to 'deu'",
                                    args.sets[0]))
    else:
        if args.file:
            problems.append(Problem(args.target, "", "a scenario back-test takes one file; "
                                    "give the outcomes with --outcomes", args.file))
        if not args.outcomes:
            problems.append(Problem("--outcomes", "", "required to back-test a scenario (a CSV "
                                    "of issue,outcome); or use 'negsim backtest deu'"))
        for opt, value in (("--capability", args.capability), ("--com-share", args.com_share),
                           ("--ep-share", args.ep_share), ("--issues", args.issues),
                           ("--export", args.export)):
            if value is not None:
                problems.append(Problem(opt, "", "applies to 'deu' only", value))
        if args.by != "issue":
            problems.append(Problem("--by", "", "applies to 'deu' only", args.by))
        if args.missing_salience != "absent":
            problems.append(Problem("--missing-salience", "", "applies to 'deu' only",
                                    args.missing_salience))
    if args.bootstrap < 0:
        problems.append(Problem("--bootstrap", "", "must be 0 (no intervals) or more",
                                args.bootstrap))
    if args.workers is not None and args.workers < 1:
        problems.append(Problem("--workers", "", "must be at least 1", args.workers))
    if args.rounds is not None and args.rounds < 1:
        problems.append(Problem("--rounds", "", "must be at least 1", args.rounds))
    if args.seed is not None and args.seed < 0:
        problems.append(Problem("--seed", "", "must be 0 or more", args.seed))
    com = _share("--com-share", args.com_share, problems)
    ep = _share("--ep-share", args.ep_share, problems)
    params = rule_params(args.params, problems)
    models = _split(args.models) if args.models is not None else None
    if args.models is not None and not models:
        problems.append(Problem("--models", "", "name at least one model", args.models))
    if problems:
        raise InputError(problems)

    from ..backtest import DEFAULT_MODELS, DEU_ROUNDS, DEU_STOP

    if args.out and not args.export:
        from ..files import check_output_dir

        check_output_dir(args.out)
    command = command_line(args)
    if is_deu:
        from ..deu import Capabilities

        caps = Capabilities(args.capability, com, ep) if args.capability else None
        if caps is None and (com is not None or ep is not None):
            caps = _default_caps(args.file, com, ep, args.missing_salience)
        if args.export:
            return _export(args, caps)
        from ..backtest import backtest_deu

        result = backtest_deu(args.file, models or DEFAULT_MODELS, capabilities=caps,
                              params=params, missing_salience=args.missing_salience,
                              rounds=args.rounds or DEU_ROUNDS, stop=args.stop or DEU_STOP,
                              workers=args.workers, seed=args.seed or 0,
                              resamples=args.bootstrap, issues=_split(args.issues) or None,
                              command=command, by=args.by)
    else:
        from ..backtest import backtest_scenario

        result = backtest_scenario(args.target, args.outcomes, models or DEFAULT_MODELS,
                                   params=params, overrides=args.sets, rounds=args.rounds,
                                   stop=args.stop, workers=args.workers, seed=args.seed,
                                   resamples=args.bootstrap, command=command)
    if args.out:
        result.save(args.out)
    if args.json:
        from .common import print_json

        print_json(result.to_dict())
        return 0
    print_summary(result)
    if args.out:
        from .common import note

        note(f"wrote {args.out}/ (issues, summary, paired, skipped as .parquet and .csv; "
             "errors.png; manifest.json)")
    return 0


def _default_caps(file: str | None, com: Any, ep: Any, missing: str):
    from ..deu import Capabilities, read_deu

    data = read_deu(file, missing_salience=missing)
    return Capabilities("gdp" if data.gdp is not None else "council", com, ep)


def _export(args: argparse.Namespace, caps) -> int:
    """Write DEU issues as scenario YAML files a user can ``negsim run``."""
    from pathlib import Path

    import yaml

    from ..backtest import DEU_ROUNDS, DEU_STOP
    from ..backtest.deu import export_documents
    from ..errors import InputError, Problem
    from ..files import write_atomic
    from .common import note

    wanted = _split(args.export)
    docs, problems = export_documents(args.file, caps, wanted, args.missing_salience,
                                      rounds=args.rounds or DEU_ROUNDS,
                                      stop=args.stop or DEU_STOP, seed=args.seed or 0)
    out = Path(args.out) if args.out else None
    if out is None and len(docs) > 1:
        problems.append(Problem("--out", "", "exporting several issues needs --out DIR"))
    if out is not None and out.suffix.lower() in (".yaml", ".yml") and len(wanted) > 1:
        problems.append(Problem("--out", "", "a single .yaml file holds one issue; give a "
                                "directory for several", str(out)))
    if problems:
        raise InputError(problems)

    def text(doc: dict) -> str:
        return "# Exported by negsim backtest deu --export; run it with: negsim run FILE\n" + \
            yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)

    if out is None:
        (iid, doc), = docs.items()
        print(text(doc), end="")
        return 0
    if out.suffix.lower() in (".yaml", ".yml"):
        out.parent.mkdir(parents=True, exist_ok=True)
        (iid, doc), = docs.items()
        write_atomic(out, lambda p: p.write_text(text(doc)))
        note(f"wrote {out}")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for iid, doc in docs.items():
        write_atomic(out / f"{iid}.yaml", lambda p, doc=doc: p.write_text(text(doc)))
    note(f"wrote {len(docs)} scenario file{'s' if len(docs) != 1 else ''} to {out}/")
    return 0


# ------------------------------------------------------------------------------------------

def _ci(row, name: str, fmt: str = "{:.1f}", scale: float = 1.0) -> str:
    value = row.get(name)
    if value is None or value != value:
        return "-"
    text = fmt.format(value * scale)
    lo, hi = row.get(f"{name}_low"), row.get(f"{name}_high")
    if lo is None or hi is None or lo != lo or hi != hi:
        return text
    return f"{text} [{fmt.format(lo * scale)}, {fmt.format(hi * scale)}]"


def print_summary(result) -> None:
    from rich.markup import escape
    from rich.table import Table

    from .common import console

    con = console()
    m = result.manifest
    counts = m.get("counts", {})
    con.print(f"[bold]Back-test: {escape(m.get('title', ''))}[/bold]")
    if m.get("target") == "deu":
        skipped = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in
                            counts.get("skipped", {}).items() if v)
        con.print(escape(f"{m['data_file']}: {counts.get('issues')} issues, "
                         f"{counts.get('with_outcome')} with an outcome, "
                         f"{counts.get('scored')} scored"
                         + (f" (skipped: {skipped})" if skipped else "")))
        con.print(f"capability: {m['capability']['description']}")
    else:
        con.print(escape(f"{m.get('scenario_file')} with outcomes {m.get('outcomes_file')}: "
                         f"{counts.get('scored')} of {counts.get('issues')} issues scored"))
    from ..rules import get_rule

    def setting(x: dict) -> str:
        text = x["name"] + (" (one-shot)" if x["rounds"] == 1 and x["stop"] is None else
                            ("" if x["rounds"] is None else f" {x['rounds']} rounds")
                            + ("" if x["stop"] is None else f", stop {x['stop']}"))
        defaults = get_rule(x.get("rule", x["name"])).defaults()
        changed = [f"{k}={v}" for k, v in x["params"].items() if defaults.get(k) != v]
        return text + (f" ({', '.join(changed)})" if changed else "")

    settings = "; ".join(setting(x) for x in m["models"])
    intervals = (f"95% bootstrap intervals ({m['bootstrap']} resamples, seed {m['seed']})"
                 if m["bootstrap"] else "no intervals (--bootstrap 0)")
    labels = {get_rule(x.get("rule", x["name"])).forecast_label for x in m["models"]}
    by = " (cases by proposal)" if m.get("cases_by") == "proposal" else ""
    con.print(escape(f"models: {settings}; forecast = each model's after its last round ("
                     + ", ".join(sorted(labels)) + f"){by}; errors in points of a 0-100 scale; "
                     f"{intervals}"))
    s = result.summary
    rows = s[s["by"] == "all"].to_dict(orient="records")
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for col, just in [("model", "left"), ("n", "right"), ("MAE", "right"),
                      ("median AE", "right"), ("|err| <= 5", "right"), ("|err| <= 10", "right"),
                      ("bias", "right")]:
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(r["model"], str(r["n"]), _ci(r, "mae"), _ci(r, "median_ae"),
                      _ci(r, "hit5", "{:.0f}%", 100), _ci(r, "hit10", "{:.0f}%", 100),
                      _ci(r, "bias", "{:+.1f}"))
    con.print(table)
    for by in m.get("breakdown", []):
        sub = s[s["by"] == by]
        groups = list(dict.fromkeys(sub["group"]))
        if len(groups) < 2 and by == "group":
            continue
        t = Table(title=f"MAE by {by.replace('_', ' ')}", show_edge=False,
                  header_style="bold", pad_edge=False, title_justify="left")
        t.add_column("model")
        for g in groups:
            n = int(sub[sub["group"] == g]["n"].iloc[0])
            t.add_column(escape(f"{g} (n={n})"), justify="right")
        for model in result.models:
            cells = []
            for g in groups:
                r = sub[(sub["group"] == g) & (sub["model"] == model)].to_dict(orient="records")
                cells.append(_ci(r[0], "mae") if r else "-")
            t.add_row(model, *cells)
        con.print(t)
    if len(result.paired):
        t = Table(title="Paired differences (A minus B; negative: A closer)", show_edge=False,
                  header_style="bold", pad_edge=False, title_justify="left")
        for col, just in [("A - B", "left"), ("MAE diff", "right"), ("detectable", "right"),
                          ("hit <= 10 diff", "right"), ("A closer / B closer / tie", "right")]:
            t.add_column(col, justify=just)  # type: ignore[arg-type]
        for r in result.paired.to_dict(orient="records"):
            det = r.get("detectable")
            t.add_row(f"{r['model_a']} - {r['model_b']}", _ci(r, "mae_diff", "{:+.1f}"),
                      "-" if det is None or det != det else f"{det:.1f}",
                      _ci(r, "hit10_diff", "{:+.0f}%", 100),
                      f"{r['a_closer']} / {r['b_closer']} / {r['ties']}")
        con.print(t)
    note_text = result.detectable_note()
    if note_text:
        con.print(f"[italic]{note_text}[/italic]")
