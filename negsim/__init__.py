"""negsim: negotiation-position simulation (expected-utility and spatial bargaining on Mesa).

The package imports lazily: ``import negsim`` is instant and loads numpy, pandas or Mesa only
when a name that needs them is first used.

Quick start::

    import negsim
    result = negsim.run("scenarios/nato_russia_2022.yaml", rounds=20)
    result.forecast                    # {'I1': 50.0, ...}
    result.status("I3")                # IssueStatus(status='consensus', since=4, detail='')
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_scenario": ("negsim.scenario", "load_scenario"),
    "scenario_from_dict": ("negsim.scenario", "scenario_from_dict"),
    "Scenario": ("negsim.scenario", "Scenario"),
    "NegotiationModel": ("negsim.model", "NegotiationModel"),
    "Actor": ("negsim.agents", "Actor"),
    "RunResult": ("negsim.result", "RunResult"),
    "InputError": ("negsim.errors", "InputError"),
    "run": ("negsim.api", "run"),
    "get_rule": ("negsim.rules", "get_rule"),
    "compare": ("negsim.comparison", "compare"),
    "sweep": ("negsim.sweeps", "sweep"),
    "experiment": ("negsim.sweeps", "experiment"),
    "SweepStore": ("negsim.sweeps.store", "SweepStore"),
    "backtest_deu": ("negsim.backtest", "backtest_deu"),
    "RunHistory": ("negsim.records", "RunHistory"),
    "backtest_scenario": ("negsim.backtest", "backtest_scenario"),
    "rule_names": ("negsim.rules", "rule_names"),
    "whatif": ("negsim.counterfactual", "whatif"),
    "WhatIf": ("negsim.counterfactual", "WhatIf"),
    "agree": ("negsim.commands.agree", "document"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'negsim' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
