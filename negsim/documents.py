"""Reading scenario documents into plain data, remembering where every value came from.

A scenario reaches negsim as a YAML file, a BDM-style actor table (CSV ``actor,capability,
position,salience``) or a long table (CSV ``actor,issue,capability,position,salience``). Each is
turned into the same nested ``dict`` (the YAML layout, see ``docs/scenario-format.md``) plus a map
from field path to source line, so that validation messages can say ``file:line: path: ...``.

Nothing here judges values; :mod:`negsim.scenario` does. Structural faults that prevent reading
(malformed YAML, a CSV row with the wrong number of fields, a duplicate mapping key or actor) are
reported as :class:`~negsim.errors.Problem` objects, all at once.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, MISSING, Problem

__all__ = ["Document", "read_document", "parse_path", "format_path", "apply_overrides",
           "parse_value"]

PathT = tuple[str | int, ...]

#: Column sets recognised in CSV actor tables (lower-cased, order-free).
BDM_COLUMNS = ("actor", "capability", "position", "salience")
LONG_COLUMNS = ("actor", "issue", "capability", "position", "salience")
OPTIONAL_COLUMNS = ("bloc", "name")
SINGLE_ISSUE_ID = "issue"


def format_path(path: PathT) -> str:
    """``("events", 2, "round")`` -> ``events[2].round``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_path(text: str) -> PathT:
    """Inverse of :func:`format_path`: ``events[2].round`` -> ``("events", 2, "round")``."""
    parts: list[str | int] = []
    for chunk in text.split("."):
        if not chunk:
            raise ValueError(f"empty component in field path {text!r}")
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, sep, rest = rest.partition("]")
            if not sep or not index.strip().lstrip("-").isdigit():
                raise ValueError(f"bad list index in field path {text!r}")
            parts.append(int(index))
            rest = rest.lstrip("[")
    return tuple(parts)


@dataclass
class Document:
    """Plain data read from one scenario source, with the line of each value when known."""

    data: dict[str, Any]
    name: str
    kind: str  # "yaml", "csv-bdm", "csv-long", "csv-ktab", "dict"
    lines: dict[PathT, int] = field(default_factory=dict)
    #: Paths replaced by overrides, with where the override came from (``--set``).
    origins: dict[PathT, str] = field(default_factory=dict)
    #: Problems found while reading that did not stop it (a duplicate key keeps its first value);
    #: validation reports them together with its own.
    problems: list[Problem] = field(default_factory=list)

    def line(self, path: PathT) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def problem(self, path: PathT, message: str, value: Any = MISSING) -> Problem:
        for depth in range(len(path), 0, -1):
            origin = self.origins.get(path[:depth])
            if origin is not None:
                return Problem(origin, format_path(path), message, value)
        return Problem(self.name, format_path(path), message, value, self.line(path))


# --------------------------------------------------------------------------------------------
# YAML


def _yaml_problem(name: str, exc: Exception) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"malformed YAML: {what}" + (f" ({context})" if context else "")
    return Problem(name, "", message, line=line)


def _read_yaml(text: str, name: str) -> Document:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(name, exc)]) from None
    doc = Document({}, name, "yaml")
    if root is None:
        raise InputError([Problem(name, "", "the file is empty")])
    loader = yaml.SafeLoader("")
    problems: list[Problem] = []

    def build(node: Any, path: PathT) -> Any:
        doc.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    problems.append(
                        Problem(name, format_path(path), "mapping keys must be plain scalars",
                                key, key_node.start_mark.line + 1))
                    continue
                skey = key
                if skey in out:
                    problems.append(
                        Problem(name, format_path(path + (str(skey),)),
                                "duplicate key (it appears more than once here)", skey,
                                key_node.start_mark.line + 1))
                    continue
                out[skey] = build(value_node, path + (str(skey),))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, path + (i,)) for i, item in enumerate(node.value)]
        return loader.construct_object(node, deep=True)

    try:
        data = build(root, ())
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(name, exc)]) from None
    doc.problems.extend(problems)
    if not isinstance(data, dict):
        raise InputError([Problem(name, "", "a scenario file must be a mapping at top level",
                                  type(data).__name__, 1)])
    doc.data = data
    return doc


# --------------------------------------------------------------------------------------------
# CSV actor tables


def _number(text: str) -> Any:
    """A float if ``text`` reads as one (``nan`` included, to be rejected by validation), else
    the stripped text, so validation can report it verbatim."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return text


def _sniff_rows(text: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _infer_scale(values: list[float]) -> dict[str, float]:
    finite = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    if not finite:
        return {"low": 0.0, "high": 100.0}
    low, high = min(finite), max(finite)
    if high > low:
        return {"low": low, "high": high}
    return {"low": 0.0, "high": 100.0} if 0.0 <= low <= 100.0 else {"low": low, "high": low + 1.0}


def _read_csv(text: str, name: str) -> Document:
    from .ktab import is_ktab_csv, read_ktab_csv  # KTAB's SMP layout: see negsim/ktab.py

    if is_ktab_csv(text):
        return read_ktab_csv(text, name)
    from .decide_format import looks_like_decide, read_decide  # decide's rows: decide_format.py

    if looks_like_decide(text):
        return read_decide(text, name)
    rows = _sniff_rows(text)
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not numbered:
        raise InputError([Problem(name, "", "the file is empty")])
    header_line, header = numbered[0]
    columns = [c.strip().lower() for c in header]
    known = set(BDM_COLUMNS) | set(LONG_COLUMNS) | set(OPTIONAL_COLUMNS)
    problems: list[Problem] = []
    if "issue" in columns:
        required, kind = LONG_COLUMNS, "csv-long"
    else:
        required, kind = BDM_COLUMNS, "csv-bdm"
    missing = [c for c in required if c not in columns]
    if missing:
        problems.append(Problem(
            name, "", "not a negsim actor table: missing column(s) " + ", ".join(missing)
            + f"; expected {','.join(BDM_COLUMNS)} (one issue) or {','.join(LONG_COLUMNS)}",
            ",".join(header), header_line))
    for c in columns:
        if c not in known:
            problems.append(Problem(name, "", f"unknown column {c!r}", c, header_line))
    if len(set(columns)) != len(columns):
        problems.append(Problem(name, "", "a column name appears twice", ",".join(header),
                                header_line))
    if problems:
        raise InputError(problems)

    doc = Document({}, name, kind)
    actors: dict[str, Any] = {}
    issue_positions: dict[str, list[float]] = {}
    seen_pairs: dict[tuple[str, str], int] = {}
    for line, row in numbered[1:]:
        if len(row) != len(columns):
            problems.append(Problem(name, "", f"expected {len(columns)} fields "
                                    f"({','.join(columns)}), found {len(row)}",
                                    ",".join(row), line))
            continue
        rec = {c: cell.strip() for c, cell in zip(columns, row)}
        actor_name = rec["actor"]
        if not actor_name:
            problems.append(Problem(name, "", "empty actor name", ",".join(row), line))
            continue
        actor_id = actor_name
        issue_id = rec.get("issue", SINGLE_ISSUE_ID) or ""
        if kind == "csv-long" and not issue_id:
            problems.append(Problem(name, f"actors.{actor_id}", "empty issue id", ",".join(row),
                                    line))
            continue
        apath: PathT = ("actors", actor_id)
        if (actor_id, issue_id) in seen_pairs:
            what = "duplicate actor" if kind == "csv-bdm" else "duplicate actor/issue row"
            problems.append(Problem(
                name, format_path(apath), f"{what} (first on line {seen_pairs[actor_id, issue_id]})",
                actor_name, line))
            continue
        seen_pairs[actor_id, issue_id] = line
        capability = _number(rec["capability"])
        stance = {"position": _number(rec["position"]), "salience": _number(rec["salience"])}
        entry = actors.get(actor_id)
        if entry is None:
            entry = {"name": actor_name, "capability": capability, "issues": {}}
            for opt in OPTIONAL_COLUMNS:
                if rec.get(opt):
                    entry[opt] = rec[opt]
            actors[actor_id] = entry
            doc.lines[apath] = line
            doc.lines[apath + ("capability",)] = line
        elif capability != entry["capability"]:
            entry.setdefault("capability_by_issue", {})[issue_id] = capability
            doc.lines[apath + ("capability_by_issue", issue_id)] = line
        entry["issues"][issue_id] = stance
        spath = apath + ("issues", issue_id)
        for key in ("", "position", "salience"):
            doc.lines[spath + ((key,) if key else ())] = line
        issue_positions.setdefault(issue_id, []).append(stance["position"])
    if problems:
        raise InputError(problems)
    if not actors:
        raise InputError([Problem(name, "", "the table has a header but no actor rows",
                                  line=header_line)])
    issues = {
        iid: {"name": iid if kind == "csv-long" else Path(name).stem,
              "scale": _infer_scale(values)}
        for iid, values in issue_positions.items()
    }
    doc.data = {
        "metadata": {"title": Path(name).stem,
                     "description": f"Actor table read from {Path(name).name}"},
        "issues": issues,
        "actors": actors,
    }
    return doc


def read_document(path: str | Path) -> Document:
    """Read a scenario source by its suffix (``.yaml``/``.yml``/``.json`` or ``.csv``/``.tsv``)."""
    from .catalog import resolve_path, shipped

    p = resolve_path(path)
    name = str(path) if p == Path(path) else str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        names = ", ".join(n for n in shipped() if "/" not in n)
        raise InputError([Problem(name, "", f"no such file (shipped scenarios, usable by name: "
                                  f"{names})")]) from None
    except IsADirectoryError:
        raise InputError([Problem(name, "", "is a directory, not a scenario file")]) from None
    except OSError as exc:
        raise InputError([Problem(name, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem(name, "", "not UTF-8 text", line=line)]) from None
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_csv(text, name)
    if suffix in (".yaml", ".yml", ".json", ""):
        return _read_yaml(text, name)
    raise InputError([Problem(name, "", "unknown file type; use .yaml, .yml, .json or .csv",
                              suffix)])


# --------------------------------------------------------------------------------------------
# --set overrides


def parse_value(text: str) -> Any:
    """A command-line value read as YAML (``0.9`` a number, ``[1, 2]`` a list, ``auto`` text)."""
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        return text


def apply_overrides(doc: Document, overrides: list[str] | dict[str, Any],
                    origin: str = "--set") -> list[Problem]:
    """Apply ``path=value`` overrides to ``doc.data`` in place; return problems found.

    Values are read as YAML (``0.9`` is a number, ``[1, 2]`` a list, ``auto`` a string). Every
    component but the last must already exist; the last may be new when its parent is a mapping
    (adding a stance for an issue an actor had not taken part in, for example). A dict maps paths
    to already-parsed values (the Python API and sweeps use this form).
    """
    problems: list[Problem] = []
    items: list[tuple[str, Any, bool]] = []
    if isinstance(overrides, dict):
        items = [(k, v, False) for k, v in overrides.items()]
    else:
        for spec in overrides:
            key, sep, value = spec.partition("=")
            if not sep or not key.strip():
                problems.append(Problem(origin, "", "expected PATH=VALUE", spec))
                continue
            items.append((key.strip(), value, True))
    for key, value, from_text in items:
        try:
            path = parse_path(key)
        except ValueError as exc:
            problems.append(Problem(origin, key, str(exc)))
            continue
        node: Any = doc.data
        for depth, part in enumerate(path[:-1]):
            nxt = None
            if isinstance(node, dict) and part in node:
                nxt = node[part]
            elif isinstance(node, dict) and isinstance(part, str) and part == "params" \
                    and depth == 1 and path[0] == "model":
                nxt = node.setdefault("params", {})
            elif isinstance(node, dict) and isinstance(part, str) and depth == 0 \
                    and part in ("model", "metadata"):
                nxt = node.setdefault(part, {})
            elif isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
                nxt = node[part]
            if nxt is None or not isinstance(nxt, (dict, list)):
                problems.append(Problem(origin, format_path(path),
                                        f"no such field {format_path(path[:depth + 1])!r} "
                                        "in the scenario"))
                break
            node = nxt
        else:
            last = path[-1]
            val = parse_value(value) if from_text else value
            if isinstance(node, dict) and isinstance(last, str):
                node[last] = val
            elif isinstance(node, list) and isinstance(last, int) and -len(node) <= last < len(node):
                node[last] = val
            else:
                problems.append(Problem(origin, format_path(path), "no such field in the scenario"))
                continue
            doc.origins[path] = origin
    return problems
