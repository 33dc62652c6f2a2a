"""decide's input files (the exchange model's public implementation) read as negsim scenarios.

decide (``decide-exchange-model``) describes a case in one record per line, the first field
naming the record type::

    '#A'  'A1'  'Actor one'  ''                      actor: id, full name, comment
    '#P'  'I1'  'Issue one'  ''                      issue: id, name, comment
    '#M'  'I1'  0  'no agreement'                    labelled scale point: issue, position, meaning
    '#D'  'A1'  'I1'  0  0.1  1  ''                  stance: actor, issue, position, salience, power
    '#/'  'a comment'                                comment (decide's docs also say '#0')
    '#O'  'a description'                            free text (kept in the scenario's notes)

The delimiter (tab, semicolon or comma) is guessed as decide does (``csv.Sniffer``); fields may
be quoted with single or double quotes; extra fields are joined into the last one (decide's
``squash``). An issue's scale is the span of its ``#M`` positions (0-100 without ``#M`` rows);
the lowest and highest labels become the scale's ``ends``, the others its ``anchors``. Power is
per actor and issue in decide: an actor's first ``#D`` power is its capability, different ones
become ``capability_by_issue``. Saliences are 0-1 in decide files; the scenario says
``salience_scale: auto``, so a file whose saliences exceed 1 is read as 0-100 like any negsim
file. The scenario runs the ``exchange`` rule for decide's default 10 rounds with no early stop.

Structural faults (an unknown row type, too few fields, ``#D`` rows naming an actor or issue
without its ``#A``/``#P`` row, duplicate rows, ``#M`` rows that are not numbers or give a scale
of one point) are collected as :class:`~negsim.errors.Problem` objects with their line; value
faults (numbers that are not numbers, positions off the scale, negative power) are left to
validation, which reports them with the same line numbers, all together.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any

from .base import Document, PathT, format_path
from .tabular import dialect, number, rows
from ..errors import InputError, Problem

__all__ = ["looks_like_decide", "read_decide", "ROW_TYPES"]

#: Record types and their field names (after the type field).
ROW_TYPES: dict[str, tuple[str, ...]] = {
    "#A": ("id", "name", "comment"),
    "#P": ("id", "name", "comment"),
    "#M": ("issue", "position", "meaning"),
    "#D": ("actor", "issue", "position", "salience", "power", "comment"),
    "#/": ("text",),
    "#0": ("text",),
    "#O": ("text",),
}
_REQUIRED = {"#A": 1, "#P": 1, "#M": 2, "#D": 5, "#/": 0, "#0": 0, "#O": 0}
_FIRST = re.compile(r"""^\s*['"]?(#[APMDO0/])['"]?\s*([\t;,]|$)""")


def looks_like_decide(text: str) -> bool:
    """True if the first non-blank line starts with one of decide's record types."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return bool(_FIRST.match(line))


def _rows(text: str, name: str = "<table>") -> list[tuple[int, list[str]]]:
    """Non-blank records as (line number, fields without quotes and padding)."""
    delim, quote = dialect(text)
    return rows(text, delim, quote, skipinitialspace=True, unquote=True, name=name)


def _fields(kind: str, cells: list[str]) -> dict[str, str]:
    names = ROW_TYPES[kind]
    values = list(cells[1:])
    if len(values) > len(names):     # decide joins the overflow into the last field
        values = values[:len(names) - 1] + [" ".join(values[len(names) - 1:])]
    return dict(zip(names, values))


def read_decide(text: str, name: str) -> Document:
    """Read a decide input file into the plain scenario layout (see the module docstring)."""
    doc = Document({}, name, "decide")
    problems: list[Problem] = []
    actors: dict[str, dict[str, Any]] = {}
    issues: dict[str, dict[str, Any]] = {}
    points: dict[str, list[tuple[float, str, int]]] = {}
    stances: list[tuple[int, dict[str, str]]] = []
    notes: list[str] = []
    for line, cells in _rows(text, name):
        kind = cells[0].upper()
        if kind not in ROW_TYPES:
            problems.append(Problem(name, "", "unknown row type (decide's are #A, #P, #M, #D, "
                                    "#/ and #O)", cells[0], line))
            continue
        rec = _fields(kind, cells)
        missing = [f for f in ROW_TYPES[kind][:_REQUIRED[kind]] if not rec.get(f)]
        if missing:
            problems.append(Problem(name, "", f"{kind} row: missing {', '.join(missing)} "
                                    f"(expected {kind}, {', '.join(ROW_TYPES[kind])})",
                                    "\t".join(cells), line))
            continue
        if kind in ("#/", "#0"):
            continue
        if kind == "#O":
            if rec.get("text"):
                notes.append(rec["text"])
            continue
        if kind in ("#A", "#P"):
            table, what = (actors, "actor") if kind == "#A" else (issues, "issue")
            key = rec["id"]
            path: PathT = ("actors" if kind == "#A" else "issues", key)
            if key in table:
                problems.append(Problem(name, format_path(path), f"duplicate {what} id (first "
                                        f"on line {doc.lines[path]})", key, line))
                continue
            entry: dict[str, Any] = {"name": rec.get("name") or key}
            if rec.get("comment"):
                entry["notes"] = rec["comment"]
            table[key] = entry
            doc.lines[path] = line
            continue
        if kind == "#M":
            pos = number(rec["position"])
            if not isinstance(pos, float) or not math.isfinite(pos):
                problems.append(Problem(name, format_path(("issues", rec["issue"], "scale")),
                                        "#M position must be a number", rec["position"], line))
                continue
            points.setdefault(rec["issue"], []).append((pos, rec.get("meaning", ""), line))
            continue
        stances.append((line, rec))

    for iid, pts in points.items():
        if iid not in issues:
            problems.append(Problem(name, format_path(("issues", iid)), "#M row for an issue "
                                    "with no #P row", iid, pts[0][2]))
    for iid, entry in issues.items():
        pts = sorted(points.get(iid, []))
        path = ("issues", iid)
        if not pts:
            entry["scale"] = {"low": 0.0, "high": 100.0}
            continue
        low, high = pts[0][0], pts[-1][0]
        doc.lines[path + ("scale",)] = pts[0][2]
        if high <= low:
            problems.append(Problem(name, format_path(path + ("scale",)), "the #M rows give a "
                                    "scale of one point; give its lowest and highest positions",
                                    low, pts[0][2]))
            continue
        entry["scale"] = {"low": low, "high": high}
        if pts[0][1] and pts[-1][1]:
            entry["ends"] = {"low": pts[0][1], "high": pts[-1][1]}
        inner = {p: label for p, label, _ in pts[1:-1] if label}
        if inner:
            entry["anchors"] = inner

    seen: dict[tuple[str, str], int] = {}
    for line, rec in stances:
        aid, iid = rec["actor"], rec["issue"]
        apath: PathT = ("actors", aid)
        bad = False
        if aid not in actors:
            problems.append(Problem(name, format_path(apath), "unknown actor id (no #A row "
                                    "defines it)", aid, line))
            bad = True
        if iid not in issues:
            problems.append(Problem(name, format_path(apath + ("issues", iid)), "unknown issue "
                                    "id (no #P row defines it)", iid, line))
            bad = True
        if bad:
            continue
        if (aid, iid) in seen:
            problems.append(Problem(name, format_path(apath + ("issues", iid)), "duplicate #D "
                                    f"row for this actor and issue (first on line "
                                    f"{seen[aid, iid]})", f"{aid}/{iid}", line))
            continue
        seen[aid, iid] = line
        entry = actors[aid]
        power = number(rec["power"])
        if "capability" not in entry:
            entry["capability"] = power
            doc.lines[apath + ("capability",)] = line
        elif power != entry["capability"]:
            entry.setdefault("capability_by_issue", {})[iid] = power
            doc.lines[apath + ("capability_by_issue", iid)] = line
        entry.setdefault("issues", {})[iid] = {"position": number(rec["position"]),
                                               "salience": number(rec["salience"])}
        spath = apath + ("issues", iid)
        for key in ("", "position", "salience"):
            doc.lines[spath + ((key,) if key else ())] = line
    for aid, entry in actors.items():
        if "capability" not in entry:      # an actor with no stance takes part in nothing
            entry["capability"] = 0.0
    if not issues and not problems:
        problems.append(Problem(name, "", "no issue (#P row) in this decide file"))
    if not actors and not problems:
        problems.append(Problem(name, "", "no actor (#A row) in this decide file"))
    if not issues or not actors:
        raise InputError(problems)
    doc.problems.extend(problems)
    meta: dict[str, Any] = {"title": Path(name).stem,
                            "description": f"decide input file {Path(name).name}"}
    if notes:
        meta["notes"] = " ".join(notes)
    doc.data = {"metadata": meta, "salience_scale": "auto", "issues": issues, "actors": actors,
                "model": {"rule": "exchange", "max_rounds": 10, "stop": "never"}}
    return doc
