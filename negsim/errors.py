"""Input problems reported to the user: one line each, naming file, field path and bad value.

Every loader and validator in negsim collects :class:`Problem` objects instead of stopping at the
first one, then raises a single :class:`InputError` carrying all of them. The command line prints
``problem.format()`` for each, one per line, and exits with status 2 (no traceback).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["MISSING", "Problem", "InputError", "ScenarioError"]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


def _show(value: Any) -> str:
    if value is MISSING:
        return "(missing)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    ``path`` is the dotted field path inside the document (``actors.germany.issues.I6.salience``),
    empty when the problem concerns the file as a whole; ``line`` is 1-based when known.
    """

    file: str
    path: str
    message: str
    value: Any = MISSING
    line: int | None = None

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field_ = f" {self.path}:" if self.path else ""
        value = "" if self.value is MISSING else f" (got {_show(self.value)})"
        return f"{where}:{field_} {self.message}{value}"

    def __str__(self) -> str:
        return self.format()


@dataclass
class InputError(Exception):
    """Raised with every problem found in one input; never with an empty list."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)


# The name most callers look for.
ScenarioError = InputError
