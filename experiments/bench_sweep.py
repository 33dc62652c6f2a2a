"""Benchmark: a Monte Carlo sweep of the NATO scenario (expected-utility rule, stop auto).

    python experiments/bench_sweep.py [--runs 10000] [--small 1000] [--out DIR] [--json PATH]

Measured in one invocation, each phase in a fresh process so that memory readings are clean:

1. ``--small`` runs with 1 worker and with 2 workers: runs per second and the parallel
   efficiency rate(2) / (2 x rate(1)) (target: at least 85%);
2. ``--small`` and ``--runs`` runs with 2 workers: the driver's peak resident memory (the
   process that designs, dispatches and writes; workers are separate processes), whose ratio
   must stay flat (target: at most 1.2x);
3. the store's size on disk per run.

Every salience of every actor on every issue gets normal noise (sd 0.05 on the 0-1 scale). The
machine should be otherwise idle: other load on the cores shows up as lost efficiency.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARAM = "actors.*.issues.*.salience=noise:0.05"

PHASE = """
import json, resource, sys, time
import negsim
from negsim.sweeps import sweep
out, runs, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
store = sweep(sys.argv[4], [sys.argv[5]], out=out, samples=runs, seed=2022, workers=workers)
elapsed = time.perf_counter() - t0
st = store.status()
size = sum(p.stat().st_size for p in (store.path / "results").glob("*.parquet"))
print(json.dumps({"runs": runs, "workers": workers, "seconds": elapsed, "ok": st["ok"],
                  "failed": st["failed"], "parts": st["parts"],
                  "driver_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "store_bytes": size}))
"""


FLAGSHIP = ROOT / "scenarios" / "nato_russia_2022.yaml"
RESULTS = ROOT / "experiments" / "results" / "bench_sweep.json"
#: Per-core target (10,000 runs in under a minute on two workers needs 83 runs/s per worker).
TARGET = 80.0


def phase(runs: int, workers: int, out: Path, scenario: Path = FLAGSHIP) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-c", PHASE, str(out), str(runs), str(workers),
                           str(scenario), PARAM],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["runs_per_s"] = result["runs"] / result["seconds"]
    print(f"  {runs:>6} runs, {workers} worker{'s' if workers > 1 else ' '}: "
          f"{result['seconds']:8.1f} s, {result['runs_per_s']:7.2f} runs/s, driver peak "
          f"{result['driver_peak_rss_mb']:6.1f} MB, store {result['store_bytes'] / 1e6:6.2f} MB "
          f"({result['ok']} ok, {result['failed']} failed)", flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--small", type=int, default=1_000)
    ap.add_argument("--out", type=Path, help="keep the stores here (default: a temp dir)")
    ap.add_argument("--scenario", type=Path, default=FLAGSHIP,
                    help="scenario file (default: the flagship, with its institutions)")
    ap.add_argument("--json", type=Path, default=RESULTS,
                    help=f"write the figures here (default {RESULTS.relative_to(ROOT)}; the "
                         "figures found there before are kept under 'previous')")
    args = ap.parse_args()
    previous = json.loads(args.json.read_text()) if args.json.exists() else None
    if previous:
        previous.pop("previous", None)
    base = args.out or Path(tempfile.mkdtemp(prefix="negsim-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"NATO-Russia 2022, EUM, stop auto, Monte Carlo noise on all 231 saliences "
          f"({platform.node()}, Python {platform.python_version()})")
    print(f"scenario: {args.scenario}")
    one = phase(args.small, 1, base / "small-1", args.scenario)
    two = phase(args.small, 2, base / "small-2", args.scenario)
    big = phase(args.runs, 2, base / "big-2", args.scenario)
    efficiency = two["runs_per_s"] / (2 * one["runs_per_s"])
    memory_ratio = big["driver_peak_rss_mb"] / two["driver_peak_rss_mb"]
    per_run = big["store_bytes"] / big["runs"]
    print(f"parallel efficiency (2 workers vs 1): {efficiency:.0%} (target >= 85%: "
          f"{'met' if efficiency >= 0.85 else 'MISSED'})")
    print(f"driver peak memory, {args.runs} vs {args.small} runs: {memory_ratio:.2f}x "
          f"(target <= 1.2x: {'met' if memory_ratio <= 1.2 else 'MISSED'})")
    print(f"store size: {per_run:.0f} bytes per run ({per_run / 7:.0f} per run and issue)")
    per_core = big["runs_per_s"] / 2
    print(f"{args.runs} runs on 2 workers: {big['seconds']:.1f} s, {per_core:.1f} runs/s per "
          f"core (target >= {TARGET:g}: {'met' if per_core >= TARGET else 'MISSED'})")
    if previous:
        old = previous.get("one_worker", {}).get("runs_per_s")
        if old:
            print(f"previous figures ({args.json.name}): 1 worker {old:.2f} runs/s -> now "
                  f"{one['runs_per_s']:.2f} runs/s ({one['runs_per_s'] / old:.1f}x)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"scenario": str(args.scenario.relative_to(ROOT))
                                     if args.scenario.is_relative_to(ROOT) else str(args.scenario),
                                     "one_worker": one, "two_workers": two, "big": big,
                                     "efficiency": efficiency, "memory_ratio": memory_ratio,
                                     "runs_per_s_per_core": per_core,
                                     "store_bytes_per_run": per_run,
                                     "previous": previous}, indent=2) + "\n")
    if not args.out:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
