"""The sweep result store: a directory anyone can read with pandas, polars or DuckDB.

Layout::

    DIR/manifest.json           what was run: scenario, parameters, design, seed, run count
    DIR/scenario.yaml           the base scenario as swept (command-line --set applied)
    DIR/results/part-000001.parquet ...
                                one row per run and issue (failed runs: one row, issue null):
                                run_id, row, replication, seed, status ("ok"/"failed"), error,
                                issue, issue_status, converged_round, forecast, mean,
                                initial_dispersion, final_dispersion, rounds_run, detail, and one
                                column per swept factor (the value the run used)
    DIR/trajectories/part-000001.parquet ...
                                with --trajectories: per run, round and issue (median, mean,
                                dispersion), or per run, round, issue and actor (position)

A part is written to a temporary name and renamed, so a crash never leaves half a file; a
results part is the record that its runs are done (trajectory parts are written first and
dropped on resume if their results part never appeared). Re-running the same sweep skips the
runs already recorded, so each run appears exactly once. A lock file keeps two processes from
writing one store at the same time: an ``flock`` on ``DIR/.lock`` (which also records the
holder's pid), released by the kernel when its holder dies, so a killed driver never leaves a
stale lock. Worker processes forked while the lock is held drop their inherited copy of it at
once (:func:`_drop_locks_in_child`): otherwise orphaned workers would keep the store locked.

A damaged store (a manifest that is not negsim's, a part file that is truncated or not one of
negsim's results) is an :class:`~negsim.errors.InputError` naming the file and what is wrong,
never a ``KeyError`` or an Arrow error.

Reading without negsim::

    import pandas as pd;  pd.read_parquet("DIR/results")
    import duckdb;  duckdb.sql("select issue, avg(forecast) from read_parquet('DIR/results/*.parquet') "
                              "group by issue")      # factor columns: "model.params.q" (quoted)

Each results part also carries Parquet schema metadata (key ``negsim``, JSON: rule, issues and
their scales, seed, design, factors, column meanings, negsim version; :func:`store_metadata`).
Re-running into a store checks it holds the same sweep (:func:`reconcile`): a refusal names each
differing field, old -> new; a Monte Carlo store may grow in samples and replications.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

__all__ = ["SweepStore", "FORMAT", "RESULT_COLUMNS", "COLUMN_DOCS", "store_metadata",
           "read_metadata", "reconcile"]

FORMAT = "negsim-sweep"
#: Format 2 added run-id ``blocks`` (grown Monte Carlo stores), sorted ``params`` and Parquet
#: schema metadata; format 1 stores are read, resumed and grown alike.
VERSION = 2
#: Manifest fields that make a sweep what it is: a difference in any is refused, by name.
IDENTITY = ("scenario", "params", "design", "seed", "trajectories")
_PART = re.compile(r"^part-(\d{6})\.parquet$")

#: Manifest fields the readers of a store rely on, with their JSON types.
MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": str, "version": int, "scenario": dict, "params": list, "design": str,
    "samples": int, "replications": int, "seed": int, "rows": int, "runs": int,
    "spec_hash": str,
}
#: Trajectory columns every trajectory part has.
TRAJECTORY_KEYS = ("run_id", "round", "issue")
#: File descriptors of the store locks this process holds (see _drop_locks_in_child).
_HELD: set[int] = set()


def _drop_locks_in_child() -> None:
    """In a forked child: point every inherited lock descriptor at /dev/null, so that the
    child holds no reference to the lock (an flock lives as long as any descriptor of it)."""
    if not _HELD:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for fd in list(_HELD):
            with contextlib.suppress(OSError):
                os.dup2(null, fd)
    finally:
        os.close(null)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_locks_in_child)

#: Columns of every results row besides the factor columns, with their Arrow types.
RESULT_COLUMNS = [
    ("run_id", "int64"), ("row", "int64"), ("replication", "int32"), ("seed", "int64"),
    ("status", "string"), ("error", "string"), ("issue", "string"), ("issue_status", "string"),
    ("converged_round", "int64"), ("forecast", "float64"), ("mean", "float64"),
    ("initial_dispersion", "float64"), ("final_dispersion", "float64"), ("rounds_run", "int64"),
    ("detail", "string"),
]


#: What each results column means (also in the Parquet schema metadata and docs/sweeps.md).
COLUMN_DOCS = {
    "run_id": "run number: row x replications + replication (grown stores: see blocks)",
    "row": "design row (one set of factor values)",
    "replication": "replication of the row, 0-based",
    "seed": "the run's seed (SeedSequence(seed, spawn_key=(2, run_id)))",
    "status": "ok, or failed (error says why; issue is null)",
    "error": "why the run failed (null if ok)",
    "issue": "issue id",
    "issue_status": "consensus, deadlock or unsettled at the end of the run",
    "converged_round": "the round since which the issue has held its final status "
                       "(consensus or deadlock); null if unsettled",
    "forecast": "the rule's forecast at the end of the run, on the issue's scale",
    "mean": "capability x salience weighted mean position at the end, on the issue's scale",
    "initial_dispersion": "weighted standard deviation of positions at round 0, issue's scale",
    "final_dispersion": "weighted standard deviation of positions at the end, issue's scale",
    "rounds_run": "rounds the run took",
    "detail": "how the status was reached (e.g. cycle of 2), or null",
}
#: The key of negsim's entry in each results part's Parquet schema metadata.
METADATA_KEY = b"negsim"


def store_metadata(scenario: Any, manifest: dict[str, Any], version: str) -> dict[bytes, bytes]:
    """Parquet schema metadata for a results part: a JSON document under ``b"negsim"`` with
    what a reader needs to interpret the rows without the side files: negsim version, the
    command (with its --set values), rule and model settings, issue names and scales (units), salience unit, seed, design and
    factors, and what each column means."""
    issues = [{"id": iid, "name": spec.name, "label": spec.label,
               "scale": {"low": spec.scale.low, "high": spec.scale.high,
                         "unit": spec.scale.unit}}
              for iid, spec in scenario.issues.items()]
    model = scenario.model
    doc = {
        "negsim": version, "format": manifest.get("version"),
        "scenario": manifest.get("scenario"), "command": manifest.get("command"),
        "rule": model.rule,
        "model": {"params": dict(model.params), "max_rounds": model.max_rounds,
                  "stop": model.stop, "tolerance": model.tolerance,
                  "patience": model.patience},
        "issues": issues, "salience_unit": scenario.salience_unit,
        "seed": manifest.get("seed"),
        "design": {k: manifest.get(k) for k in ("design", "samples", "replications", "rows",
                                                "runs", "blocks", "params", "fixed")},
        "factors": [{k: f.get(k) for k in ("name", "kind", "low", "high", "sigma", "levels")
                     if k in f} for f in manifest.get("factors", [])],
        "columns": {**COLUMN_DOCS, **{f["name"]: f"factor ({f['kind']}): the value the run "
                                      "used" for f in manifest.get("factors", [])}},
    }
    return {METADATA_KEY: json.dumps(doc, allow_nan=False, default=str).encode()}


def read_metadata(part: str | Path) -> dict[str, Any] | None:
    """negsim's schema metadata of a results part (None for parts written before format 2)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(part).metadata or {}
    raw = meta.get(METADATA_KEY)
    return json.loads(raw) if raw else None


class SweepStore:
    """A sweep directory (see module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # -- metadata -----------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def exists(self) -> bool:
        return self.manifest_path.exists()

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest, checked: InputError if it is missing, unreadable or not negsim's."""
        name = str(self.manifest_path)
        try:
            text = self.manifest_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError([Problem(str(self.path), "", "not a sweep directory (no "
                                      "manifest.json)")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([Problem(name, "", f"cannot read the sweep manifest: "
                                      f"{getattr(exc, 'strerror', None) or exc}")]) from None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise InputError([Problem(name, "", "damaged sweep manifest: not JSON "
                                      f"({str(exc)[:100]})")]) from None
        problems = _manifest_problems(name, data)
        if problems:
            raise InputError(problems)
        return data

    def create(self, manifest: dict[str, Any], scenario_yaml: str) -> None:
        """Start a new store (the caller has checked there is none: :func:`reconcile`)."""
        from ..files import write_atomic

        # encode first: a manifest that cannot be written leaves no directory behind
        text = json.dumps(manifest, indent=2, allow_nan=False)
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "results").mkdir(exist_ok=True)
        if not self.exists():
            write_atomic(self.path / "scenario.yaml", lambda p: p.write_text(scenario_yaml))
        write_atomic(self.manifest_path, lambda p: p.write_text(text + "\n"))

    def update_manifest(self, manifest: dict[str, Any]) -> None:
        """Replace the manifest (a grown sweep, a new time limit or command), atomically."""
        from ..files import write_atomic

        text = json.dumps(manifest, indent=2, allow_nan=False)
        write_atomic(self.manifest_path, lambda p: p.write_text(text + "\n"))

    def scenario_data(self) -> Any:
        """The stored base scenario as plain data (None if unreadable)."""
        import yaml

        try:
            return yaml.safe_load((self.path / "scenario.yaml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's write lock (fails at once if another process holds it)."""
        import fcntl

        self.path.mkdir(parents=True, exist_ok=True)
        fh = open(self.path / ".lock", "a+")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read(32).strip()
                who = f" (pid {holder})" if holder.isdigit() else ""
                raise InputError([Problem(str(self.path), "", f"another process{who} is "
                                          "writing this sweep right now")]) from None
            _HELD.add(fh.fileno())
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            yield
        finally:
            _HELD.discard(fh.fileno())
            fh.close()

    # -- parts ----------------------------------------------------------------------------------
    def _parts(self, kind: str) -> dict[int, Path]:
        d = self.path / kind
        if not d.is_dir():
            return {}
        out = {}
        for p in d.iterdir():
            match = _PART.match(p.name)
            if match:
                out[int(match.group(1))] = p
        return dict(sorted(out.items()))

    def result_parts(self) -> list[Path]:
        return list(self._parts("results").values())

    def tidy(self) -> None:
        """Remove what an interrupted writer left: temporary files, and trajectory parts whose
        results part was never written (their runs will run again)."""
        for kind in ("results", "trajectories"):
            d = self.path / kind
            if d.is_dir():
                for p in d.iterdir():
                    if p.name.startswith(".") and p.name.endswith(".tmp"):
                        p.unlink(missing_ok=True)
        done = self._parts("results")
        for number, p in self._parts("trajectories").items():
            if number not in done:
                p.unlink(missing_ok=True)

    def next_part(self) -> int:
        numbers = list(self._parts("results")) + list(self._parts("trajectories"))
        return max(numbers, default=0) + 1

    def write_part(self, number: int, results: "pa.Table", trajectories: "pa.Table | None"
                   ) -> None:
        import pyarrow.parquet as pq

        from ..files import write_atomic

        name = f"part-{number:06d}.parquet"
        if trajectories is not None:
            (self.path / "trajectories").mkdir(exist_ok=True)
            write_atomic(self.path / "trajectories" / name,
                    lambda p: pq.write_table(trajectories, p, compression="zstd"))
        write_atomic(self.path / "results" / name,
                lambda p: pq.write_table(results, p, compression="zstd"))

    def _read(self, p: Path, columns: list[str] | None = None) -> "pa.Table":
        """One part as an Arrow table, checked to be negsim's; InputError if it is not."""
        import pyarrow.parquet as pq

        kind = p.parent.name
        try:
            schema = pq.read_schema(p)
            need = RESULT_COLUMNS if kind == "results" else \
                [(c, None) for c in TRAJECTORY_KEYS]
            missing = [c for c, _ in need if c not in schema.names]
            wrong = [c for c, t in need if t is not None and c in schema.names
                     and not _same_kind(schema.field(c).type, t)]
            if missing or wrong:
                what = (f"missing column(s) {', '.join(missing)}" if missing
                        else f"column(s) of the wrong type: {', '.join(wrong)}")
                raise InputError([Problem(str(p), "", f"not a part of a negsim sweep: {what}; "
                                          "move it away and run the sweep again to redo its "
                                          "runs")])
            return pq.read_table(p, columns=columns)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - Arrow, OS and memory errors alike
            raise InputError([Problem(str(p), "", "damaged sweep part file "
                                      f"({type(exc).__name__}: {str(exc)[:160]}); move it away "
                                      "and run the sweep again to redo its runs")]) from None

    def drop_failed(self) -> int:
        """Rewrite parts without their failed runs (so they run again); return how many."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from ..files import write_atomic

        dropped = 0
        for number, p in self._parts("results").items():
            table = self._read(p)
            failed = pc.equal(table["status"], "failed")
            n = pc.sum(failed).as_py() or 0
            if n:
                keep = table.filter(pc.invert(failed))
                write_atomic(p, lambda q, keep=keep: pq.write_table(keep, q, compression="zstd"))
                dropped += n
        return dropped

    # -- reading --------------------------------------------------------------------------------
    def done_ids(self) -> set[int]:
        done: set[int] = set()
        for p in self.result_parts():
            done.update(self._read(p, columns=["run_id"])["run_id"].to_pylist())
        return done

    def results(self, columns: list[str] | None = None) -> "pd.DataFrame":
        """All result rows, sorted by run and issue."""
        import pandas as pd
        import pyarrow as pa

        parts = self.result_parts()
        if not parts:
            return pd.DataFrame(columns=[c for c, _ in RESULT_COLUMNS])
        tables = [self._read(p, columns=columns) for p in parts]
        try:
            table = pa.concat_tables(tables, promote_options="default")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError([Problem(str(self.path), "results", "parts that do not fit "
                                      f"together ({str(exc)[:160]})")]) from None
        df = table.to_pandas(types_mapper=_nullable_types)
        sort = [c for c in ("run_id", "issue") if c in df.columns]
        return df.sort_values(sort, kind="stable").reset_index(drop=True) if sort else df

    def trajectories(self) -> "pd.DataFrame":
        import pandas as pd
        import pyarrow as pa

        parts = list(self._parts("trajectories").values())
        if not parts:
            return pd.DataFrame()
        try:
            table = pa.concat_tables([self._read(p) for p in parts])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError([Problem(str(self.path), "trajectories", "parts that do not fit "
                                      f"together ({str(exc)[:160]})")]) from None
        df = table.to_pandas(types_mapper=_nullable_types)
        keys = [c for c in ("run_id", "round", "issue", "actor") if c in df.columns]
        return df.sort_values(keys, kind="stable").reset_index(drop=True)

    def status(self) -> dict[str, Any]:
        """Counts of runs done (ok / failed) and pending, and the commonest errors."""
        total = int(self.manifest["runs"])
        ok: set[int] = set()
        failed: set[int] = set()
        errors: Counter[str] = Counter()
        for p in self.result_parts():
            t = self._read(p, columns=["run_id", "status", "error"]).to_pydict()
            for rid, status, err in zip(t["run_id"], t["status"], t["error"]):
                if status == "failed":
                    if rid not in failed:
                        errors[err or "?"] += 1
                    failed.add(rid)
                else:
                    ok.add(rid)
        return {"runs": total, "done": len(ok | failed), "ok": len(ok), "failed": len(failed),
                "pending": total - len(ok | failed), "errors": errors.most_common(5),
                "parts": len(self.result_parts())}


def reconcile(path: str, old: dict[str, Any], new: dict[str, Any], old_scenario: Any,
              new_scenario: Any) -> dict[str, Any]:
    """The manifest to keep when the sweep ``new`` is run into a store holding ``old``.

    Refused (InputError, one problem per field, old -> new) unless the two describe the same
    runs: same scenario, parameters (in any order), design, seed and trajectories. A Monte Carlo
    store may grow in samples and replications (:func:`~negsim.sweeps.design.grow_blocks`);
    the time limit may change (it decides only whether a run fails)."""
    from .design import grow_blocks

    problems: list[Problem] = []

    def refuse(field_: str, change: str, hint: str = "use another --out to start a new one"
               ) -> None:
        problems.append(Problem(path, field_, f"this directory holds a different sweep "
                                f"({change}); {hint}"))

    if old["scenario"].get("sha256") != new["scenario"].get("sha256"):
        diffs = _data_diff(old_scenario, new_scenario)
        refuse("scenario", "the base scenario differs: " + ("; ".join(diffs) if diffs else
                                                            "its text differs"))
    a, b = sorted(old["params"]), sorted(new["params"])
    if a != b:
        gone = [p for p in a if p not in b]
        added = [p for p in b if p not in a]
        if len(gone) == 1 and len(added) == 1:
            refuse("params", f"--param {gone[0]} -> {added[0]}")
        else:
            refuse("params", "; ".join([f"--param {p} removed" for p in gone]
                                       + [f"--param {p} added" for p in added]))
    for key in ("design", "seed", "trajectories"):
        if old.get(key) != new.get(key):
            refuse(key, f"{key} {_show(old.get(key))} -> {_show(new.get(key))}")
    grows = False
    for key in ("samples", "replications"):
        o, n = old[key], new[key]
        if o == n:
            continue
        if old["design"] != "montecarlo" or new["design"] != "montecarlo":
            refuse(key, f"{key} {o} -> {n}", f"only a montecarlo sweep can grow (a "
                   f"{new['design']} design's rows depend on its size); use another --out")
        elif n < o:
            refuse(key, f"{key} {o} -> {n}", "a sweep store cannot shrink; use another --out "
                   "(or read the first rows of this one)")
        else:
            grows = True
    if problems:
        raise InputError(problems)
    kept = dict(old)
    kept.update(command=new.get("command"), time_limit=new.get("time_limit"),
                negsim_last=new.get("negsim"))
    if grows:
        blocks = grow_blocks(old.get("blocks"), old["rows"], old["replications"], new["rows"],
                             new["replications"])
        kept.update(samples=new["samples"], replications=new["replications"], rows=new["rows"],
                    runs=new["runs"], blocks=None if len(blocks) == 1 else
                    [list(x) for x in blocks], version=VERSION)
    return kept


def _show(value: Any) -> str:
    return "none" if value is None else str(value)


def _data_diff(old: Any, new: Any, prefix: str = "", limit: int = 5) -> list[str]:
    """Up to ``limit`` differences between two plain documents, as ``path old -> new``."""
    out: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in list(a) + [k for k in b if k not in a]:
                walk(a.get(k, "(absent)") if k in a else "(absent)",
                     b[k] if k in b else "(absent)", f"{where}.{k}" if where else str(k))
            return
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{where}.{i}")
            return
        if a != b:
            out.append(f"{where or '(document)'} {_short(a)} -> {_short(b)}")

    walk(old, new, prefix)
    return out


def _short(value: Any) -> str:
    text = "(absent)" if value == "(absent)" else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _manifest_problems(name: str, data: Any) -> list[Problem]:
    """What is wrong with a manifest's content (empty if nothing)."""
    if not isinstance(data, dict):
        return [Problem(name, "", "not a negsim sweep manifest (a JSON object is expected)",
                        type(data).__name__)]
    if data.get("format") != FORMAT:
        return [Problem(name, "format", f"not a negsim sweep manifest (format {FORMAT!r} "
                        "expected)", data.get("format"))]
    problems = []
    for key, kind in MANIFEST_FIELDS.items():
        value = data.get(key)
        if key not in data:
            problems.append(Problem(name, key, "damaged sweep manifest: field missing"))
        elif isinstance(value, bool) or not isinstance(value, kind):
            problems.append(Problem(name, key, "damaged sweep manifest: must be "
                                    f"{getattr(kind, '__name__', 'a number')}", value))
        elif kind is int and value < 0:
            problems.append(Problem(name, key, "damaged sweep manifest: must not be negative",
                                    value))
    if problems:
        return problems
    if data["version"] > VERSION:
        return [Problem(name, "version", f"written by a newer negsim (sweep format "
                        f"{data['version']}; this negsim reads up to {VERSION}); upgrade negsim "
                        "to resume or analyse it", data["version"])]
    if not isinstance(data["scenario"].get("title"), str):
        problems.append(Problem(name, "scenario.title", "damaged sweep manifest: must be text",
                                data["scenario"].get("title")))
    if not all(isinstance(p, str) for p in data["params"]):
        problems.append(Problem(name, "params", "damaged sweep manifest: must be a list of "
                                "PATH=SPEC texts"))
    if data["runs"] != data["rows"] * data["replications"]:
        problems.append(Problem(name, "runs", "damaged sweep manifest: runs must be rows x "
                                f"replications ({data['rows']} x {data['replications']})",
                                data["runs"]))
    return problems


def _same_kind(actual: "pa.DataType", expected: str) -> bool:
    """Whether an Arrow column type is of the kind a results column needs."""
    import pyarrow as pa

    if pa.types.is_null(actual):  # a part whose every value is null (failed runs only)
        return True
    if expected == "string":
        return pa.types.is_string(actual) or pa.types.is_large_string(actual)
    if expected.startswith("int"):
        return pa.types.is_integer(actual)
    return pa.types.is_floating(actual) or pa.types.is_integer(actual)


def _nullable_types(arrow_type: "pa.DataType") -> Any:
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_floating(arrow_type):
        return pd.Float64Dtype()
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None

