"""Which implementation computes the dynamic rules' rounds: the numpy kernels or the fused,
compiled ones.

``"numpy"`` is the reference implementation (vectorised numpy, in :mod:`negsim.rules.eum` and
:mod:`negsim.rules.smp`); ``"fused"`` computes a whole round in one numba-compiled call
(:mod:`negsim.rules._eum_fused`, :mod:`negsim.rules._smp_fused`), agreeing with it to 1e-9.
numba is optional: the choice is made from the environment variable ``NEGSIM_KERNEL``
(``numpy`` and ``fused`` force one) on the first round that asks, never at import, so
``import negsim`` and ``negsim --help`` never load numba. ``auto``, the default, uses the
fused kernels where they pay for importing numba (about 0.35 s, or a first compilation): in a
sweep's workers (:func:`batch`), and for scenarios of :data:`AUTO_MIN_ACTORS` actors or more;
small single runs, comparisons and back-tests use numpy, which also keeps their results the
reference kernel's. The two agree to 1e-9 per round; an expected-utility decision that sits on
an exact tie (a few runs in a thousand) can resolve differently, so pin ``NEGSIM_KERNEL`` to
compare runs across contexts bit for bit. Runs record the kernel they used. :func:`set_backend` overrides the
choice (tests, benchmarks); :func:`use_backend` does so for a ``with`` block.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..errors import InputError, Problem

__all__ = ["BACKENDS", "ENV_VAR", "AUTO_MIN_ACTORS", "backend", "setting", "batch",
           "set_backend", "use_backend", "numba_available", "LazyArrays"]

BACKENDS = ("numpy", "fused")
ENV_VAR = "NEGSIM_KERNEL"
#: With ``auto``, scenarios this large use the fused kernels (measured in bench_eum/bench_smp:
#: below it a whole single run is quicker without importing numba).
AUTO_MIN_ACTORS = 128

_batch = False

_override: str | None = None
_resolved: str | None = None
_numba_ok: bool | None = None


def numba_available() -> bool:
    """Whether numba imports here (tried once; importing it is the cost of the first call)."""
    global _numba_ok
    if _numba_ok is None:
        try:
            importlib.import_module("numba")
            _numba_ok = True
        except Exception:  # ImportError, or a numba built for another numpy
            _numba_ok = False
    return _numba_ok


def _from_environment() -> str:
    value = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if value not in ("auto", *BACKENDS):
        raise InputError([Problem("environment", ENV_VAR, "must be one of auto, numpy, fused",
                                  value)])
    if value == "auto":
        return "auto"
    if value == "fused" and not numba_available():
        raise InputError([Problem("environment", ENV_VAR, "fused kernels need numba, which "
                                  "cannot be imported here (pip install numba)", value)])
    return value


def setting() -> str:
    """``numpy``, ``fused`` or ``auto``: the override if one is set, else ``NEGSIM_KERNEL``."""
    global _resolved
    if _override is not None:
        return _override
    if _resolved is None:
        _resolved = _from_environment()
    return _resolved


def backend(actors: int | None = None) -> str:
    """The backend for a round of a problem with ``actors`` actors (see the module docstring
    for ``auto``)."""
    value = setting()
    if value != "auto":
        return value
    wanted = _batch or (actors is not None and actors >= AUTO_MIN_ACTORS)
    return "fused" if wanted and numba_available() else "numpy"


def batch(on: bool = True) -> None:
    """Say that this process runs many runs (a sweep's worker): ``auto`` then uses the fused
    kernels at every size."""
    global _batch
    _batch = on


def set_backend(name: str | None) -> None:
    """Force ``"numpy"`` or ``"fused"``; ``None`` returns to ``NEGSIM_KERNEL`` (read afresh)."""
    global _override, _resolved
    if name is not None:
        if name not in BACKENDS:
            raise ValueError(f"unknown kernel backend {name!r} (known: {', '.join(BACKENDS)})")
        if name == "fused" and not numba_available():
            raise ImportError("the fused kernels need numba, which cannot be imported here")
    _override = name
    _resolved = None


@contextmanager
def use_backend(name: str) -> Iterator[None]:
    """``with use_backend("fused"): ...`` runs the block on that backend, then restores."""
    global _override
    before = _override
    set_backend(name)
    try:
        yield
    finally:
        _override = before


class LazyArrays(Mapping[str, np.ndarray]):
    """A mapping of named arrays computed on first access of any value.

    A rule's pairwise diagnostics (``RoundOutcome.pair_info``, (m, n, n) arrays) are read only
    when the run records pairs; the rule returns this instead of computing them every round.
    Membership and iteration see the names without computing anything.
    """

    def __init__(self, names: tuple[str, ...], compute: Callable[[], dict[str, np.ndarray]]
                 ) -> None:
        self._names = names
        self._compute: Callable[[], dict[str, np.ndarray]] | None = compute
        self._values: dict[str, np.ndarray] = {}

    def _load(self) -> dict[str, np.ndarray]:
        if self._compute is not None:
            self._values = self._compute()
            self._compute = None
        return self._values

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        return self._load()[name]

    def __contains__(self, name: Any) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        state = "computed" if self._compute is None else "not computed"
        return f"LazyArrays({list(self._names)}, {state})"
