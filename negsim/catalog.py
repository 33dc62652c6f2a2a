"""The scenarios shipped inside the package, addressable by name.

``negsim run nato_russia_2022`` runs ``negsim/scenarios/nato_russia_2022.yaml`` from wherever
negsim is installed; ``negsim scenarios`` lists them and ``negsim init NAME DIR`` copies one
for editing. A name is a file's stem under ``negsim/scenarios`` (``ktab/dummyData_3Dim`` for a
file in a subfolder). A path that exists always wins over a name.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SCENARIO_DIR", "shipped", "scenario_path", "resolve_path"]

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
_SUFFIXES = (".yaml", ".yml", ".csv", ".tsv", ".txt")


def shipped() -> dict[str, Path]:
    """Name -> file of every shipped scenario (the research sources excluded)."""
    out: dict[str, Path] = {}
    for path in sorted(SCENARIO_DIR.rglob("*")):
        rel = path.relative_to(SCENARIO_DIR)
        if path.is_file() and path.suffix.lower() in _SUFFIXES and rel.parts[0] != "sources" \
                and path.name.lower() != "readme.md":
            out[str(rel.with_suffix(""))] = path
    return out


def scenario_path(name: str) -> Path:
    """The file of a shipped scenario; KeyError if there is none of that name."""
    found = shipped()
    if name in found:
        return found[name]
    raise KeyError(name)


def resolve_path(case: str | Path) -> Path:
    """``case`` itself if it names an existing file (or is not a bare name), else the shipped
    scenario of that name; unknown names are returned unchanged so that the reader reports
    "no such file" (with the shipped names in the message)."""
    p = Path(case)
    if p.exists() or p.suffix.lower() in _SUFFIXES or len(p.parts) > 2:
        return p
    try:
        return scenario_path(str(case))
    except KeyError:
        return p
