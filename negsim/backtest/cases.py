"""What a back-test runs: cases (a scenario and the issues of it whose outcomes are known) and
models (registered rules with parameters and run settings)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from ..scenario import Scenario

__all__ = ["Target", "Case", "ModelRun", "resolve_models", "FORMAT_VERSION", "DEFAULT_MODELS",
           "HITS", "TIE", "DEU_ROUNDS", "DEU_STOP", "DETECTABLE_NOTE"]

FORMAT_VERSION = 1
DEFAULT_MODELS = ("compromise", "median", "nash", "eum")
#: Hit-rate thresholds, in points of a 0-100 scale.
HITS = (5.0, 10.0)
#: Two absolute errors closer than this (points) are a tie: numerical optimisers (nash) land
#: within about 1e-8 of a point that a closed-form rule hits exactly.
TIE = 1e-6
#: Rounds and stopping rule of the dynamic models on the DEU data (one-shot rules run one round).
DEU_ROUNDS, DEU_STOP = 10, "never"
#: What the literature says about differences the DEU data can detect (FORMAT.md; Achen 2006).
DETECTABLE_NOTE = ("The rule of thumb for the DEU data (about 350 issues): MAE differences under "
                   "about 3 points are not detectable, so read models closer than that as tied.")


@dataclass(frozen=True)
class Target:
    """An issue of a case whose outcome is known."""

    issue: str
    outcome: float
    low: float = 0.0
    high: float = 100.0
    date: str | None = None
    #: (name, value) pairs the scores are broken down by, e.g. (("procedure", "COD"),)
    groups: tuple[tuple[str, str], ...] = ()
    reference_point: float | None = None
    line: int | None = None     #: where the outcome was read (data file or outcomes file)


@dataclass(frozen=True)
class Case:
    """A scenario to run and the issues of it to score."""

    key: str
    scenario: "Scenario"
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class ModelRun:
    """A model to back-test: a registered rule, its parameters, and run settings (None: the
    scenario's own)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    rounds: int | None = None
    stop: str | None = None
    #: set when the model was asked for as ``NAME@ROUNDS`` (``exchange@1``): its label then
    #: names the rounds, so one rule can be scored after several numbers of rounds
    tag: str | None = None

    def label(self) -> str:
        return self.name if self.tag is None else f"{self.name}@{self.tag}"

    @classmethod
    def parse(cls, text: str) -> "ModelRun":
        """``NAME`` or ``NAME@ROUNDS``."""
        name, at, rounds = text.strip().partition("@")
        if not at:
            return cls(name)
        return cls(name, rounds=int(rounds) if rounds.strip().isdigit() else -1,
                   tag=rounds.strip())


def resolve_models(models: Iterable[str | ModelRun], params: Mapping[str, Mapping[str, Any]]
                   | None = None, rounds: int | None = None, stop: str | None = None
                   ) -> list[ModelRun]:
    """ModelRuns for ``models`` with parameters validated against the registry.

    ``params`` maps a model name to its parameters; a bad name or parameter is a
    :class:`Problem` (field ``--models`` / ``--param``), all reported at once.
    """
    from ..rules import UnknownRule, get_rule, rule_names

    problems: list[Problem] = []
    out: list[ModelRun] = []
    params = dict(params or {})
    seen: set[str] = set()
    for item in models:
        run = item if isinstance(item, ModelRun) else ModelRun.parse(str(item))
        if run.label() in seen:
            problems.append(Problem("--models", "", "model listed twice", run.label()))
            continue
        seen.add(run.label())
        if run.rounds is not None and run.rounds < 1:
            problems.append(Problem("--models", "", "NAME@ROUNDS needs a whole number of rounds "
                                    ">= 1", run.label()))
            continue
        try:
            rule = get_rule(run.name)
        except UnknownRule:
            problems.append(Problem("--models", "", "unknown model (known: "
                                    + ", ".join(rule_names()) + ")", run.name))
            continue
        given = {**dict(run.params), **dict(params.pop(run.name, {}) or {})}
        resolved, errors = rule.resolve(given)
        for key, value, message in errors:
            problems.append(Problem("--param", f"{run.name}.{key}", message, value))
        if rule.one_shot:   # a forecast rule runs one round whatever it is told
            out.append(ModelRun(run.name, resolved, 1, None, run.tag))
        else:
            out.append(ModelRun(run.name, resolved,
                                run.rounds if run.rounds is not None else rounds,
                                run.stop if run.stop is not None else stop, run.tag))
    for name in params:
        problems.append(Problem("--param", name, "parameters given for a model that is not "
                                "in --models", name))
    if stop is not None and stop not in ("auto", "never"):
        problems.append(Problem("--stop", "", "must be auto or never", stop))
    if rounds is not None and (not isinstance(rounds, int) or rounds < 1):
        problems.append(Problem("--rounds", "", "must be a whole number >= 1", rounds))
    if not out and not problems:
        problems.append(Problem("--models", "", "no model to back-test"))
    if problems:
        raise InputError(problems)
    return out


