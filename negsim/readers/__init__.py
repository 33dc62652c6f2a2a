"""Scenario readers: every supported source becomes the same :class:`~.base.Document` (the
YAML layout of ``docs/scenario-format.md`` as plain data, plus the line of every value), so that
one validator (:mod:`negsim.validation`) serves them all.

========================  ==========================================  =================
source                    recognised by                               module
========================  ==========================================  =================
YAML / JSON               ``.yaml``, ``.yml``, ``.json`` (or none)    :mod:`.yaml`
negsim actor tables       ``.csv``/``.tsv``/``.txt`` with a header    :mod:`.csv`
KTAB SMP files            first row: name, description, #actors, #dims :mod:`.ktab`
decide exchange files     ``#A``/``#P``/``#M``/``#D`` rows            :mod:`.decide`
DEU data                  ``negsim backtest deu`` (not a scenario)    :mod:`.deu`
========================  ==========================================  =================

Delimited files share one helper for decoding, delimiters, rows and numbers
(:mod:`.tabular`). Nothing here judges values: structural faults that prevent reading are
reported as problems, all at once; validation judges the rest.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, Problem
from .base import Document, PathT, apply_overrides, format_path, parse_path, parse_value

__all__ = ["Document", "PathT", "read_document", "read_text", "apply_overrides",
           "format_path", "parse_path", "parse_value", "MAX_FILE_BYTES"]

#: The largest scenario file read (a real scenario is kilobytes; the limit stops runaway input).
#: Within it, the readers' own limits (values, nesting, rows) keep validation to seconds.
MAX_FILE_BYTES = 10 * 1024 * 1024


def read_text(text: str, name: str, suffix: str) -> Document:
    """Read scenario text of the kind ``suffix`` names (``.yaml``, ``.csv``, ...)."""
    suffix = suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        from .decide import looks_like_decide, read_decide
        from .ktab import is_ktab_csv, read_ktab_csv

        if is_ktab_csv(text):
            return read_ktab_csv(text, name)
        if looks_like_decide(text):
            return read_decide(text, name)
        from .csv import read_csv

        return read_csv(text, name)
    if suffix in (".yaml", ".yml", ".json", ""):
        from .yaml import read_yaml

        return read_yaml(text, name)
    raise InputError([Problem(name, "", "unknown file type; use .yaml, .yml, .json or .csv",
                              suffix)])


def read_document(path: str | Path) -> Document:
    """Read a scenario source (a file, or a shipped scenario's name) by its suffix."""
    from ..catalog import resolve_path, shipped
    from .tabular import decode

    p = resolve_path(path)
    name = str(path) if p == Path(path) else str(p)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError([Problem(name, "", f"the file is {size / 2**20:.1f} MB; scenario "
                                      f"files are limited to {MAX_FILE_BYTES // 2**20} MB")])
        with p.open("rb") as fh:  # a device or pipe reports no size: read one byte too many
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise InputError([Problem(name, "", f"more than {MAX_FILE_BYTES // 2**20} MB; "
                                      "scenario files are limited to that")])
    except FileNotFoundError:
        names = ", ".join(n for n in shipped() if "/" not in n)
        raise InputError([Problem(name, "", f"no such file (shipped scenarios, usable by name: "
                                  f"{names})")]) from None
    except IsADirectoryError:
        raise InputError([Problem(name, "", "is a directory, not a scenario file")]) from None
    except OSError as exc:
        raise InputError([Problem(name, "", f"cannot read: {exc.strerror}")]) from None
    return read_text(decode(raw, name), name, p.suffix)
