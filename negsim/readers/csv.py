"""negsim's own actor tables in CSV: a BDM-style table (``actor,capability,position,salience``,
one issue) or a long table (``actor,issue,capability,position,salience``, any number of
issues), with optional ``bloc`` and ``name`` columns."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from .base import Document, PathT, format_path
from .tabular import dialect as _dialect
from .tabular import number as _number
from .tabular import rows as _rows

__all__ = ["read_csv", "BDM_COLUMNS", "LONG_COLUMNS", "OPTIONAL_COLUMNS"]

#: Column sets recognised in CSV actor tables (lower-cased, order-free).
BDM_COLUMNS = ("actor", "capability", "position", "salience")
LONG_COLUMNS = ("actor", "issue", "capability", "position", "salience")
OPTIONAL_COLUMNS = ("bloc", "name")
SINGLE_ISSUE_ID = "issue"


def _infer_scale(values: list[float]) -> dict[str, float]:
    finite = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    if not finite:
        return {"low": 0.0, "high": 100.0}
    low, high = min(finite), max(finite)
    if high > low:
        return {"low": low, "high": high}
    if 0.0 <= low <= 100.0:
        return {"low": 0.0, "high": 100.0}
    from ..scenario import MAGNITUDE

    # one position: a unit-wide scale above it, or below it at the magnitude limit
    if low + 1.0 <= MAGNITUDE:
        return {"low": low, "high": low + 1.0}
    return {"low": low - 1.0, "high": low}


def read_csv(text: str, name: str) -> Document:
    delimiter, quote = _dialect(text[:4096], sample_lines=200)
    numbered = _rows(text, delimiter, quote, trim=False, name=name)
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


