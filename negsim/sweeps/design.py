"""Designs: which parameter rows a sweep runs, and each run's seed.

A design turns factors (:mod:`negsim.sweeps.params`) into rows, one value per factor:

``factorial``
    every combination of every factor's levels (ranges need ``A:B:N``).
``montecarlo``
    ``samples`` independent rows: ranges uniform, levels uniform, noise normal. Each row is
    drawn from its own seed, so rows are produced one at a time and memory stays flat.
``lhs``
    a Latin hypercube of ``samples`` rows (``scipy.stats.qmc.LatinHypercube``); noise factors
    through the normal quantile, levels through equal strata.
``sobol``
    Saltelli's scheme for Sobol indices (SALib), ``samples`` x (D + 2) rows for D factors;
    required by ``negsim analyze --sobol``.
``morris``
    ``samples`` Morris trajectories (SALib), ``samples`` x (D + 1) rows. A ``noise:SIGMA``
    factor is screened as a deviation from the file's value in [-2 SIGMA, +2 SIGMA]
    (:data:`NOISE_SPAN`), clipped to the field's range like noise; ``scale-each:A:B`` screens
    relative changes field by field.

Each row runs ``replications`` times. Run ``r`` of row ``i`` has id ``i * replications + r`` and
a seed spawned from the master seed (``numpy.random.SeedSequence(seed, spawn_key=(2, id))``), so
any single run can be re-run alone and no result depends on workers or scheduling.

A Monte Carlo store can grow (:func:`grow_blocks`): every Monte Carlo row has its own seed, so
more samples are simply more rows, and with the same replications their runs get exactly the
ids (and seeds) a fresh sweep of the larger size would give them. More replications cannot
keep that formula without renumbering the runs already done, so the new runs form a *block*
of their own with the next free ids: run ids are laid out as a list of blocks
``[row_start, row_stop, rep_start, rep_stop, first_id]`` (``manifest.json`` field ``blocks``),
and a run's id is ``first_id + (row - row_start) * (rep_stop - rep_start) + (rep - rep_start)``.
A store grown in replications therefore differs from a fresh sweep of its final size in the
seeds of its later replications (each run's seed is still in its row), never in the runs it
already holds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from .params import ORIGIN, Factor, Fixed

__all__ = ["Design", "DESIGNS", "run_seed", "grow_blocks", "Block"]

DESIGNS = ("montecarlo", "factorial", "lhs", "sobol", "morris")
MAX_ROWS = 5_000_000
#: A block of run ids: rows [row_start, row_stop) x replications [rep_start, rep_stop), numbered
#: from first_id in row-major order.
Block = tuple[int, int, int, int, int]


def grow_blocks(blocks: list[Block] | None, rows: int, replications: int, new_rows: int,
                new_replications: int) -> list[Block]:
    """The id layout of a Monte Carlo store grown from ``rows`` x ``replications`` (laid out
    as ``blocks``, None: one block) to ``new_rows`` x ``new_replications`` (not smaller)."""
    out = [tuple(b) for b in blocks] if blocks else [(0, rows, 0, replications, 0)]
    total = rows * replications
    if new_replications > replications:
        out.append((0, rows, replications, new_replications, total))
        total += rows * (new_replications - replications)
    if new_rows > rows:
        r0, r1, p0, p1, first = out[-1]
        if (p0, p1) == (0, new_replications) and r1 == rows \
                and first + (r1 - r0) * (p1 - p0) == total:
            out[-1] = (r0, new_rows, p0, p1, first)     # the same formula: as a fresh sweep
        else:
            out.append((rows, new_rows, 0, new_replications, total))
    return [tuple(int(x) for x in b) for b in out]  # type: ignore[misc]



def run_seed(master: int, run_id: int) -> int:
    """The seed of one run, spawned from the master seed."""
    ss = np.random.SeedSequence(int(master), spawn_key=(2, int(run_id)))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


#: A Morris design screens a noise:SIGMA factor over deviations in [-NOISE_SPAN x SIGMA,
#: +NOISE_SPAN x SIGMA] (uniform levels; 2 sigma covers 95% of the normal's mass).
NOISE_SPAN = 2.0


def _salib_problem(factors: list[Factor], morris: bool = False) -> dict[str, Any]:
    """SALib's problem: noise factors are normal (mean 0, sd SIGMA) for Sobol, and a uniform
    band of +-NOISE_SPAN sigma for Morris (its levels need a bounded range)."""
    bounds, dists = [], []
    for f in factors:
        if f.kind == "noise" and morris:
            bounds.append([-NOISE_SPAN * f.sigma, NOISE_SPAN * f.sigma])
            dists.append("unif")
        elif f.kind == "noise":
            bounds.append([0.0, f.sigma])
            dists.append("norm")
        else:
            bounds.append([f.low, f.high])
            dists.append("unif")
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": bounds,
            "dists": dists}


@dataclass
class Design:
    kind: str
    factors: list[Factor]
    fixed: list[Fixed]
    samples: int
    replications: int
    seed: int
    #: The id layout (see the module docstring); None: one block, ids row x R + replication.
    blocks: list[Block] | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.kind not in DESIGNS:
            problems.append(Problem("--design", "", "unknown design (known: "
                                    + ", ".join(DESIGNS) + ")", self.kind))
        if self.replications < 1:
            problems.append(Problem("--replications", "", "must be at least 1", self.replications))
        if self.kind != "factorial" and self.samples < 1:
            problems.append(Problem("--samples", "", "must be at least 1", self.samples))
        if self.kind == "sobol" and self.samples >= 1 and self.samples & (self.samples - 1):
            problems.append(Problem("--samples", "", "a Sobol design needs a power of two "
                                    "(e.g. 256, 512, 1024) for the sequence's balance",
                                    self.samples))
        if not self.factors and self.kind != "factorial" and self.kind != "montecarlo":
            problems.append(Problem(ORIGIN, "", f"a {self.kind} design needs at least one "
                                    "swept parameter"))
        for f in self.factors:
            if self.kind == "factorial" and f.kind == "noise":
                problems.append(Problem(ORIGIN, f.name, "noise has no levels; use a Monte Carlo, "
                                        "Latin hypercube or Sobol design"))
            if self.kind == "factorial" and f.kind in ("range", "scale") and not f.n_levels:
                problems.append(Problem(ORIGIN, f.name, "a factorial design needs a number of "
                                        "levels: A:B:N"))
            if self.kind in ("sobol", "morris") and f.kind == "levels":
                problems.append(Problem(ORIGIN, f.name, f"a {self.kind} design needs continuous "
                                        "factors (A:B, scale:A:B or noise:SIGMA), not levels"))
        if self.blocks is not None and not problems and sum(
                (r1 - r0) * (p1 - p0) for r0, r1, p0, p1, _ in self.blocks) != self.runs:
            problems.append(Problem("manifest.json", "blocks", "damaged sweep manifest: the run "
                                    "id blocks do not cover rows x replications"))
        if not problems and self.rows > MAX_ROWS:
            problems.append(Problem("--samples", "", f"the design has {self.rows:,} rows, more "
                                    f"than {MAX_ROWS:,}; narrow it", self.rows))
        if problems:
            raise InputError(problems)
        self._matrix: np.ndarray | None = None

    # -- size -------------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        d = len(self.factors)
        if self.kind == "factorial":
            return math.prod(len(f.grid()) for f in self.factors) if self.factors else 1
        if self.kind == "sobol":
            return self.samples * (d + 2)
        if self.kind == "morris":
            return self.samples * (d + 1)
        return self.samples

    @property
    def runs(self) -> int:
        return self.rows * self.replications

    # -- rows -------------------------------------------------------------------------------
    def _unit_matrix(self) -> np.ndarray:
        """Design points for lhs/sobol/morris, in factor units (noise: the deviation)."""
        if self._matrix is not None:
            return self._matrix
        d = len(self.factors)
        design_seed = int(np.random.SeedSequence(self.seed, spawn_key=(0,))
                          .generate_state(1, dtype=np.uint32)[0])
        if self.kind == "lhs":
            from scipy.stats import norm, qmc

            u = qmc.LatinHypercube(d=d, seed=np.random.default_rng(design_seed)).random(self.samples)
            cols = []
            for j, f in enumerate(self.factors):
                if f.kind == "noise":
                    cols.append(norm.ppf(np.clip(u[:, j], 1e-12, 1 - 1e-12)) * f.sigma)
                elif f.kind == "levels":
                    cols.append(np.minimum((u[:, j] * len(f.levels)).astype(int),
                                           len(f.levels) - 1))
                else:
                    cols.append(f.low + (f.high - f.low) * u[:, j])
            self._matrix = np.column_stack(cols) if cols else np.zeros((self.samples, 0))
        elif self.kind == "sobol":
            from SALib.sample import sobol

            self._matrix = sobol.sample(_salib_problem(self.factors), self.samples,
                                        calc_second_order=False, scramble=True, seed=design_seed)
        elif self.kind == "morris":
            from SALib.sample import morris

            self._matrix = morris.sample(_salib_problem(self.factors, morris=True), self.samples,
                                         num_levels=4, seed=design_seed)
        else:  # pragma: no cover - other designs do not use a matrix
            raise AssertionError(self.kind)
        return self._matrix

    def values(self, row: int) -> list[Any]:
        """The factor values of one row (noise factors: the drawn deviation)."""
        if self.kind == "factorial":
            out, rest = [], row
            grids = [f.grid() for f in self.factors]
            for g in reversed(grids):
                out.append(g[rest % len(g)])
                rest //= len(g)
            return list(reversed(out))
        if self.kind == "montecarlo":
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(1, row)))
            vals: list[Any] = []
            for f in self.factors:
                if f.kind == "noise":
                    vals.append(float(rng.normal(0.0, f.sigma)))
                elif f.kind == "levels":
                    vals.append(f.levels[int(rng.integers(len(f.levels)))])
                else:
                    vals.append(float(rng.uniform(f.low, f.high)))
            return vals
        point = self._unit_matrix()[row]
        return [f.levels[int(v)] if f.kind == "levels" else float(v)
                for f, v in zip(self.factors, point)]

    def overrides(self, row: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """(field overrides for the scenario, factor values to record) for one row."""
        values = self.values(row)
        fields = {x.path: x.value for x in self.fixed}
        record: dict[str, Any] = {}
        for f, v in zip(self.factors, values):
            fields.update(f.overrides(v))
            if f.kind == "noise":
                record[f.name] = fields[f.paths[0]]          # the value the run used
            else:
                record[f.name] = v
        return fields, record

    def runs_iter(self, skip: set[int] | None = None) -> Iterator[tuple[int, int, int, int]]:
        """(run_id, row, replication, seed) for every run not in ``skip``, in id order."""
        for r0, r1, p0, p1, first in self.blocks or [(0, self.rows, 0, self.replications, 0)]:
            for row, rep in itertools.product(range(r0, r1), range(p0, p1)):
                run_id = first + (row - r0) * (p1 - p0) + (rep - p0)
                if skip and run_id in skip:
                    continue
                yield run_id, row, rep, run_seed(self.seed, run_id)

    def problem(self) -> dict[str, Any]:
        """The SALib problem of this design (sobol and morris analyses)."""
        return _salib_problem(self.factors, morris=self.kind == "morris")

    def matrix(self) -> np.ndarray:
        """The design matrix in SALib's row order (sobol and morris)."""
        return self._unit_matrix()

    def describe(self) -> dict[str, Any]:
        return {"design": self.kind, "samples": self.samples, "replications": self.replications,
                "seed": self.seed, "rows": self.rows, "runs": self.runs,
                "blocks": [list(b) for b in self.blocks] if self.blocks else None,
                "factors": [f.describe() for f in self.factors],
                "fixed": {x.path: x.value for x in self.fixed}}
