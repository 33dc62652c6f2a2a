"""Plain-function entry points for scripts and notebooks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .result import RunResult
    from .scenario import Scenario

__all__ = ["run"]


def run(case: "Scenario | str | Path | None" = None, *, rule: str | None = None,
        params: Mapping[str, Any] | None = None,
        overrides: Mapping[str, Any] | Iterable[str] | None = None,
        rounds: int | None = None, stop: str | None = None, seed: int | None = None,
        record_pairs: bool = False) -> "RunResult":
    """Run a scenario to its end and return the result (the engine alone: no Mesa needed;
    :class:`~negsim.model.NegotiationModel` gives the same run step by step).

    ``case`` is a Scenario, a file, a shipped scenario's name (``"nato_russia_2022"``) or None
    (the flagship). ``overrides`` takes ``--set`` style paths
    (``{"actors.germany.issues.I6.salience": 0.9}`` or ``["actors.germany.issues.I6.salience=0.9"]``);
    ``rounds`` is the round limit.
    """
    from .engine import Negotiation, resolve_case

    if overrides is not None and not isinstance(overrides, Mapping):
        case = resolve_case(case, list(overrides))
        overrides = None
    return Negotiation(case=case, rule=rule, rule_params=params, overrides=overrides,
                       max_rounds=rounds, stop=stop, rng=seed,
                       record_pairs=record_pairs).run()
