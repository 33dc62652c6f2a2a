"""What every scenario reader produces: a :class:`Document` (plain data in the YAML layout plus
the source line of every value), field paths, and ``--set`` overrides applied to a document.

Reading scenario documents into plain data, remembering where every value came from.

A scenario reaches negsim as a YAML file, a BDM-style actor table (CSV ``actor,capability,
position,salience``) or a long table (CSV ``actor,issue,capability,position,salience``). Each is
turned into the same nested ``dict`` (the YAML layout, see ``docs/scenario-format.md``) plus a map
from field path to source line, so that validation messages can say ``file:line: path: ...``.

Nothing here judges values; :mod:`negsim.scenario` does. Structural faults that prevent reading
(malformed YAML, a CSV row with the wrong number of fields, a duplicate mapping key or actor) are
reported as :class:`~negsim.errors.Problem` objects, all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import MISSING, Problem

__all__ = ["Document", "PathT", "parse_path", "format_path", "apply_overrides", "parse_value"]

PathT = tuple[str | int, ...]


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
# --set overrides


def parse_value(text: str) -> Any:
    """A command-line value read as YAML (``0.9`` a number, ``[1, 2]`` a list, ``auto`` text),
    within the YAML reader's limits (see :func:`negsim.readers.yaml.read_value`)."""
    from .yaml import read_value

    return read_value(text)


def apply_overrides(doc: Document, overrides: list[str] | dict[str, Any],
                    origin: str = "--set") -> list[Problem]:
    """Apply ``path=value`` overrides to ``doc.data`` in place; return problems found.

    Values are read as YAML (``0.9`` is a number, ``[1, 2]`` a list, ``auto`` a string);
    ``actors.ID=null`` removes the actor before bargaining (a round-0 ``remove`` event). Every
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
            if val is None and len(path) == 2 and path[0] == "actors" and isinstance(node, dict) \
                    and last in node:
                # actors.X=null: X leaves before bargaining (a round-0 event keeps every
                # reference to X, in blocs and decisions, valid)
                events = doc.data.setdefault("events", [])
                if not isinstance(events, list):
                    problems.append(Problem(origin, "events", "events must be a list to remove "
                                            "an actor with actors.ID=null"))
                    continue
                events.append({"round": 0, "remove": last})
                doc.origins[("events", len(events) - 1)] = origin
                continue
            if isinstance(node, dict) and isinstance(last, str):
                node[last] = val
            elif isinstance(node, list) and isinstance(last, int) and -len(node) <= last < len(node):
                node[last] = val
            else:
                problems.append(Problem(origin, format_path(path), "no such field in the scenario"))
                continue
            doc.origins[path] = origin
    return problems
