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
writing one store at the same time.

Reading without negsim::

    import pandas as pd;  pd.read_parquet("DIR/results")
    import duckdb;  duckdb.sql("select issue, avg(forecast) from 'DIR/results/*.parquet' group by 1")
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

__all__ = ["SweepStore", "FORMAT", "RESULT_COLUMNS"]

FORMAT = "negsim-sweep"
VERSION = 1
_PART = re.compile(r"^part-(\d{6})\.parquet$")

#: Columns of every results row besides the factor columns, with their Arrow types.
RESULT_COLUMNS = [
    ("run_id", "int64"), ("row", "int64"), ("replication", "int32"), ("seed", "int64"),
    ("status", "string"), ("error", "string"), ("issue", "string"), ("issue_status", "string"),
    ("converged_round", "int64"), ("forecast", "float64"), ("mean", "float64"),
    ("initial_dispersion", "float64"), ("final_dispersion", "float64"), ("rounds_run", "int64"),
    ("detail", "string"),
]


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
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            raise InputError([Problem(str(self.path), "", "not a sweep directory (no "
                                      "manifest.json)")]) from None

    def create(self, manifest: dict[str, Any], scenario_yaml: str) -> None:
        """Start a new store, or check that an existing one holds the same sweep."""
        from ..files import write_atomic

        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "results").mkdir(exist_ok=True)
        if self.exists():
            old = self.manifest
            if old.get("spec_hash") != manifest["spec_hash"]:
                raise InputError([Problem(str(self.path), "manifest.json",
                                          "this directory holds a different sweep (other "
                                          "scenario, parameters, design or seed); use another "
                                          "--out to start a new one")])
            return
        write_atomic(self.path / "scenario.yaml", lambda p: p.write_text(scenario_yaml))
        text = json.dumps(manifest, indent=2, allow_nan=False)
        write_atomic(self.manifest_path, lambda p: p.write_text(text + "\n"))

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
                raise InputError([Problem(str(self.path), "", "another process is writing "
                                          "this sweep right now")]) from None
            yield
        finally:
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

    def drop_failed(self) -> int:
        """Rewrite parts without their failed runs (so they run again); return how many."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from ..files import write_atomic

        dropped = 0
        for number, p in self._parts("results").items():
            table = pq.read_table(p)
            failed = pc.equal(table["status"], "failed")
            n = pc.sum(failed).as_py() or 0
            if n:
                keep = table.filter(pc.invert(failed))
                write_atomic(p, lambda q, keep=keep: pq.write_table(keep, q, compression="zstd"))
                dropped += n
        return dropped

    # -- reading --------------------------------------------------------------------------------
    def done_ids(self) -> set[int]:
        import pyarrow.parquet as pq

        done: set[int] = set()
        for p in self.result_parts():
            done.update(pq.read_table(p, columns=["run_id"])["run_id"].to_pylist())
        return done

    def results(self, columns: list[str] | None = None) -> "pd.DataFrame":
        """All result rows, sorted by run and issue."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts = self.result_parts()
        if not parts:
            return pd.DataFrame(columns=[c for c, _ in RESULT_COLUMNS])
        table = pa.concat_tables([pq.read_table(p, columns=columns) for p in parts],
                                 promote_options="default")
        df = table.to_pandas(types_mapper=_nullable_types)
        sort = [c for c in ("run_id", "issue") if c in df.columns]
        return df.sort_values(sort, kind="stable").reset_index(drop=True) if sort else df

    def trajectories(self) -> "pd.DataFrame":
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts = list(self._parts("trajectories").values())
        if not parts:
            return pd.DataFrame()
        df = pa.concat_tables([pq.read_table(p) for p in parts]).to_pandas(
            types_mapper=_nullable_types)
        keys = [c for c in ("run_id", "round", "issue", "actor") if c in df.columns]
        return df.sort_values(keys, kind="stable").reset_index(drop=True)

    def status(self) -> dict[str, Any]:
        """Counts of runs done (ok / failed) and pending, and the commonest errors."""
        import pyarrow.parquet as pq

        total = int(self.manifest["runs"])
        ok: set[int] = set()
        failed: set[int] = set()
        errors: Counter[str] = Counter()
        for p in self.result_parts():
            t = pq.read_table(p, columns=["run_id", "status", "error"]).to_pydict()
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

