"""Options and helpers shared by commands that load a scenario."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..scenario import Scenario


def add_scenario_options(p: argparse.ArgumentParser, *, model: bool = True) -> None:
    p.add_argument("file", metavar="FILE",
                   help="scenario file: YAML, BDM-style CSV (actor,capability,position,salience) "
                        "or long CSV (actor,issue,capability,position,salience)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="PATH=VALUE",
                   help="override any scenario value, e.g. "
                        "--set actors.germany.issues.I6.salience=0.9 (repeatable)")
    if model:
        p.add_argument("--model", metavar="RULE",
                       help="bargaining rule (see 'negsim models'); default: the scenario's")
        p.add_argument("--param", dest="params", action="append", default=[],
                       metavar="NAME=VALUE", help="rule parameter, e.g. --param q=0.5 (repeatable)")
        p.add_argument("--rounds", type=int, metavar="N",
                       help="round limit (with --stop never: exactly N rounds)")
        p.add_argument("--stop", choices=("auto", "never"),
                       help="auto: end when every issue has reached consensus or deadlock "
                            "(default); never: run all rounds")
        p.add_argument("--seed", type=int, metavar="S", help="random seed (default: the scenario's)")


def overrides_from_args(args: argparse.Namespace) -> list[str]:
    """``--model/--rounds/--stop/--seed/--param`` expressed as ``--set`` overrides, so that bad
    values get the same field-level messages as bad files."""
    sets = list(getattr(args, "sets", []) or [])
    if getattr(args, "model", None):
        sets.append(f"model.rule={args.model}")
    if getattr(args, "rounds", None) is not None:
        sets.append(f"model.max_rounds={args.rounds}")
    if getattr(args, "stop", None):
        sets.append(f"model.stop={args.stop}")
    if getattr(args, "seed", None) is not None:
        sets.append(f"model.seed={args.seed}")
    for spec in getattr(args, "params", []) or []:
        name, sep, value = spec.partition("=")
        sets.append(f"model.params.{name.strip()}={value}" if sep else f"model.params.{spec}")
    return sets


def load_from_args(args: argparse.Namespace) -> "Scenario":
    """Read, override and validate the scenario named on the command line.

    When ``--model`` picks a rule other than the file's, the file's rule parameters (which
    belong to its own rule) are dropped and a note goes to stderr.
    """
    from ..readers import apply_overrides, read_document
    from ..scenario import validate_document

    doc = read_document(args.file)
    section = doc.data.get("model")
    file_rule = section.get("rule", "eum") if isinstance(section, dict) else None
    new_rule = getattr(args, "model", None)
    if new_rule and file_rule and new_rule != file_rule:
        dropped = section.pop("params", None)
        if dropped:
            note(f"note: the file's parameters for rule {file_rule!r} do not apply to "
                 f"{new_rule!r}; using {new_rule}'s defaults")
    doc.problems.extend(apply_overrides(doc, overrides_from_args(args)))
    return validate_document(doc)


def command_line(args: argparse.Namespace) -> str:
    """The command as typed, for the record (``summary.json``)."""
    return shlex.join(["negsim", *getattr(args, "argv", sys.argv[1:])])


def note(text: str) -> None:
    print(text, file=sys.stderr)


def print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, allow_nan=False) + "\n")


def console():
    """A rich console for tables (120 columns when not on a terminal). A reader that goes away
    (``negsim run F | head -1``) is not an error: rich's own handling would exit 1."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    con = _Console(highlight=False, soft_wrap=False)
    if not con.is_terminal:
        con = _Console(highlight=False, soft_wrap=False, width=120)
    return con


def rule_params(specs: list[str], problems: list) -> dict[str, dict[str, Any]]:
    """``--param RULE.NAME=VALUE`` options (compare, backtest) as {rule: {name: value}}, values
    read as YAML; malformed ones are added to ``problems``. The one parser of this form."""
    from ..readers import parse_value
    from ..errors import Problem

    out: dict[str, dict[str, Any]] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        rule, dot, name = key.strip().partition(".")
        if not sep or not dot or not rule or not name:
            problems.append(Problem("--param", "", "expected RULE.NAME=VALUE, e.g. eum.q=0.5",
                                    spec))
            continue
        out.setdefault(rule.strip(), {})[name.strip()] = parse_value(value)
    return out
