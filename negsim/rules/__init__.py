"""Registry of bargaining rules.

Built-in rules live one per module in this package and are imported only when first asked for,
so listing names stays cheap. A new rule is one module that builds a :class:`~negsim.rules.base.Rule`
and calls :func:`register` (or is listed in ``_BUILTIN`` below); third-party packages can register
rules through the ``negsim.rules`` entry-point group, each entry point naming a ``Rule`` object.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .base import Rule

__all__ = ["register", "unregister", "get_rule", "rule_names", "all_rules", "UnknownRule"]

#: Built-in rule name -> module that defines and registers it.
_BUILTIN: dict[str, str] = {
    "eum": "negsim.rules.eum",
    "compromise": "negsim.rules.baselines",
    "median": "negsim.rules.baselines",
    "nash": "negsim.rules.baselines",
    "smp": "negsim.rules.smp",
    "exchange": "negsim.rules.exchange",
    "procedural": "negsim.rules.procedural",
}

_REGISTRY: dict[str, "Rule"] = {}
_entry_points_loaded = False


class UnknownRule(KeyError):
    pass


def register(rule: "Rule") -> "Rule":
    """Add ``rule`` to the registry (replacing one of the same name) and return it."""
    _REGISTRY[rule.name] = rule
    return rule


def unregister(name: str) -> None:
    """Remove a rule added with :func:`register` (built-in rules come back on next use)."""
    _REGISTRY.pop(name, None)


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group="negsim.rules"):
        try:
            obj = ep.load()
        except Exception:  # a broken plug-in must not break negsim itself
            continue
        if getattr(obj, "name", None) and callable(getattr(obj, "step", None)):
            _REGISTRY.setdefault(obj.name, obj)


def rule_names() -> list[str]:
    """Names of all known rules (built-in first), without importing them."""
    _load_entry_points()
    return list(dict.fromkeys([*_BUILTIN, *_REGISTRY]))


def get_rule(name: str) -> "Rule":
    """The rule registered under ``name``; raises :class:`UnknownRule`."""
    if name not in _REGISTRY and name in _BUILTIN:
        importlib.import_module(_BUILTIN[name])
    if name not in _REGISTRY:
        _load_entry_points()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownRule(name) from None


def all_rules() -> list["Rule"]:
    return [get_rule(name) for name in rule_names()]
