"""Scenario files in YAML (and JSON, a subset of YAML): the file layout of
``docs/scenario-format.md``, read with the safe loader, remembering the line of every value and
reporting duplicate keys."""

from __future__ import annotations

from typing import Any

from ..errors import InputError, Problem
from .base import Document, PathT, format_path

__all__ = ["read_yaml"]


def _yaml_problem(name: str, exc: Exception) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"malformed YAML: {what}" + (f" ({context})" if context else "")
    return Problem(name, "", message, line=line)


def read_yaml(text: str, name: str) -> Document:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(name, exc)]) from None
    doc = Document({}, name, "yaml")
    if root is None:
        raise InputError([Problem(name, "", "the file is empty")])
    loader = yaml.SafeLoader("")
    problems: list[Problem] = []

    def build(node: Any, path: PathT) -> Any:
        doc.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    problems.append(
                        Problem(name, format_path(path), "mapping keys must be plain scalars",
                                key, key_node.start_mark.line + 1))
                    continue
                skey = key
                if skey in out:
                    problems.append(
                        Problem(name, format_path(path + (str(skey),)),
                                "duplicate key (it appears more than once here)", skey,
                                key_node.start_mark.line + 1))
                    continue
                out[skey] = build(value_node, path + (str(skey),))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [build(item, path + (i,)) for i, item in enumerate(node.value)]
        return loader.construct_object(node, deep=True)

    try:
        data = build(root, ())
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(name, exc)]) from None
    doc.problems.extend(problems)
    if not isinstance(data, dict):
        raise InputError([Problem(name, "", "a scenario file must be a mapping at top level",
                                  type(data).__name__, 1)])
    doc.data = data
    return doc


