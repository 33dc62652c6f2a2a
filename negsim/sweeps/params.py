"""Sweep parameters: ``PATH=SPEC`` strings turned into factors of a design.

A path is a dotted path into the scenario file, exactly as for ``--set``
(``actors.germany.issues.I6.salience``, ``model.params.q``, ``model.max_rounds``), and may use
``*`` for any key (``actors.*.issues.I1.salience``). Values are on the file's own scales.

SPEC is one of:

``VALUE``
    a fixed override for every run (read as YAML).
``A:B`` / ``A:B:N``
    a number drawn in [A, B] (uniformly, or by the design: Latin hypercube, Sobol, Morris);
    with ``:N``, N evenly spaced levels (needed by a factorial design).
``V1,V2,...``
    levels (numbers or words, e.g. ``model.rule=eum,smp``).
``noise:SIGMA``
    the value in the file plus normal noise with standard deviation SIGMA, clipped to the
    field's valid range (salience 0-1 or 0-100 as the file, position within the issue's scale,
    capability >= 0). One factor per matched field.
``scale:A:B`` / ``scale:A:B:N``
    one factor that multiplies every matched field by a number in [A, B].
``scale-each:A:B`` / ``scale-each:A:B:N``
    one multiplier in [A, B] per matched field (named by its path): relative perturbations
    a Morris design can screen field by field ("which of the 33 I4 saliences matter?").

A wildcard path with a range, levels or noise makes one factor per matched field (named by its
full path); ``scale:`` makes a single factor for all of them.

Every number in a SPEC is finite and within negsim's magnitude limit (+-1e12,
:data:`negsim.scenario.MAGNITUDE`), and so is every bound noise is clipped to: a field with no
upper bound (a capability, a rule parameter without one) is clipped to the limit, so no
infinity ever reaches a design, a result row or ``manifest.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..readers import Document, PathT, parse_value, format_path, parse_path
from ..errors import InputError, Problem

__all__ = ["Factor", "Fixed", "parse_params", "ORIGIN"]

ORIGIN = "--param"


@dataclass(frozen=True)
class Fixed:
    path: str
    value: Any


@dataclass
class Factor:
    """One dimension of a design: how a row's value in [0, 1] (or a level index) becomes values
    of one or more scenario fields."""

    name: str
    kind: str                        # "range", "levels", "noise", "scale"
    paths: list[str]
    low: float = 0.0
    high: float = 1.0
    n_levels: int | None = None      # for "range"/"scale" in factorial designs
    levels: list[Any] = field(default_factory=list)
    sigma: float = 0.0
    base: list[float] = field(default_factory=list)        # file values (noise, scale)
    bounds: list[tuple[float, float]] = field(default_factory=list)  # per path (noise clip)

    @property
    def continuous(self) -> bool:
        return self.kind in ("range", "scale", "noise")

    def grid(self) -> list[Any]:
        """The values a factorial design takes."""
        if self.kind == "levels":
            return list(self.levels)
        n = self.n_levels or 0
        if n == 1:
            return [self.low]
        return [self.low + (self.high - self.low) * i / (n - 1) for i in range(n)]

    def overrides(self, value: Any) -> dict[str, Any]:
        """Field values for one design value of this factor."""
        if self.kind == "scale":
            return {p: b * float(value) for p, b in zip(self.paths, self.base)}
        if self.kind == "noise":
            lo, hi = self.bounds[0]
            return {self.paths[0]: float(min(hi, max(lo, self.base[0] + float(value))))}
        return {p: value for p in self.paths}

    def describe(self) -> dict[str, Any]:
        """The factor as plain JSON data (for ``manifest.json``; never NaN or infinity)."""
        d: dict[str, Any] = {"name": self.name, "kind": self.kind, "paths": self.paths}
        if self.kind in ("range", "scale"):
            d.update(low=self.low, high=self.high, levels=self.n_levels)
        if self.kind == "levels":
            d["levels"] = self.levels
        if self.kind == "noise":
            d.update(sigma=self.sigma, base=self.base[0], bounds=list(self.bounds[0]))
        if self.kind == "scale":
            d["base"] = self.base
        return _json_safe(d)


def _json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as None (JSON has no NaN or infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _expand(data: Any, pattern: PathT, prefix: PathT = ()) -> list[PathT]:
    """Concrete paths matching ``pattern`` (``*`` matches any key or list index)."""
    if not pattern:
        return [prefix]
    head, rest = pattern[0], pattern[1:]
    if isinstance(data, dict):
        keys = list(data) if head == "*" else ([head] if head in data else
                                               [k for k in data if str(k) == str(head)])
        out = []
        for k in keys:
            out += _expand(data[k], rest, prefix + (str(k),))
        return out
    if isinstance(data, list):
        idx = range(len(data)) if head == "*" else ([head] if isinstance(head, int)
                                                    and -len(data) <= head < len(data) else [])
        out = []
        for i in idx:
            out += _expand(data[i], rest, prefix + (i,))
        return out
    return []


def _get(data: Any, path: PathT) -> Any:
    """The value at ``path`` in plain data, or None (keys compare as text)."""
    for part in path:
        if isinstance(data, dict):
            if part not in data:
                match = [k for k in data if str(k) == str(part)]
                if not match:
                    return None
                part = match[0]
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and -len(data) <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _bounds(doc: Document, path: PathT, salience_unit: float) -> tuple[float, float]:
    """Valid range of a numeric field, for clipping noise (finite: unbounded ends are
    negsim's magnitude limit)."""
    from ..scenario import MAGNITUDE

    big = MAGNITUDE
    if len(path) >= 5 and path[0] == "actors" and path[2] == "issues":
        if path[-1] == "salience":
            return 0.0, salience_unit
        if path[-1] == "position":
            issues = doc.data.get("issues")
            issue = issues.get(path[3]) if isinstance(issues, dict) else None
            scale = issue.get("scale") if isinstance(issue, dict) else None
            scale = scale if isinstance(scale, dict) else {}
            return (_finite(scale.get("low", 0.0), -big, big),
                    _finite(scale.get("high", 100.0), -big, big))
    if path and path[-1] == "capability" or (len(path) >= 3 and path[-2] == "capability_by_issue"):
        return 0.0, big
    if len(path) == 3 and path[:2] == ("model", "params"):
        from ..rules import UnknownRule, get_rule

        try:
            rule = get_rule(str((doc.data.get("model") or {}).get("rule", "eum")))
        except UnknownRule:
            return -big, big
        spec = rule.param(str(path[2]))
        if spec is not None:
            return (-big if spec.low is None else max(-big, spec.low),
                    big if spec.high is None else min(big, spec.high))
    return -big, big


def _finite(value: Any, low: float, high: float) -> float:
    """``value`` as a float clipped to [low, high] (a value validation has already passed)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return low
    return min(high, max(low, x)) if math.isfinite(x) else low


def _numbers(parts: list[str]) -> list[float] | None:
    """The parts as numbers, or None if any is not one. ValueError if one is not finite or
    beyond the magnitude limit."""
    from ..scenario import MAGNITUDE

    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return None
    for p, x in zip(parts, nums):
        if not math.isfinite(x) or abs(x) > MAGNITUDE:
            raise ValueError(f"numbers in a range, noise or scale SPEC must be finite and "
                             f"within +-{MAGNITUDE:g} ({p.strip()} is not)")
    return nums


def _check_level(level: Any) -> Any:
    """A level (or fixed value) read as YAML; NaN and infinity are errors (they would reach
    result rows and ``manifest.json``). Validation judges the rest, field by field."""
    if isinstance(level, float) and not math.isfinite(level):
        raise ValueError(f"a level or value must be a finite number ({level!r} is not)")
    return level


def parse_params(specs: list[str], doc: Document, salience_unit: float
                 ) -> tuple[list[Factor], list[Fixed]]:
    """Parse ``PATH=SPEC`` strings against a scenario document; raise InputError listing every
    problem (unknown paths, malformed specs, noise on non-numeric fields)."""
    problems: list[Problem] = []
    factors: list[Factor] = []
    fixed: list[Fixed] = []
    names: set[str] = set()
    for spec in specs:
        key, sep, value = spec.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            problems.append(Problem(ORIGIN, "", "expected PATH=SPEC", spec))
            continue
        try:
            pattern = parse_path(key)
        except ValueError as exc:
            problems.append(Problem(ORIGIN, key, str(exc)))
            continue
        if "*" in pattern:
            paths = [p for p in _expand(doc.data, pattern) if _get(doc.data, p) is not None]
        else:
            paths = [pattern]  # checked like --set: unknown fields fail validation below
        if not paths:
            problems.append(Problem(ORIGIN, key, "matches no field in the scenario"))
            continue
        texts = [format_path(p) for p in paths]
        parts = value.split(":")
        try:
            if parts[0] == "noise":
                nums = _numbers(parts[1:])
                if nums is None or len(nums) != 1 or not nums[0] > 0 or not math.isfinite(nums[0]):
                    raise ValueError("noise needs a positive standard deviation: noise:SIGMA")
                for p, text in zip(paths, texts):
                    base = _file_number(doc, p, text, "noise")
                    factors.append(Factor(text, "noise", [text], sigma=nums[0], base=[base],
                                          bounds=[_bounds(doc, p, salience_unit)]))
            elif parts[0] == "scale-each":
                nums = _numbers(parts[1:])
                if nums is None or len(nums) not in (2, 3) or not nums[0] < nums[1]:
                    raise ValueError("expected scale-each:A:B or scale-each:A:B:N with A < B")
                for p, text in zip(paths, texts):
                    base = _file_number(doc, p, text, "scale-each")
                    factors.append(Factor(text, "scale", [text], low=nums[0], high=nums[1],
                                          n_levels=_levels_count(nums), base=[base]))
            elif parts[0] == "scale":
                nums = _numbers(parts[1:])
                if nums is None or len(nums) not in (2, 3) or not nums[0] < nums[1]:
                    raise ValueError("expected scale:A:B or scale:A:B:N with A < B")
                bases = [_get(doc.data, p) for p in paths]
                bad = [t for t, b in zip(texts, bases)
                       if isinstance(b, bool) or not isinstance(b, (int, float))]
                if bad:
                    raise ValueError(f"scale needs numbers in the file (not at {bad[0]})")
                factors.append(Factor(f"scale({key})", "scale", texts, low=nums[0], high=nums[1],
                                      n_levels=_levels_count(nums), base=[float(b) for b in bases]))
            elif len(parts) in (2, 3) and _numbers(parts) is not None:
                nums = _numbers(parts)
                assert nums is not None
                if not nums[0] < nums[1]:
                    raise ValueError("a range needs A < B")
                for text in texts:
                    factors.append(Factor(text, "range", [text], low=nums[0], high=nums[1],
                                          n_levels=_levels_count(nums)))
            elif "," in value:
                levels = [_check_level(parse_value(v.strip())) for v in value.split(",")]
                if len(set(map(repr, levels))) != len(levels):
                    raise ValueError("a level is listed twice")
                for text in texts:
                    factors.append(Factor(text, "levels", [text], levels=levels))
            else:
                for text in texts:
                    fixed.append(Fixed(text, _check_level(parse_value(value))))
        except ValueError as exc:
            problems.append(Problem(ORIGIN, key, str(exc), value))
            continue
    for f in factors:
        if f.name in names:
            problems.append(Problem(ORIGIN, f.name, "this field is swept twice"))
        names.add(f.name)
    # specs are applied in sorted order (the design must not depend on the order of the
    # options), so a field fixed twice to different values would be a silent choice
    first: dict[str, Any] = {}
    for x in fixed:
        if x.path in first and repr(first[x.path]) != repr(x.value):
            problems.append(Problem(ORIGIN, x.path, "this field is fixed twice, to "
                                    f"{first[x.path]!r} and {x.value!r}"))
        first.setdefault(x.path, x.value)
    fixed_paths = {x.path for x in fixed}
    for f in factors:
        for p in f.paths:
            if p in fixed_paths:
                problems.append(Problem(ORIGIN, p, "this field is both fixed and swept"))
    if problems:
        raise InputError(problems)
    return factors, fixed


def _file_number(doc: Document, path: PathT, text: str, kind: str) -> float:
    """The number in the file at ``path`` (what noise or a multiplier perturbs)."""
    base = _get(doc.data, path)
    if isinstance(base, bool) or not isinstance(base, (int, float)):
        raise ValueError(f"{kind} needs a number in the file at {text} (found {base!r})")
    return float(base)


def _levels_count(nums: list[float]) -> int | None:
    if len(nums) < 3:
        return None
    n = nums[2]
    if n != int(n) or n < 2:
        raise ValueError("the number of levels N must be a whole number >= 2")
    return int(n)
