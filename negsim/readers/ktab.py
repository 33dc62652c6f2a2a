"""KTAB's SMP input files (CSV) read as negsim scenarios.

KTAB (the KAPSARC Toolkit for Behavioral Analysis) describes a Spatial Model of Politics run in
a small CSV layout, so its users can bring their files unchanged::

    DummyData_3Dim ,"Dummy scenario to test reading format",7,3,
    Actor,Description,Power,Pstn1,Sal1,Pstn2,Sal2,Pstn3,Sal3,
    SActor-00, Random Spatial Actor, 102.543, 75.79, 49.53,  6.37,  5.91, 70.45, 28.15,
    ...

Line 1: scenario name, description, number of actors, number of dimensions (further fields are
ignored, as KTAB does). Line 2: a header whose fourth, sixth, ... fields name the dimensions.
Then one row per actor: name, description, capability ("power"), then a position (0-100) and a
salience (0-100) per dimension; an actor's saliences may total at most 100. Fields are separated
by commas, may be quoted, padded with spaces and followed by a trailing comma.

:func:`read_ktab_csv` turns such a file into the plain scenario layout of
:mod:`negsim.readers` (dimensions become issues on a 0-100 scale, saliences stay in percent,
``model: {rule: smp}``), with the line of every value, so validation reports problems as
``file:line: field: message (got value)``. Structural faults (counts that disagree, short rows,
duplicate actors, a salience total above 100) are found here and reported by validation together
with its own, all at once; a file whose first two lines cannot be read stops here.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from .base import Document, PathT
from .tabular import number, rows
from ..errors import InputError, Problem

__all__ = ["is_ktab_csv", "read_ktab_csv"]


def _rows(text: str, name: str = "<table>") -> list[tuple[int, list[str]]]:
    """Non-blank rows as (line number, stripped fields without trailing empty fields)."""
    return rows(text, ",", skipinitialspace=True, name=name)


def _count(text: str) -> int | None:
    return int(text) if re.fullmatch(r"\d+", text.strip()) else None


def is_ktab_csv(text: str) -> bool:
    """True if the first non-blank line looks like KTAB's: at least four comma-separated fields,
    the third and fourth whole numbers (actor and dimension counts)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        rows = _rows(line)
    except (csv.Error, InputError):
        return False
    cells = rows[0][1] if rows else []
    return len(cells) >= 4 and _count(cells[2]) is not None and _count(cells[3]) is not None


def _issue_id(header: str, k: int, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]+", "_", header).strip("_") or f"D{k + 1}"
    iid, n = base, 2
    while iid in taken:
        iid, n = f"{base}_{n}", n + 1
    taken.add(iid)
    return iid


def read_ktab_csv(text: str, name: str) -> Document:
    """Read a KTAB SMP CSV file into a :class:`~negsim.documents.Document`."""
    try:
        rows = _rows(text, name)
    except csv.Error as exc:
        raise InputError([Problem(name, "", f"malformed CSV: {exc}")]) from None
    problems: list[Problem] = []
    if not rows:
        raise InputError([Problem(name, "", "the file is empty")])
    first_line, first = rows[0]
    scen_name, scen_desc = first[0], first[1]
    n_actors, n_dims = _count(first[2]), _count(first[3])
    if n_dims is None or n_dims < 1:
        raise InputError([Problem(name, "", "KTAB file: the fourth field of the first line must "
                                  "be the number of dimensions (at least 1)", first[3],
                                  first_line)])
    if len(rows) < 2:
        raise InputError([Problem(name, "", "KTAB file: the header line (Actor, Description, "
                                  "Power, position and salience per dimension) is missing",
                                  line=first_line)])
    header_line, header = rows[1]
    width = 3 + 2 * n_dims
    if len(header) < width:
        raise InputError([Problem(name, "", f"KTAB file: the first line declares {n_dims} "
                                  f"dimension(s), so the header needs {width} fields (Actor, "
                                  "Description, Power, then position and salience per "
                                  f"dimension); it has {len(header)}", ",".join(header),
                                  header_line)])
    taken: set[str] = set()
    dims = [(_issue_id(header[3 + 2 * k], k, taken), header[3 + 2 * k] or f"Dimension {k + 1}")
            for k in range(n_dims)]

    doc = Document({}, name, "csv-ktab")
    actors: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for line, cells in rows[2:]:
        if len(cells) != width:
            problems.append(Problem(name, "", f"KTAB file: expected {width} fields (name, "
                                    f"description, power, then position and salience for "
                                    f"{n_dims} dimension(s)), found {len(cells)}",
                                    ",".join(cells), line))
            continue
        actor = cells[0]
        if not actor:
            problems.append(Problem(name, "", "empty actor name", ",".join(cells), line))
            continue
        apath: PathT = ("actors", actor)
        if actor in seen:
            problems.append(Problem(name, "actors." + actor, f"duplicate actor (first on line "
                                    f"{seen[actor]})", actor, line))
            continue
        seen[actor] = line
        entry: dict[str, Any] = {"name": actor, "capability": number(cells[2]), "issues": {}}
        if cells[1]:
            entry["notes"] = cells[1]
        doc.lines[apath] = line
        doc.lines[apath + ("capability",)] = line
        total = 0.0
        for k, (iid, _) in enumerate(dims):
            stance = {"position": number(cells[3 + 2 * k]),
                      "salience": number(cells[4 + 2 * k])}
            entry["issues"][iid] = stance
            for key in ("", "position", "salience"):
                doc.lines[apath + ("issues", iid) + ((key,) if key else ())] = line
            if isinstance(stance["salience"], float):
                total += stance["salience"]
        if total > 100.0:
            problems.append(Problem(name, f"actors.{actor}.issues", "KTAB file: an actor's "
                                    "saliences may total at most 100", round(total, 6), line))
        actors[actor] = entry
    if n_actors is not None and n_actors != len(rows) - 2:
        problems.append(Problem(name, "", f"KTAB file: the first line declares {n_actors} "
                                f"actor(s) but {len(rows) - 2} actor row(s) follow",
                                first[2], first_line))
    # reported together with validation's own problems (values, scales), all at once
    doc.problems.extend(problems)

    issues = {iid: {"name": label, "scale": {"low": 0.0, "high": 100.0}} for iid, label in dims}
    for iid, _ in dims:
        doc.lines[("issues", iid)] = header_line
    doc.lines[("metadata",)] = first_line
    doc.data = {
        "metadata": {"title": scen_name or Path(name).stem,
                     "description": scen_desc,
                     "notes": f"Read from the KTAB SMP file {Path(name).name}: {len(actors)} "
                              f"actors, {n_dims} dimension(s), positions and saliences on "
                              "0-100."},
        "salience_scale": "percent",
        "issues": issues,
        "actors": actors,
        "model": {"rule": "smp", "max_rounds": 100, "stop": "auto"},
    }
    return doc
