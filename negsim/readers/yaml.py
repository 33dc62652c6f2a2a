"""Scenario files in YAML (and JSON, a subset of YAML): the file layout of
``docs/scenario-format.md``, remembering the line of every value and reporting duplicate keys.

The file is read as a stream of parser events (libyaml's C parser when PyYAML has it) and built
into plain data here, one event at a time, without recursion. That keeps every input bounded
before it can hurt, each limit a :class:`~negsim.errors.Problem` naming the line:

* **values**: at most :data:`MAX_VALUES` scalars, lists and mappings, counted *after* alias
  expansion (an alias adds the size of what it names), so a "billion laughs" alias bomb is
  rejected after a few thousand events instead of exhausting memory;
* **nesting**: at most :data:`MAX_DEPTH` levels (aliases included); an alias inside the node it
  names (a recursive alias) is an error, not a RecursionError;
* **numbers**: a scalar read as a number (``!!int``/``!!float``, tagged or plain) may have at
  most :data:`MAX_NUMBER_LENGTH` characters (a 5,000-digit integer is an error naming the
  field, never Python's integer-conversion limit);
* **tags**: only YAML's plain types are read (text, numbers, true/false, null, dates, lists,
  mappings); any other tag (``!!python/object``, ``!foo``, ``!!set``, ``!!binary``) is an error,
  and so is a value its tag cannot construct (``!!int abc``, a 13th month);
* **text**: a string holding a lone UTF-16 surrogate (``"\\ud800"``) cannot be written as UTF-8
  and is an error naming the field; a valid surrogate pair (as ``json.dump`` writes characters
  beyond the Basic Multilingual Plane) is joined into its character.

Interpretive choices. Merge keys (``<<: *base``) follow the YAML 1.1 merge spec: keys given
explicitly win, then earlier merged mappings over later ones, and merged keys are never reported
as duplicates. libyaml rejects surrogate escapes outright; such a file is re-read with PyYAML's
pure-Python parser (which accepts them) so that the problem can name its field, but only up to
:data:`FALLBACK_VALUES` values, because that parser is about 20 times slower (measured here:
100,000 values take 0.4 s with libyaml, 2.6 s without); a larger file with a surrogate escape is
reported by its line. Without libyaml the pure-Python parser reads everything (slower, the same
limits).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, Problem
from .base import Document, PathT, format_path
from .tabular import MAX_NUMBER_LENGTH

__all__ = ["read_yaml", "read_value", "MAX_VALUES", "MAX_DEPTH", "MAX_NUMBER_LENGTH",
           "FALLBACK_VALUES"]

#: The most values (scalars, lists and mappings; mapping keys not counted) a scenario file may
#: hold after alias expansion. The NATO-Russia scenario (33 actors x 7 issues) holds 1,450;
#: a 1,000-actor x 30-issue scenario about 93,000.
MAX_VALUES = 100_000
#: The deepest nesting of lists and mappings (a scenario needs six levels).
MAX_DEPTH = 64
#: The most values re-read by the pure-Python parser when libyaml rejects a surrogate escape.
FALLBACK_VALUES = 20_000

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIME = (_TAG + t for t in ("str", "int", "float", "bool",
                                                                "null", "timestamp"))
_MAP, _SEQ, _MERGE, _VALUE = _TAG + "map", _TAG + "seq", _TAG + "merge", _TAG + "value"
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIME, _VALUE}
_KIND = {_INT: "whole number", _FLOAT: "number", _BOOL: "true/false value", _NULL: "null",
         _TIME: "date"}
_SURROGATE = re.compile("[\ud800-\udfff]")
_SKIP = object()  # the value of a key that was rejected: built (to stay in step), then dropped
_MERGE_KEY = object()  # a << key: its value is merged when the mapping ends


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def _yaml_problem(name: str, exc: Exception, text: str = "") -> Problem:
    """One line for a YAML syntax error, with its line when known."""
    import yaml

    if isinstance(exc, yaml.reader.ReaderError):
        line = text[:exc.position].count("\n") + 1 if text else None
        what = f"unacceptable character #x{exc.character:04x}: {exc.reason}" \
            if isinstance(exc.character, int) else str(exc.reason)
        return Problem(name, "", f"malformed YAML: {what}", line=line)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"malformed YAML: {what}" + (f" ({context})" if context else "")
    return Problem(name, "", " ".join(message.split()), line=line)


class _Limit(Exception):
    """A limit was exceeded: reading stops with this problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _Frame:
    """A list or mapping being built."""

    kind: str                       # "map" or "seq"
    path: PathT
    out: Any
    line: int
    anchor: str | None
    size: int = 1                   # values in this subtree (after alias expansion)
    depth: int = 1                  # levels in this subtree
    key: Any = None                 # the mapping key whose value comes next
    key_line: int = 0
    expect_key: bool = True
    skip: bool = False              # inside a rejected key or value: build nothing
    merges: list[tuple[Any, int]] = field(default_factory=list)   # (value, line) of << keys
    explicit: set = field(default_factory=set)


@dataclass
class _Anchor:
    value: Any
    size: int
    depth: int
    lines: list[tuple[PathT, int]]


class _Builder:
    """Plain data from parser events, with the line of every value and every problem."""

    def __init__(self, name: str, budget: int, check_text: bool) -> None:
        import yaml

        self.name = name
        self.budget = budget
        self.check_text = check_text
        self.loader = yaml.SafeLoader("")
        self.lines: dict[PathT, int] = {}
        self.problems: list[Problem] = []
        self.anchors: dict[str, _Anchor] = {}
        self.open: dict[str, tuple[PathT, list[tuple[PathT, int]]]] = {}
        self.stack: list[_Frame] = []
        self.total = 0
        self.root: Any = None
        self.documents = 0

    # -- bookkeeping ----------------------------------------------------------------------
    def problem(self, path: PathT, message: str, value: Any = None, line: int | None = None,
                *, has_value: bool = True) -> None:
        args = (value,) if has_value else ()
        self.problems.append(Problem(self.name, _safe_path(path), message, *args, line=line))

    def record(self, path: PathT, line: int) -> None:
        self.lines[path] = line
        for base, captured in self.open.values():
            if path[:len(base)] == base:
                captured.append((path[len(base):], line))

    def count(self, n: int, depth: int, line: int) -> None:
        """Count ``n`` more values, ``depth`` levels deep below the current node; stop at a
        limit."""
        self.total += n
        if self.total > self.budget:
            raise _Limit(Problem(self.name, "", f"more than {self.budget:,} values (counting "
                                 "what aliases repeat); a scenario needs far fewer (is an "
                                 "alias expanding without bound?)", line=line))
        if len(self.stack) + depth > MAX_DEPTH:
            path = self.stack[-1].path if self.stack else ()
            raise _Limit(Problem(self.name, _safe_path(path), f"nested more than {MAX_DEPTH} "
                                 "levels deep (lists and mappings, aliases included)",
                                 line=line))

    def here(self) -> tuple[PathT, bool]:
        """The path of the node that comes next, and whether it is dropped."""
        if not self.stack:
            return (), False
        top = self.stack[-1]
        if top.skip:
            return top.path, True
        if top.kind == "seq":
            return top.path + (len(top.out),), False
        if top.expect_key:
            return top.path, False
        if top.key is _MERGE_KEY:
            return top.path + ("<<",), False
        return top.path + (str(top.key),), top.key is _SKIP

    def grow(self, size: int, depth: int) -> None:
        """Add a finished child of ``size`` values and ``depth`` levels to the open node."""
        if self.stack:
            top = self.stack[-1]
            top.size += size
            top.depth = max(top.depth, depth + 1)

    # -- events ---------------------------------------------------------------------------
    def feed(self, event: Any) -> None:
        import yaml

        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Limit(Problem(self.name, "", "more than one YAML document (---) in the "
                                     "file; a scenario is one document",
                                     line=event.start_mark.line + 1))
        elif isinstance(event, yaml.ScalarEvent):
            self.scalar(event)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.start(event, "map" if isinstance(event, yaml.MappingStartEvent) else "seq")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            self.end()
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)

    def scalar(self, event: Any) -> None:
        line = event.start_mark.line + 1
        top = self.stack[-1] if self.stack else None
        is_key = top is not None and top.kind == "map" and top.expect_key and not top.skip
        # keys are not counted: each has a value that is
        self.count(0 if is_key else 1, 1, line)
        self.grow(0 if is_key else 1, 1)
        path, dropped = self.here()
        if dropped:
            return
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(_scalar_node(), event.value, event.implicit)
        value = self.construct(tag, event, path, line, is_key)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, 1, 1, [((), line)])
        if is_key:
            self.key(top, value, line, merge=tag == _MERGE)
        else:
            self.place(value, line)

    def construct(self, tag: str, event: Any, path: PathT, line: int, is_key: bool) -> Any:
        """A scalar's value; a problem (and the raw text) when it cannot be read."""
        text = event.value
        if tag == _MERGE and is_key:
            return "<<"
        if tag in (_STR, _VALUE):
            return self.text(text, path, line)
        if tag not in _SCALAR_TAGS:
            self.problem(path, f"unsupported YAML tag {_short_tag(tag)} (negsim reads text, "
                         "numbers, true/false, null, dates, lists and mappings)", _clip(text),
                         line)
            return text
        if tag in (_INT, _FLOAT) and len(text) > MAX_NUMBER_LENGTH:
            self.problem(path, f"a number of {len(text):,} characters (at most "
                         f"{MAX_NUMBER_LENGTH} are read)", _clip(text), line)
            return text
        import yaml

        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except (yaml.YAMLError, ValueError, TypeError, KeyError, AttributeError,
                OverflowError) as exc:
            reason = getattr(exc, "problem", None) or (str(exc) if isinstance(exc, ValueError)
                                                       else "")
            reason = reason.splitlines()[0][:80] if reason else ""
            self.problem(path, f"not a valid {_KIND.get(tag, 'value')}"
                         + (f" ({reason})" if reason else "")
                         + ("" if event.tag in (None, "!") else f" for tag {_short_tag(tag)}"),
                         _clip(text), line)
            return self.text(text, path, line)

    def text(self, value: str, path: PathT, line: int) -> str:
        if not _SURROGATE.search(value):
            return value
        try:  # surrogate pairs (as JSON escapes characters beyond U+FFFF) become characters
            return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            pass
        if not self.check_text:
            return value
        self.problem(path, f"text holding a lone surrogate (U+{_lone(value):04X}), which is not "
                     "a character and cannot be written as UTF-8", _clip(_escaped(value)), line)
        return _escaped(value)

    def key(self, top: _Frame, key: Any, line: int, merge: bool = False) -> None:
        top.expect_key = False
        top.key_line = line
        if merge:
            top.key = _MERGE_KEY
            return
        if key is None or not isinstance(key, (str, int, float, bool)):
            self.problem(top.path, "mapping keys must be plain scalars", _clip(key), line)
            top.key = _SKIP
            return
        if key in top.out or key in top.explicit:
            self.problem(top.path + (str(key),), "duplicate key (it appears more than once "
                         "here)", key, line)
            top.key = _SKIP
            return
        top.key = key

    def place(self, value: Any, line: int) -> None:
        """Put a finished value where the next node goes."""
        if not self.stack:
            self.root = value
            self.record((), line)
            return
        top = self.stack[-1]
        if top.kind == "seq":
            self.record(top.path + (len(top.out),), line)
            top.out.append(value)
            return
        key, top.key, top.expect_key = top.key, None, True
        if key is _SKIP:
            return
        if key is _MERGE_KEY:
            top.merges.append((value, line))
            return
        self.record(top.path + (str(key),), line)
        top.out[key] = value
        top.explicit.add(key)

    def start(self, event: Any, kind: str) -> None:
        line = event.start_mark.line + 1
        self.count(1, 1, line)
        path, dropped = self.here()
        top = self.stack[-1] if self.stack else None
        tag = event.tag
        if tag is not None and tag != "!" and tag != (_MAP if kind == "map" else _SEQ) \
                and not dropped:
            self.problem(path, f"unsupported YAML tag {_short_tag(tag)} (negsim reads text, "
                         "numbers, true/false, null, dates, lists and mappings)", line=line,
                         has_value=False)
        skip = dropped
        if top is not None and top.kind == "map" and top.expect_key and not dropped:
            self.problem(top.path, "mapping keys must be plain scalars", line=line,
                         has_value=False)
            top.expect_key, top.key, top.key_line = False, _SKIP, line
            skip = True
        frame = _Frame(kind, path, {} if kind == "map" else [], line, event.anchor, skip=skip)
        self.stack.append(frame)
        if event.anchor is not None and not skip:
            self.open[event.anchor] = (path, [])

    def end(self) -> None:
        frame = self.stack.pop()
        self.grow(frame.size, frame.depth)
        if frame.skip:
            return
        if frame.kind == "map" and frame.merges:
            self.merge(frame)
        if frame.anchor is not None:
            _, captured = self.open.pop(frame.anchor, ((), []))
            self.anchors[frame.anchor] = _Anchor(frame.out, frame.size, frame.depth,
                                                 [((), frame.line)] + captured)
        self.place(frame.out, frame.line)

    def merge(self, frame: _Frame) -> None:
        """YAML merge keys: explicit keys win, then earlier merged mappings over later."""
        for value, line in frame.merges:
            sources = value if isinstance(value, list) else [value]
            if not sources or not all(isinstance(s, dict) for s in sources):
                self.problem(frame.path + ("<<",), "a merge key (<<) needs a mapping or a list "
                             "of mappings", _clip(value), line)
                continue
            for source in sources:
                for k, v in source.items():
                    if k not in frame.out:
                        frame.out[k] = copy.deepcopy(v)
                        self.record(frame.path + (str(k),), line)

    def alias(self, event: Any) -> None:
        line = event.start_mark.line + 1
        name = event.anchor
        path, dropped = self.here()
        if name in self.open or (self.stack and any(f.anchor == name and f.skip
                                                    for f in self.stack)):
            raise _Limit(Problem(self.name, _safe_path(path), f"the alias *{name} lies inside "
                                 f"the node it names (&{name}): a recursive structure",
                                 line=line))
        anchor = self.anchors.get(name)
        if anchor is None:
            self.count(1, 1, line)
            self.grow(1, 1)
            if not dropped:
                self.problem(path, f"unknown alias *{name} (no &{name} before it)", line=line,
                             has_value=False)
                self.place(None, line)
            return
        self.count(anchor.size, anchor.depth, line)
        self.grow(anchor.size, anchor.depth)
        if dropped:
            return
        top = self.stack[-1] if self.stack else None
        if top is not None and top.kind == "map" and top.expect_key:
            if isinstance(anchor.value, (dict, list)):
                self.problem(top.path, "mapping keys must be plain scalars", line=line,
                             has_value=False)
                top.expect_key, top.key, top.key_line = False, _SKIP, line
            else:
                self.key(top, anchor.value, line)
            return
        value = copy.deepcopy(anchor.value)
        base, _ = self.here()
        for rel, ln in anchor.lines[1:]:
            self.record(base + rel, ln)
        self.place(value, line)


def _scalar_node() -> type:
    import yaml

    return yaml.ScalarNode


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 60:
        return value[:57] + "..."
    return value


def _lone(value: str) -> int:
    """The first surrogate of ``value`` that is not half of a pair."""
    i = 0
    while i < len(value):
        c = ord(value[i])
        if 0xD800 <= c <= 0xDBFF and i + 1 < len(value) and 0xDC00 <= ord(value[i + 1]) <= 0xDFFF:
            i += 2
            continue
        if 0xD800 <= c <= 0xDFFF:
            return c
        i += 1
    return 0xFFFD


def _escaped(value: str) -> str:
    """``value`` with every surrogate written as a ``\\udXXX`` escape (encodable text)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _safe_path(path: PathT) -> str:
    text = format_path(path)
    return _escaped(text) if _SURROGATE.search(text) else text


def _loaders() -> tuple[Any, Any]:
    """(the fast loader, the pure-Python one): libyaml's when PyYAML was built with it."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
    return fast or yaml.SafeLoader, yaml.SafeLoader


def _build(text: str, name: str, loader: Any, budget: int, check_text: bool) -> _Builder:
    """Feed the parser's events to a builder (YAML errors and :class:`_Limit` propagate)."""
    import yaml

    b = _Builder(name, budget, check_text)
    try:
        for event in yaml.parse(text, Loader=loader):
            b.feed(event)
    except _Limit as exc:
        exc.problems = b.problems  # type: ignore[attr-defined]
        raise
    return b


def _limit_error(exc: _Limit) -> InputError:
    return InputError([*getattr(exc, "problems", []), exc.problem])


def _read(text: str, name: str, check_text: bool = True) -> _Builder:
    import yaml

    fast, pure = _loaders()
    try:
        return _build(text, name, fast, MAX_VALUES, check_text)
    except _Limit as exc:
        raise _limit_error(exc) from None
    except yaml.YAMLError as exc:
        if fast is pure or "escape code" not in str(getattr(exc, "problem", "")):
            raise InputError([_yaml_problem(name, exc, text)]) from None
        first: Exception = exc
    except UnicodeEncodeError as exc:  # libyaml takes no str holding surrogates
        first = exc
    # libyaml refused what PyYAML's own parser reads (surrogate escapes, or a str holding
    # surrogates): read it again, slowly, so that the problem names its field
    try:
        return _build(text, name, pure, FALLBACK_VALUES, check_text)
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(name, exc, text)]) from None
    except _Limit as exc:
        if exc.problem.message.startswith("more than") and isinstance(first, yaml.YAMLError):
            raise InputError([_yaml_problem(name, first, text)]) from None
        raise _limit_error(exc) from None


def read_yaml(text: str, name: str) -> Document:
    """Read a YAML (or JSON) scenario file into a :class:`Document`; see the module docstring
    for the limits. Problems that do not stop reading go into ``Document.problems``."""
    b = _read(text, name)
    if b.root is None and not b.problems:
        raise InputError([Problem(name, "", "the file is empty")])
    if not isinstance(b.root, dict):
        got = type(b.root).__name__ if b.root is not None else "null"
        raise InputError([*b.problems, Problem(name, "", "a scenario file must be a mapping "
                                                "at top level", got, 1)])
    return Document(b.root, name, "yaml", lines=b.lines, problems=b.problems)


def read_value(text: str) -> Any:
    """A command-line value read as YAML (``0.9`` a number, ``[1, 2]`` a list, ``auto`` text),
    within the same limits as files; text that is not valid YAML, or that breaks a limit, is
    kept as the text itself (validation then judges it). Surrogates are kept for validation to
    report with the field's path."""
    if not text.strip():
        return ""
    try:
        b = _read(text, "--set", check_text=False)
    except InputError:
        return text
    if b.problems:
        return text
    return b.root
