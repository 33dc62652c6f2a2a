"""Fuzzing the readers and the command line: no input can make negsim crash.

Hypothesis mutates a valid scenario (as data: wrong types, dropped and renamed keys, huge, tiny,
NaN and infinite numbers, booleans, nulls, odd unicode, deep nesting; and as text: truncation,
duplicated and dropped lines, aliases, bad tags, impossible dates, long numbers) and generates
malformed negsim CSV tables, KTAB files and decide files. For every input:

* ``negsim validate FILE`` exits 0 or 2, never 1, raises nothing and prints no traceback;
* on exit 2 every stderr line but the last names the file (the last is the count);
* on exit 0, ``negsim run FILE --json --rounds 3 --out DIR`` exits 0, its JSON holds only
  finite numbers, and DIR is a complete run directory that loads back;
* on exit 2, ``negsim run FILE --out DIR`` exits 2 and writes nothing.

Everything runs in-process (``negsim.cli.main``) for speed. The suite's hypothesis profile is
derandomized (``tests/conftest.py``); ``HYPOTHESIS_PROFILE=explore`` searches afresh.
"""

from __future__ import annotations

import copy
import io
import json
import math
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from negsim.cli import main
from negsim.result import RunResult
from negsim.rules import rule_names

# -- the base scenario ------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "metadata": {"title": "Fuzz base", "date": "2022-01-12", "sources": ["a source"]},
    "salience_scale": "unit",
    "issues": {
        "I1": {"name": "first", "scale": {"low": 0, "high": 100}, "status_quo": 50,
               "anchors": {50: "middle"}},
        "I2": {"name": "second", "scale": {"low": -5, "high": 5}},
    },
    "actors": {
        "a": {"name": "Alpha", "bloc": "X", "capability": 1.0,
              "issues": {"I1": {"position": 10, "salience": 0.5},
                         "I2": {"position": -4, "salience": 0.9}}},
        "b": {"name": "Beta", "capability": 2.5,
              "issues": {"I1": {"position": 90, "salience": 0.7},
                         "I2": {"position": 3, "salience": 0.2}}},
        "c": {"name": "Gamma", "capability": 0.4,
              "issues": {"I1": {"position": 55, "salience": 1.0},
                         "I2": {"position": 0, "salience": 0.6}}},
    },
    "model": {"rule": "eum", "max_rounds": 10, "seed": 1},
    "events": [{"round": 2, "actor": "a", "issue": "I1", "position": 30}],
}

NUMBERS = [0, -0.0, 1, -1, 0.5, 2, 100, 1e12, -1e12, 1e12 + 1, 1e-12, -1e-12, 5e-324, 1e308,
           -1e308, 1e300, 10**70, -(10**70), 2**63, float("nan"), float("inf"), float("-inf")]
TEXTS = ["", " ", "yes", "no", "null", "~", "1e5", "0x1F", " 5 ", "nan", "inf", "eum", "smp",
         "auto", "never", "percent", "a", "I1", "\ud800", "\udcff", "a\ud83d\ude00b", "😀",
         "\u202eevil", "\x00", "\u2028", "x" * 300, "é" * 70, "9" * 80]
WEIRD = st.one_of(
    st.sampled_from(NUMBERS), st.sampled_from(TEXTS), st.booleans(), st.none(),
    st.integers(), st.floats(), st.text(max_size=12),
    st.sampled_from([[], [1, "a"], {}, {"x": 1}, {"position": 5}, [{"round": 1}]]),
)
KEYS = st.one_of(st.sampled_from(["", "I3", "zz", "position", "salience", "capability", "1",
                                  "\ud800", "é", "x" * 100]),
                 st.integers(-3, 3), st.booleans(), st.text(max_size=6))

#: Text snippets that break YAML, or YAML-readers, in known ways.
SNIPPETS = [
    "!!int abc", "!!float abc", "!!bool abc", "!!timestamp x", "2020-13-01", "2021-02-30",
    "9" * 5000, "-" + "9" * 70, "1" * 65 + ".5", "*nope", "&x [*x]", "!!python/object:os.system x",
    "!!python/name:os.system", "!foo x", "!!binary aGk=", "!!set {a, b}", "!!omap [a: 1]",
    '"\\ud800"', '"\\ud83d\\ude00"', '"\\udc80x"', "[" * 100 + "]" * 100,
    "{a: " * 80 + "1" + "}" * 80, "{a: 1, a: 2}", ".nan", ".inf", "-.inf", "1e308", "1.0e+400",
    "yes", "~", "0o17", "1:30", "2022-01-12 10:00:00", "'unterminated", "[1, 2", "{a: b",
    "? [a, b]\n  : c", "<<: {extra: 1}", "<<: *nope", "\t- tab", "key: value: more", "- - -",
    "--- \n---", "%YAML 1.1\n---", "@reserved", "`tick", "|\n  block", ">-\n  folded",
]
BOMB = ("lol0: &l0 [a, a, a, a, a, a, a, a, a, a]\n"
        + "".join(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n"
                  for i in range(1, 8)))


# -- running the command line in-process ------------------------------------------------------

def _cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def _no_constants(name: str) -> float:
    raise AssertionError(f"non-finite number {name} in the JSON output")


def _assert_finite(value: Any, where: str = "") -> None:
    if isinstance(value, float):
        assert math.isfinite(value), f"non-finite number at {where}"
    elif isinstance(value, dict):
        for k, v in value.items():
            _assert_finite(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _assert_finite(v, f"{where}[{i}]")


RUN_FILES = {"summary.json", "scenario.yaml", "issue_rounds.csv", "issue_rounds.parquet",
             "actor_rounds.csv", "actor_rounds.parquet"}


def check_input(data: bytes, suffix: str, sets: list[str] = ()) -> int:
    """The contract, for one input file: see the module docstring. Returns validate's status."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"case{suffix}"
        path.write_bytes(data)
        extra = [a for s in sets for a in ("--set", s)]
        rc, out, err = _cli(["validate", str(path), *extra])
        assert rc in (0, 2), f"validate exited {rc}: {err}"
        assert "Traceback" not in err and "Traceback" not in out
        run_dir = Path(tmp) / "out" / "run"
        if rc == 2:
            _assert_named(err, path)
            # --rounds 3 could make an invalid file valid (max_rounds), so no --rounds here
            rc2, _, err2 = _cli(["run", str(path), *extra, "--out", str(run_dir)])
            assert rc2 == 2, err2
            assert not (Path(tmp) / "out").exists()
            return rc
        args = [str(path), *extra, "--rounds", "3"]
        rc3, _, err3 = _cli(["validate", *args])
        assert rc3 in (0, 2), err3
        rc2, out2, err2 = _cli(["run", *args, "--json", "--out", str(run_dir)])
        if rc3 == 2:  # --rounds 3 itself is refused (an event after round 3)
            _assert_named(err2, path)
            assert rc2 == 2 and not (Path(tmp) / "out").exists(), err2
            return rc
        assert rc2 == 0, f"run exited {rc2} on a valid scenario: {err2}"
        doc = json.loads(out2, parse_constant=_no_constants)
        _assert_finite(doc)
        assert RUN_FILES <= {p.name for p in run_dir.iterdir()}
        assert [p.name for p in run_dir.parent.iterdir()] == ["run"]   # no temporaries left
        loaded = RunResult.load(run_dir)
        assert loaded.rounds_run == doc["rounds_run"]
        return rc


def _assert_named(err: str, path: Path) -> None:
    """Exit-2 output: one line per problem naming the file (or the option), then the count."""
    lines = err.splitlines()
    assert lines and lines[-1].startswith("negsim: ") and "problem" in lines[-1], err
    for line in lines[:-1]:
        assert line.startswith((str(path), "--set")), line


# -- YAML documents -----------------------------------------------------------------------------

def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated_data(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        last = path[-1]
        kind = draw(st.sampled_from(["set", "set", "drop", "rename", "nest", "rule", "number",
                                     "extremes", "extremes"]))
        if kind == "set":
            parent[last] = draw(WEIRD)
        elif kind == "number":
            parent[last] = draw(st.sampled_from(NUMBERS) | st.floats(-1e13, 1e13))
        elif kind == "drop":
            del parent[last]
        elif kind == "rename" and isinstance(parent, dict):
            parent[draw(KEYS)] = parent.pop(last)
        elif kind == "nest":
            value: Any = parent[last]
            for _ in range(draw(st.integers(1, 80))):
                value = [value]
            parent[last] = value
        elif kind == "extremes":
            _extremes(data, draw)
        elif kind == "rule":
            data["model"] = {**(data.get("model") if isinstance(data.get("model"), dict)
                                else {}), "rule": draw(st.sampled_from(rule_names()))}
    return data


def _extremes(data: dict[str, Any], draw: st.DrawFn) -> None:
    """Valid values at the ends of the magnitude policy (+-1e12, 1e-12), in place."""
    ends = st.sampled_from([0.0, 1e-12, 1.0, 1e12])
    issues, actors = data.get("issues"), data.get("actors")
    if isinstance(issues, dict):
        for issue in issues.values():
            if isinstance(issue, dict) and draw(st.booleans()):
                low = draw(st.sampled_from([-1e12, -1e-12, 0.0]))
                issue["scale"] = {"low": low, "high": draw(st.sampled_from([1e-12, 1.0, 1e12]))}
                issue.pop("anchors", None)
                issue.pop("status_quo", None)
        if isinstance(data.get("events"), list):
            data["events"] = []
    if isinstance(actors, dict):
        for actor in actors.values():
            if not isinstance(actor, dict):
                continue
            actor["capability"] = draw(ends)
            for iid, stance in (actor.get("issues") or {}).items():
                scale = (issues or {}).get(iid, {}).get("scale", {}) \
                    if isinstance(issues, dict) and isinstance(issues.get(iid), dict) else {}
                if isinstance(stance, dict) and isinstance(scale, dict) and scale:
                    stance["position"] = draw(st.sampled_from([scale.get("low"),
                                                               scale.get("high")]))
                    stance["salience"] = draw(st.sampled_from([1e-12, 0.5, 1.0]))


def _dump(data: Any, draw: st.DrawFn) -> str:
    return yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=False,
                          default_flow_style=draw(st.sampled_from([False, None, True])))


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    text = _dump(draw(mutated_data()) if draw(st.booleans()) else BASE, draw)
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["value", "value", "insert", "dup", "drop", "swap",
                                     "truncate", "bomb", "anchor"]))
        if kind == "value" and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            snippet = draw(st.sampled_from(SNIPPETS))
            lines[i] = f"{head}: {snippet}"
        elif kind == "insert":
            indent = " " * draw(st.sampled_from([0, 2, 4, 6]))
            lines.insert(i, indent + draw(st.sampled_from(SNIPPETS)))
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "drop":
            del lines[i]
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "truncate":
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
            del lines[i + 1:]
        elif kind == "bomb":
            lines.insert(0, BOMB.rstrip("\n"))
        elif kind == "anchor" and ":" in lines[i] and not lines[i].startswith(" "):
            lines.insert(0, "shared: &s {position: 1, salience: 0.5, extra: [1, 2]}")
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {draw(st.sampled_from(['*s', '{<<: *s}', '[*s, *s]']))}"
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


def _encode(text: str, draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "bom", "latin-1", "surrogate"]))
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if how == "latin-1":
        return text.encode("latin-1", "replace")
    return text.encode("utf-8", "surrogatepass" if how == "surrogate" else "backslashreplace")


@given(st.data())
def test_fuzzed_yaml_never_crashes_validate_or_run(data):
    text = data.draw(yaml_texts())
    check_input(_encode(text, data.draw), data.draw(st.sampled_from([".yaml", ".json", ".yml"])))


@given(mutated_data())
def test_mutated_scenarios_give_exit_0_or_field_errors(doc):
    """Type swaps and strange values through an otherwise intact file (mostly reaching the
    validator rather than the parser)."""
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    check_input(text.encode("utf-8", "surrogatepass"), ".yaml")


SET_PATHS = ["actors.a.name", "actors.a.capability", "actors.b.issues.I1.position",
             "actors.c.issues.I2.salience", "issues.I1.scale.low", "issues.I2.scale.high",
             "issues.I1.status_quo", "model.max_rounds", "model.seed", "model.rule",
             "model.params.q", "metadata.title", "events[0].round", "events[0].position",
             "actors.a.issues.I9.position", "actors.zz", "actors.b", "nope.x", "events[7]"]


MILD = ["0.5", "7", "40", "1", "0", "3", "eum", "smp", "exchange", "median", "never", "null"]


@given(st.lists(st.tuples(st.sampled_from(SET_PATHS),
                          st.sampled_from(MILD) | st.sampled_from(
                              SNIPPETS + TEXTS + [repr(n) for n in NUMBERS])),
                min_size=1, max_size=3))
def test_fuzzed_set_overrides(pairs):
    text = yaml.safe_dump(BASE, sort_keys=False)
    check_input(text.encode(), ".yaml", [f"{p}={v}" for p, v in pairs])


# -- tables: negsim CSV, KTAB, decide -----------------------------------------------------------

CELLS = st.one_of(st.sampled_from(["", "1", "0", "-1", "50", "0.5", "1e12", "1e13", "-1e12",
                                   "1e-12", "nan", "inf", "-inf", "1e308", "true", "yes",
                                   "9" * 70, "9" * 5000, "abc", '"', "'", '"a,b"', "a\nb",
                                   "\x00", "é", "\ud800", "#A", "I1", " 7 "]),
                  st.integers(-200, 200).map(str),
                  st.floats(-1e3, 1e3, allow_nan=False).map(lambda x: f"{x:.4g}"),
                  st.text(max_size=8))


@st.composite
def csv_tables(draw: st.DrawFn) -> str:
    base = ["actor", "issue", "capability", "position", "salience", "bloc", "name"]
    clean = draw(st.booleans())  # half the tables are valid but for a cell or two
    if clean:
        columns = list(draw(st.permutations(
            base[:5] if draw(st.booleans()) else ["actor", *base[2:5]])))
        columns += [c for c in ("bloc", "name") if draw(st.booleans())]
    else:
        columns = draw(st.permutations(base))[:draw(st.integers(2, 7))]
        if draw(st.booleans()):
            columns = [c for c in ["actor", "issue", "capability", "position", "salience"]
                       if c in columns or draw(st.booleans())] or ["actor"]
        if draw(st.integers(0, 4)) == 0:
            columns.append(draw(st.sampled_from(["extra", "Actor", "capability", ""])))
    delim = draw(st.sampled_from([",", ",", ";", "\t"] if clean else [",", ";", "\t", "|", " "]))
    rows = [delim.join(columns)]
    n = draw(st.integers(2, 6) if clean else st.integers(0, 6))
    odds = 30 if clean else 6
    for r in range(n):
        cells = []
        for c in columns:
            if c == "actor":
                cell = f"a{r % 4}" if not clean or "issue" in columns else f"a{r}"
            elif c == "issue":
                cell = "I1" if clean else draw(st.sampled_from(["I1", "I2", "I1"]))
            elif c == "salience":
                cell = f"{draw(st.floats(0.05, 1)):.3f}"
            elif c == "capability":
                cell = f"{draw(st.floats(0.1, 100)):.3f}"
            elif c == "position":
                cell = f"{draw(st.floats(0, 100)):.3f}"
            else:
                cell = draw(st.sampled_from(["x", "Name", ""]))
            if draw(st.integers(0, odds)) == 0:
                cell = draw(CELLS)
            cells.append(cell)
        if not clean and draw(st.integers(0, 8)) == 0:
            cells = cells[:draw(st.integers(0, len(cells)))] or cells + ["9"]
        rows.append(delim.join(cells))
    return "\n".join(rows) + "\n"


@st.composite
def ktab_tables(draw: st.DrawFn) -> str:
    clean = draw(st.booleans())
    dims = draw(st.integers(1, 3))
    n = draw(st.integers(2, 5) if clean else st.integers(0, 5))
    declared_n = n if clean or draw(st.integers(0, 3)) else draw(st.integers(0, 9))
    declared_d = str(dims) if clean or draw(st.integers(0, 4)) else draw(CELLS)
    lines = [f"Fuzz ,\"a KTAB file\",{declared_n},{declared_d},"]
    header = ["Actor", "Description", "Power"] + [f"{k}{j}" for j in range(dims)
                                                   for k in ("Pstn", "Sal")]
    if not clean and draw(st.integers(0, 5)) == 0:
        header = header[:draw(st.integers(0, len(header)))]
    lines.append(",".join(header) + ",")
    for r in range(n):
        cells = [f"Actor-{r}", "desc", f"{draw(st.floats(0.1, 300)):.2f}"]
        for _ in range(dims):
            cells += [f"{draw(st.floats(0, 100)):.2f}", f"{draw(st.floats(1, 100 / dims)):.2f}"]
        for _ in range(draw(st.integers(0, 2)) if not clean or r == 0 else 0):
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CELLS)
        lines.append(", ".join(cells) + ("," if draw(st.booleans()) else ""))
    return "\n".join(lines) + "\n"


@st.composite
def decide_tables(draw: st.DrawFn) -> str:
    delim = draw(st.sampled_from(["\t", ";", ","]))
    q = draw(st.sampled_from(["'", '"', ""]))

    def row(*cells: str) -> str:
        return delim.join(f"{q}{c}{q}" if not c.replace(".", "").isdigit() else c
                          for c in cells)

    clean = draw(st.booleans())
    actors = [f"A{i}" for i in range(draw(st.integers(2 if clean else 0, 4)))]
    issues = [f"P{i}" for i in range(draw(st.integers(1 if clean else 0, 3)))]
    lines = [row("#/", "a decide file")]
    lines += [row("#A", a, f"Actor {a}", "") for a in actors]
    lines += [row("#P", p, f"Issue {p}", "") for p in issues]
    for p in issues:
        lines += [row("#M", p, "0", "low"), row("#M", p, "100", "high")]
    for a in actors:
        for p in issues:
            lines.append(row("#D", a, p, f"{draw(st.floats(0, 100)):.1f}",
                             f"{draw(st.floats(0.05, 1)):.2f}",
                             f"{draw(st.floats(0.1, 10)):.2f}", ""))
    for _ in range(draw(st.integers(0, 1) if clean else st.integers(0, 3))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["cell", "drop", "dup", "junk", "truncate"]))
        cells = lines[i].split(delim)
        if kind == "cell":
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CELLS)
            lines[i] = delim.join(cells)
        elif kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "junk":
            lines.insert(i, row(draw(st.sampled_from(["#X", "#D", "#M", "#A", "x"])),
                                *[draw(CELLS) for _ in range(draw(st.integers(0, 6)))]))
        else:
            lines[i] = lines[i][:draw(st.integers(0, len(lines[i])))]
    return "\n".join(lines) + "\n"


@given(st.data())
def test_fuzzed_tables_never_crash(data):
    text = data.draw(st.one_of(csv_tables(), ktab_tables(), decide_tables()))
    check_input(_encode(text, data.draw), data.draw(st.sampled_from([".csv", ".csv", ".tsv",
                                                                     ".txt"])))


@settings(max_examples=20)
@given(st.sampled_from(["a,b", "actor,capability,position,salience\n" + "a,1,1,1\n" * 3,
                        "\n\n\n", "#A\n", "x,y,1,1\n", ",,,\n", '"\n', "\ufeff", "\x00\x00"]),
       st.sampled_from([".csv", ".yaml"]))
def test_degenerate_files(text, suffix):
    check_input(text.encode("utf-8"), suffix)
