"""Running a sweep: validate everything first, then stream runs through an executor into the
store, resumable at any point.

Every run is independent and fully described by its task (scenario document, overrides, seed),
so the same sweep gives identical rows in-process, on a process pool or on a dask cluster. A
run that raises (or exceeds the optional time limit) is recorded with status ``failed`` and its
error; the others go on.

The driver writes exactly ``chunk_size`` runs per part (the lowest ids it holds), and on any
interruption (SIGINT, SIGTERM, which it turns into :class:`Terminated`, an error) first writes
every run that has finished. On dask it watches the cluster: no worker for
``dask_idle_warning`` seconds gives one warning (and a note when workers are back); a lost
scheduler ends the sweep with :class:`SweepAborted`, whose one-line message says that
rerunning resumes. Re-running into an existing store is checked field by field
(:func:`negsim.sweeps.store.reconcile`); a Monte Carlo store may grow.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import copy
import hashlib
import json
import math
import sys
import time
from collections.abc import Iterator
from typing import Any

from ..readers import Document, apply_overrides
from ..errors import InputError, Problem
from .design import Design
from .params import ORIGIN, Factor, Fixed, parse_params
from .store import RESULT_COLUMNS, SweepStore, reconcile, store_metadata
from .store import VERSION as STORE_VERSION

__all__ = ["run_sweep", "run_one", "RunTimeout", "validate_design", "TRAJECTORIES"]

TRAJECTORIES = ("issues", "actors")
#: Runs per Parquet part unless --chunk-size says otherwise.
DEFAULT_CHUNK = 250


class RunTimeout(Exception):
    pass


class SweepAborted(Exception):
    """The sweep stopped for a reason outside it (its dask scheduler went away); the finished
    runs are in the store and the same command resumes."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (``scancel``, a walltime, ``kill``), handled as SIGINT is."""


#: Seconds a dask cluster may have no worker before the driver says so (--dask-idle-warning).
DASK_IDLE_WARNING = 60.0


# -- one run ----------------------------------------------------------------------------------

def _scenario_for(base: dict[str, Any], name: str, overrides: dict[str, Any]):
    from ..scenario import validate_document

    doc = Document(copy.deepcopy(base), name, "yaml")
    doc.problems.extend(apply_overrides(doc, overrides, origin=ORIGIN))
    return validate_document(doc)


class _FastStart:
    """A validated base scenario and its start arrays, and how a run's numeric overrides map
    onto those arrays (so that a run need not re-validate the whole scenario)."""

    #: settings a run may override through ``model.*`` paths, as model keywords
    MODEL_KEYS = {"max_rounds": "max_rounds", "stop": "stop", "tolerance": "tolerance",
                  "patience": "patience"}

    def __init__(self, base: dict[str, Any], name: str) -> None:
        self.scenario = _scenario_for(base, name, {})
        self.arrays = self.scenario.arrays()
        self.unit = self.scenario.salience_unit
        self.slot = {a: i for i, a in enumerate(self.arrays.actor_ids)}
        self.kidx = {k: n for n, k in enumerate(self.arrays.issue_ids)}
        self.base = base

    def start(self, overrides: dict[str, Any]) -> tuple[Any, dict[str, Any], dict[str, Any]] | None:
        """(start arrays, rule params, model keywords) with ``overrides`` applied, or None when
        some path is not a plain number of the start state (the caller then re-validates)."""
        import dataclasses

        import numpy as np

        a = self.arrays
        pos, sal, cap = a.positions.copy(), a.salience.copy(), a.capability.copy()
        params: dict[str, Any] = {}
        model: dict[str, Any] = {}
        by_issue: dict[int, set[int]] = {}
        for path, value in overrides.items():
            parts = path.split(".")
            if parts[:2] == ["model", "params"] and len(parts) == 3:
                params[parts[2]] = value
                continue
            if parts[0] == "model" and len(parts) == 2 and parts[1] in self.MODEL_KEYS:
                model[self.MODEL_KEYS[parts[1]]] = value
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or parts[0] != "actors" or len(parts) < 3 or parts[1] not in self.slot:
                return None
            i = self.slot[parts[1]]
            if not _exists(self.base, parts[:-1]):
                return None        # validation would say "no such field": let it
            if len(parts) == 3 and parts[2] == "capability":
                spec = self.scenario.actors.get(parts[1])
                if spec is None:
                    return None
                for iid, k in self.kidx.items():
                    if iid not in spec.capability_by_issue and k not in by_issue.get(i, ()):
                        cap[k, i] = value
            elif len(parts) == 4 and parts[2] == "capability_by_issue" and parts[3] in self.kidx:
                cap[self.kidx[parts[3]], i] = value
                by_issue.setdefault(i, set()).add(self.kidx[parts[3]])
            elif len(parts) == 5 and parts[2] == "issues" and parts[3] in self.kidx \
                    and parts[4] in ("position", "salience") and a.stance[self.kidx[parts[3]], i]:
                k = self.kidx[parts[3]]
                if parts[4] == "position":
                    pos[k, i] = value
                else:
                    sal[k, i] = value / self.unit
            else:
                return None
        if not (np.isfinite(pos).all() and np.isfinite(sal).all() and np.isfinite(cap).all()):
            return None
        return dataclasses.replace(a, positions=pos, salience=sal, capability=cap), params, model


def _exists(data: Any, parts: list[str]) -> bool:
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


_FAST: dict[tuple[str, int], _FastStart] = {}


def _fast_start(base: dict[str, Any], name: str) -> _FastStart:
    key = (name, id(base))
    if key not in _FAST:
        _FAST.clear()          # one sweep at a time per worker
        _FAST[key] = _FastStart(base, name)
    return _FAST[key]


def run_one(base: dict[str, Any], name: str, overrides: dict[str, Any], seed: int,
            time_limit: float | None = None, fast: bool = True):
    """Run the scenario ``base`` (plain file data) with ``overrides``; return the RunResult.

    With ``fast``, numeric overrides of the start state (positions, saliences, capabilities,
    rule parameters and run settings) are applied to the validated base scenario's arrays
    instead of re-validating the whole document: the results are identical (tested), and the
    caller must have validated the values (:func:`validate_design` does for a sweep)."""
    from ..engine import Negotiation as NegotiationModel

    prepared = _fast_start(base, name).start(overrides) if fast else None
    if prepared is not None:
        arrays, params, settings = prepared
        fs = _fast_start(base, name)
        model = NegotiationModel(case=fs.scenario, rng=seed, start=arrays,
                                 rule_params=params or None, **settings)
    else:
        scenario = _scenario_for(base, name, overrides)
        model = NegotiationModel(case=scenario, rng=seed)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    while model.running:
        model.step()
        if deadline is not None and model.running and time.perf_counter() > deadline:
            raise RunTimeout(f"exceeded the time limit of {time_limit:g} s after round "
                             f"{model.round}")
    return model.result()


def _rows(result, meta: dict[str, Any], record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for k, iid in enumerate(result.issue_ids):
        st = result.statuses[k]
        rows.append({**meta, "status": "ok", "error": None, "issue": iid,
                     "issue_status": st.status, "converged_round": st.since,
                     "forecast": float(result.forecast_series[-1, k]), "mean": float(result.mean[-1, k]),
                     "initial_dispersion": float(result.dispersion[0, k]),
                     "final_dispersion": float(result.dispersion[-1, k]),
                     "rounds_run": result.rounds_run, "detail": st.detail or None, **record})
    return rows


def _trajectory_rows(result, run_id: int, mode: str) -> list[dict[str, Any]]:
    import numpy as np

    out = []
    if mode == "issues":
        for t in range(result.rounds_run + 1):
            for k, iid in enumerate(result.issue_ids):
                out.append({"run_id": run_id, "round": t, "issue": iid,
                            "median": float(result.median[t, k]),
                            "mean": float(result.mean[t, k]),
                            "dispersion": float(result.dispersion[t, k])})
    else:
        tt, kk, ii = np.nonzero(result.active)
        for t, k, i in zip(tt.tolist(), kk.tolist(), ii.tolist()):
            out.append({"run_id": run_id, "round": t, "issue": result.issue_ids[k],
                        "actor": result.actor_ids[i],
                        "position": float(result.positions[t, k, i])})
    return out


def _run_batch(task: dict[str, Any]):
    """Worker entry point: run a batch of runs, catching each run's failure; return the rows
    as compact Arrow tables (results, trajectories or None)."""
    import pyarrow as pa

    from ..rules import kernels

    kernels.batch(True)     # many runs here: the fused kernels pay for themselves (auto)
    rows: list[dict] = []
    traj: list[dict] = []
    for run in task["runs"]:
        meta = {"run_id": run["run_id"], "row": run["row"], "replication": run["replication"],
                "seed": run["seed"]}
        try:
            result = run_one(task["base"], task["name"], run["overrides"], run["seed"],
                             task["time_limit"])
        except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
            message = str(exc).strip().splitlines()
            text = f"{type(exc).__name__}: {message[0] if message else ''}"
            if isinstance(exc, InputError):
                text = "InputError: " + "; ".join(p.format() for p in exc.problems)
            rows.append({**meta, "status": "failed", "error": text[:2000], "issue": None,
                         "issue_status": None, "converged_round": None, "forecast": None,
                         "mean": None, "initial_dispersion": None, "final_dispersion": None,
                         "rounds_run": None, "detail": None, **run["record"]})
            continue
        rows.extend(_rows(result, meta, run["record"]))
        if task["trajectories"]:
            traj.extend(_trajectory_rows(result, run["run_id"], task["trajectories"]))
    table = pa.Table.from_pylist(rows, schema=task["schema"])
    traj_table = pa.Table.from_pylist(traj, schema=task["traj_schema"]) \
        if task["traj_schema"] is not None else None
    return table, traj_table


# -- validation before anything runs --------------------------------------------------------------

def validate_design(base: Document, factors: list[Factor], fixed: list[Fixed]) -> None:
    """Apply every factor's extreme values (and every level) to the scenario and validate, so
    unknown paths and out-of-range values are reported before the first run."""
    from ..scenario import validate_document

    probes: list[dict[str, Any]] = []
    fixed_over = {x.path: x.value for x in fixed}
    lows, highs = dict(fixed_over), dict(fixed_over)
    for f in factors:
        if f.kind == "noise":
            continue  # noise is clipped to the field's valid range by construction
        if f.kind == "levels":
            for level in f.levels:
                probes.append({**fixed_over, **f.overrides(level)})
            continue
        lows.update(f.overrides(f.low))
        highs.update(f.overrides(f.high))
    probes = [lows, highs] + probes
    seen: set[str] = set()
    problems: list[Problem] = []
    for over in probes:
        doc = Document(copy.deepcopy(base.data), base.name, "yaml")
        doc.problems.extend(apply_overrides(doc, over, origin=ORIGIN))
        try:
            validate_document(doc)
        except InputError as exc:
            for p in exc.problems:
                key = p.format()
                if key not in seen:
                    seen.add(key)
                    problems.append(p)
    if problems:
        raise InputError(problems)


# -- the driver -------------------------------------------------------------------------------------

def _arrow_schema(factors: list[Factor], trajectories: str | None):
    import pyarrow as pa

    fields = [pa.field(name, pa.from_numpy_dtype(_np(t)) if t != "string" else pa.string())
              for name, t in RESULT_COLUMNS]
    for f in factors:
        if f.kind == "levels" and not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                          for v in f.levels):
            fields.append(pa.field(f.name, pa.string()))
        else:
            fields.append(pa.field(f.name, pa.float64()))
    traj = None
    if trajectories == "issues":
        traj = pa.schema([("run_id", pa.int64()), ("round", pa.int64()), ("issue", pa.string()),
                          ("median", pa.float64()), ("mean", pa.float64()),
                          ("dispersion", pa.float64())])
    elif trajectories == "actors":
        traj = pa.schema([("run_id", pa.int64()), ("round", pa.int64()), ("issue", pa.string()),
                          ("actor", pa.string()), ("position", pa.float64())])
    return pa.schema(fields), traj


def _np(name: str):
    import numpy as np

    return np.dtype(name)


def _record_value(f: Factor, v: Any) -> Any:
    if f.kind == "levels" and not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                      for x in f.levels):
        return str(v)
    return float(v)


def _sweep_kernel() -> str:
    """The kernel backend the sweep's workers use (:func:`negsim.rules.kernels.batch`)."""
    from ..rules import kernels

    value = kernels.setting()
    if value == "auto":
        return "fused" if kernels.numba_available() else "numpy"
    return value


def spec_hash(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


def run_sweep(base: Document, specs: list[str], *, design: str, samples: int,
              replications: int, seed: int, out: str, workers: int | None = None,
              scheduler: str | None = None, dask_local: bool = False,
              trajectories: str | None = None, time_limit: float | None = None,
              chunk_size: int | None = None, progress: bool = False,
              retry_failed: bool = False, command: str | None = None,
              log: Any = None, note: Any = None, dask_idle_warning: float | None = None
              ) -> SweepStore:
    """Validate, then run every pending run of the sweep into the store at ``out``.

    ``log`` receives progress messages (--verbose), ``note`` advice the user should see (a
    warning when None); ``dask_idle_warning`` is how long (seconds) a dask cluster may have no
    worker before the driver says so (default :data:`DASK_IDLE_WARNING`)."""
    import pyarrow as pa

    from .. import __version__
    from ..parallel import (as_completed_bounded, dask_workers, default_workers, executor,
                            scheduler_lost)
    from ..scenario import validate_document

    problems: list[Problem] = []
    if trajectories is not None and trajectories not in TRAJECTORIES:
        problems.append(Problem("--trajectories", "", "must be issues or actors", trajectories))
    if time_limit is not None and not time_limit > 0:
        problems.append(Problem("--time-limit", "", "must be a positive number of seconds",
                                time_limit))
    if workers is not None and workers < 1:
        problems.append(Problem("--workers", "", "must be at least 1", workers))
    if chunk_size is not None and chunk_size < 1:
        problems.append(Problem("--chunk-size", "", "must be at least 1", chunk_size))
    if dask_idle_warning is not None and not dask_idle_warning > 0:
        problems.append(Problem("--dask-idle-warning", "", "must be a positive number of "
                                "seconds", dask_idle_warning))
    if problems:
        raise InputError(problems)
    scenario = validate_document(Document(copy.deepcopy(base.data), base.name, "yaml",
                                          problems=list(base.problems)))
    store = SweepStore(out)
    specs = _param_order(specs, store.manifest if store.exists() else None)
    factors, fixed = parse_params(specs, base, scenario.salience_unit)
    plan = Design(design, factors, fixed, samples, replications, seed)
    validate_design(base, factors, fixed)
    advice = _replication_note(scenario, factors, fixed, replications)
    if advice:
        _tell(note, advice)

    import yaml

    scenario_yaml = yaml.safe_dump(base.data, sort_keys=False, allow_unicode=True, width=100)
    # what makes the sweep what it is (not its size, which a Monte Carlo store may grow, nor
    # the time limit, which only decides whether a run fails): see store.reconcile
    spec = {"scenario": base.data, "params": sorted(specs), "design": design, "seed": seed,
            "trajectories": trajectories}
    manifest = {
        "format": "negsim-sweep", "version": STORE_VERSION, "negsim": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": command,
        "scenario": {"file": base.name, "title": scenario.title,
                     "sha256": hashlib.sha256(scenario_yaml.encode()).hexdigest()},
        "rule": scenario.model.rule, "params": list(specs), **plan.describe(),
        "trajectories": trajectories, "time_limit": time_limit,
        "kernel": _sweep_kernel(),
        "columns": [c for c, _ in RESULT_COLUMNS] + [f.name for f in factors],
        "spec_hash": spec_hash(spec),
    }
    with store.locked():
        if store.exists():
            old = store.manifest
            kept = reconcile(str(store.path), old, manifest, store.scenario_data(), base.data)
            if kept != old:
                store.update_manifest(kept)
            if old.get("time_limit") != time_limit:
                _tell(log, f"time limit {_seconds(old.get('time_limit'))} -> "
                      f"{_seconds(time_limit)} (runs still to do use the new one)", warn=False)
            if (kept["samples"], kept["replications"]) != (old["samples"], old["replications"]):
                _tell(note, f"growing the sweep: samples {old['samples']} -> {kept['samples']}, "
                      f"replications {old['replications']} -> {kept['replications']} "
                      f"({kept['runs'] - old['runs']} more runs)", warn=False)
            plan = Design(design, factors, fixed, samples, replications, seed,
                          blocks=[tuple(b) for b in kept["blocks"]] if kept.get("blocks")
                          else None)
        else:
            store.create(manifest, scenario_yaml)
        store.tidy()
        if retry_failed:
            n = store.drop_failed()
            if log and n:
                log(f"{n} failed run{'s' if n != 1 else ''} will run again")
        done = store.done_ids()
        pending = plan.runs - len(done)
        if pending <= 0:
            return store
        n_workers = workers or default_workers()
        batch = max(1, min(25, pending // (n_workers * 16) or 1))
        # A part's size does not grow with the sweep, so neither does the driver's memory.
        chunk = chunk_size or DEFAULT_CHUNK
        schema, traj_schema = _arrow_schema(factors, trajectories)
        schema_metadata = store_metadata(scenario, store.manifest, __version__)
        base_data = base.data
        common = {"base": base_data, "name": base.name, "time_limit": time_limit,
                  "trajectories": trajectories, "schema": schema, "traj_schema": traj_schema}

        def tasks() -> Iterator[dict[str, Any]]:
            runs = []
            for run_id, row, rep, run_seed in plan.runs_iter(skip=done):
                fields, record = plan.overrides(row)
                record = {f.name: _record_value(f, record[f.name]) for f in factors}
                runs.append({"run_id": run_id, "row": row, "replication": rep, "seed": run_seed,
                             "overrides": fields, "record": record})
                if len(runs) == batch:
                    yield {**common, "runs": runs}
                    runs = []
            if runs:
                yield {**common, "runs": runs}

        bar = _progress(pending, progress)
        buffer: list[pa.Table] = []
        traj_buffer: list[pa.Table] = []
        buffered_runs = 0
        last_flush = time.monotonic()
        part = store.next_part()

        def flush(limit: int | None = None) -> None:
            """Write the buffered runs as one part (with ``limit``: exactly that many, the
            lowest run ids, keeping the rest buffered)."""
            nonlocal buffer, traj_buffer, buffered_runs, part, last_flush
            if not buffered_runs:
                return
            table = pa.concat_tables(buffer)
            traj = pa.concat_tables(traj_buffer) if traj_schema is not None else None
            n = buffered_runs
            rest, traj_rest = [], []
            if limit is not None and buffered_runs > limit:
                import pyarrow.compute as pc

                # every run has at least one row (a failed run exactly one)
                ids = pa.array(sorted(set(table["run_id"].to_pylist()))[:limit], pa.int64())
                mine = pc.is_in(table["run_id"], value_set=ids)
                rest, table = [table.filter(pc.invert(mine))], table.filter(mine)
                if traj is not None:
                    tmine = pc.is_in(traj["run_id"], value_set=ids)
                    traj_rest, traj = [traj.filter(pc.invert(tmine))], traj.filter(tmine)
                n = limit
            table = table.sort_by([("run_id", "ascending"), ("issue", "ascending")])
            table = table.replace_schema_metadata(schema_metadata)
            store.write_part(part, table, traj)
            # one assignment (no call in it, so no signal handler runs half-way): an interrupt
            # before it rewrites the same part with the same runs, never a second copy
            part, buffer, traj_buffer, buffered_runs = part + 1, rest, traj_rest, \
                buffered_runs - n
            last_flush = time.monotonic()
            if log:
                log(f"wrote results/part-{part - 1:06d}.parquet ({n} runs)")

        watch = _DaskWatch(note, DASK_IDLE_WARNING if dask_idle_warning is None
                           else dask_idle_warning)
        with _sigterm_as_interrupt():
            try:
                with executor(n_workers, scheduler, dask_local,
                              preload=[__name__]) as pool:
                    on_dask = dask_workers(pool) is not None
                    for task, fut in as_completed_bounded(
                            pool, _run_batch, tasks(), in_flight=2 * n_workers,
                            poll=1.0 if on_dask else None,
                            on_wait=(lambda: watch(pool)) if on_dask else None):
                        try:
                            rows, traj = fut.result()
                        except cf.CancelledError:
                            if on_dask and scheduler_lost(pool):
                                raise SweepAborted("lost the connection to the dask scheduler"
                                                   + (f" at {scheduler}" if scheduler else "")
                                                   ) from None
                            raise
                        buffer.append(rows)
                        if traj is not None:
                            traj_buffer.append(traj)
                        buffered_runs += len(task["runs"])
                        if bar is not None:
                            bar.update(len(task["runs"]))
                        while buffered_runs >= chunk:
                            flush(chunk)
                        if time.monotonic() - last_flush > 60:
                            flush()
            except BaseException:
                flush()  # keep every run that finished before the interruption
                raise
            finally:
                if bar is not None:
                    bar.close()
            flush()
    return store


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within: SIGTERM raises :class:`Terminated` in the main thread, once (a second one is
    ignored, so that writing the finished runs is not cut short)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated("SIGTERM")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


class _DaskWatch:
    """Says when a dask cluster has had no worker for ``after`` seconds (once per spell), and
    when workers are back."""

    def __init__(self, sink: Any, after: float) -> None:
        self.sink, self.after = sink, after
        self.idle_since: float | None = None
        self.warned = False
        self._asked = -math.inf

    #: seconds between two questions to the scheduler
    EVERY = 1.0

    def __call__(self, pool: Any) -> None:
        from ..parallel import dask_workers

        now = time.monotonic()
        if now - self._asked < self.EVERY:
            return
        self._asked = now
        n = dask_workers(pool)
        if n:
            if self.warned:
                _tell(self.sink, f"dask: {n} worker{'s' if n != 1 else ''} connected again; "
                      "the sweep goes on")
            self.idle_since, self.warned = None, False
            return
        if self.idle_since is None:
            self.idle_since = now
        if not self.warned and now - self.idle_since >= self.after:
            self.warned = True
            _tell(self.sink, f"warning: no dask worker has been connected for {self.after:g} s; "
                  "the runs wait for workers to join (is the cluster up? jobs still queued? "
                  "see cluster.adapt() in docs/sweeps.md). Stop with Ctrl-C and run the same "
                  "command again to resume.")


def _tell(sink: Any, text: str, warn: bool = True) -> None:
    """Give ``text`` to ``sink`` (a callable), or else as a warning if ``warn``."""
    if sink is not None:
        sink(text)
    elif warn:
        import warnings

        warnings.warn(text, UserWarning, stacklevel=3)


def _seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:g} s"


def _param_order(specs: list[str], existing: dict[str, Any] | None) -> list[str]:
    """The order in which the ``--param`` specs become factors: the stored order when the store
    holds the same specs in any order (format 1 stores kept the order as typed), else sorted,
    so that the design never depends on the order of the options."""
    if existing is not None and sorted(existing.get("params") or []) == sorted(specs):
        return list(existing["params"])
    return sorted(specs)


def _replication_note(scenario: Any, factors: list[Factor], fixed: list[Fixed],
                      replications: int) -> str | None:
    """Advice when every replication of a row would give the same result (a deterministic
    rule: the seed changes nothing)."""
    from ..rules import UnknownRule, get_rule

    if replications < 2:
        return None
    rules = {scenario.model.rule}
    params = dict(scenario.model.params)
    swept: set[str] = set()
    for x in fixed:
        if x.path == "model.rule":
            rules = {str(x.value)}
        elif x.path.startswith("model.params."):
            params[x.path.split(".", 2)[2]] = x.value
    for f in factors:
        if "model.rule" in f.paths:
            rules |= {str(v) for v in f.levels}
        swept |= {p.split(".", 2)[2] for p in f.paths if p.startswith("model.params.")}
    for name in rules:
        try:
            rule = get_rule(name)
        except UnknownRule:
            return None
        if rule.stochastic and (rule.is_stochastic(params) or
                                any(n in swept for n, _ in rule.stochastic_when)):
            return None
    label = ", ".join(sorted(rules))
    return (f"note: rule {label} is deterministic: the {replications} replications of each row "
            "will give identical results (only their seeds differ); --replications 1 does the "
            "same work once")


def _progress(total: int, enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: worker processes may be forked
    return tqdm(total=total, unit="run", dynamic_ncols=True, smoothing=0.05, file=sys.stderr)
