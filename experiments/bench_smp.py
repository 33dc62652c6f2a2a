"""Benchmark: negsim's SMP (KTAB's Spatial Model of Politics) on both kernel backends (numpy and
fused, ``NEGSIM_KERNEL``) against KTAB's own C++ ``smpc``.

    python experiments/bench_smp.py [--quick] [--repeat N] [--json PATH]

1. KTAB's example files (scenarios/ktab), whole process: ``python -m negsim run FILE --json``
   with its output discarded, wall time from start to exit (interpreter start, imports, reading,
   every turn until SMP's stopping rule, the JSON document), best of ``--repeat`` runs, on each
   backend (fused: numba's import and cache load included; the cache is warmed first), beside
   the times quoted for ``smpc`` built with -O2 and minimal logging on these 2-core machines
   (0.06 s, 2.5 s, 5.6 s, 56 s, and no finish within 600 s for 160 actors); the ratio is smpc's
   time over negsim's. A 320-actor file in the style of KTAB's dummyData files is generated with
   a fixed seed (rows of the 160-actor file resampled, positions and saliences jittered). The
   start-up share is measured too (the same command with one turn).
2. The NATO-Russia 2022 scenario (33 actors x 7 issues) with ``--model smp``: whole process,
   turns, and the in-process time per turn.
3. Growth: one turn of the kernel from random positions, in process, against the number of
   actors (1 and 7 dimensions) and of dimensions (40 actors); the log-log slope says how the
   time grows (the targeting pass is O(n^3 + n^2 d) per turn).
4. The plain-loop oracle of the tests against the kernel on one small case, checked to agree.

All figures are measured in one run on this machine; smpc's are quoted, not re-measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import negsim  # noqa: E402
from _timing import best_of  # noqa: E402
from negsim.rules import kernels  # noqa: E402
from negsim.rules.base import BargainingState  # noqa: E402
from negsim.rules.smp import RULE  # noqa: E402
from tests import smp_oracle as oracle  # noqa: E402

KTAB = ROOT / "scenarios" / "ktab"
NATO = ROOT / "scenarios" / "nato_russia_2022.yaml"
#: file -> (label, seconds quoted for KTAB's smpc; None: did not finish within 600 s)
SMPC = {"dummyData_3Dim.csv": ("7 x 3", 0.06), "dummyData_6Dim.csv": ("27 x 6", 2.5),
        "dummyData-a040.csv": ("40 x 1", 5.6), "dummyData-a080.csv": ("80 x 1", 56.0),
        "dummyData-a160.csv": ("160 x 1", None)}
SMPC_LIMIT = 600.0
RESULTS = ROOT / "experiments" / "results" / "bench_smp.json"


def make_a320(path: Path, seed: int = 320) -> Path:
    """A 320-actor, one-dimension KTAB file: rows of dummyData-a160 drawn with replacement,
    positions and saliences jittered (sd 2 points, clipped to 0-100, two decimals)."""
    lines = (KTAB / "dummyData-a160.csv").read_text().splitlines()
    rows = [[f.strip() for f in line.split(",")] for line in lines[2:] if line.strip()]
    rng = np.random.default_rng(seed)
    out = ["XYZ,  XYZ Issue,  320,  1,  ", lines[1]]
    for a, r in enumerate(rng.integers(0, len(rows), 320)):
        infl, pos, sal = (float(v) for v in rows[r][2:5])
        pos = float(np.clip(pos + rng.normal(0, 2), 0, 100))
        sal = float(np.clip(sal + rng.normal(0, 2), 1, 100))
        out.append(f"Act-{2001 + a},  Desc-{2001 + a},  {infl:g},  {pos:.2f},  {sal:.2f}")
    path.write_text("\n".join(out) + "\n")
    return path


def whole_process(args: list[str], repeat: int, backend: str = "numpy") -> float:
    """Best wall time of ``python -m negsim ARGS`` over ``repeat`` runs, output discarded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEGSIM_KERNEL": backend}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "negsim", *args], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def rounds_of(args: list[str], backend: str = "numpy") -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEGSIM_KERNEL": backend}
    out = subprocess.run([sys.executable, "-m", "negsim", *args, "--json"], check=True,
                         env=env, capture_output=True, text=True)
    return int(json.loads(out.stdout)["rounds_run"])


def one_turn(pos, sal, cap, active, low, high, backend="numpy"):
    params = RULE.defaults()
    state = BargainingState(pos, sal, cap, active, low, high, 1)
    state.memo = RULE.init(state, params)
    with kernels.use_backend(backend):
        return RULE.step(state, params, np.random.default_rng(0))


def random_case(n: int, d: int, seed: int):
    """n actors, d dimensions on 0-100, saliences totalling at most 1 per actor (as KTAB's)."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, 100, (d, n))
    sal = rng.uniform(0.1, 1, (d, n))
    sal = sal / sal.sum(axis=0) * rng.uniform(0.5, 1.0, n)
    cap = np.broadcast_to(rng.uniform(1, 200, n), (d, n)).copy()
    return pos, sal, cap, np.ones((d, n), bool), np.zeros(d), np.full(d, 100.0)


def slope(xs, ts) -> float:
    return float(np.polyfit(np.log(xs), np.log(ts), 1)[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats and smaller growth runs")
    ap.add_argument("--repeat", type=int, default=3, help="whole-process runs per file (best)")
    ap.add_argument("--json", type=Path, default=RESULTS,
                    help=f"write the figures here (default {RESULTS.relative_to(ROOT)})")
    args = ap.parse_args()
    repeat = 1 if args.quick else args.repeat
    report: dict = {"machine": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "numpy": np.__version__,
                    "negsim": negsim.__version__}

    # 1. KTAB's files, whole process
    backends = ["numpy", "fused"] if kernels.numba_available() else ["numpy"]
    tmp = Path(tempfile.mkdtemp())
    files = {**{name: (KTAB / name, label, smpc) for name, (label, smpc) in SMPC.items()},
             "dummyData-a320.csv": (make_a320(tmp / "dummyData-a320.csv"), "320 x 1", None)}
    if "fused" in backends:
        rounds_of(["run", str(KTAB / "dummyData_3Dim.csv"), "--param", "max_turns=1"], "fused")
    print("KTAB example files, whole process (python -m negsim run FILE --json > /dev/null), "
          f"best of {repeat}:")
    print(f"  {'file':<20} {'actors x dims':>13} {'turns':>5} {'numpy s':>8} {'fused s':>8} "
          f"{'numpy/fused':>11} {'smpc s':>7} {'smpc / fused':>12}")
    rows = []
    for name, (path, label, smpc) in files.items():
        turns = rounds_of(["run", str(path)])
        times = {b: whole_process(["run", str(path), "--json"], repeat, b) for b in backends}
        best = times.get("fused", times["numpy"])
        if "fused" in backends:
            assert rounds_of(["run", str(path)], "fused") == turns, "backends disagree on turns"
        row = {"file": name, "size": label, "turns": turns, "numpy_s": times["numpy"],
               "fused_s": times.get("fused"), "smpc_s": smpc,
               "smpc_over_fused": None if smpc is None else smpc / best}
        rows.append(row)
        smpc_txt = f">{SMPC_LIMIT:.0f}" if smpc is None and name in SMPC else \
            ("-" if smpc is None else f"{smpc:g}")
        ratio_txt = (f">{SMPC_LIMIT / best:.0f}x" if name in SMPC else "-") if smpc is None \
            else f"{smpc / best:.1f}x"
        fused_txt = f"{times['fused']:8.2f}" if "fused" in times else f"{'-':>8}"
        speed = f"{times['numpy'] / times['fused']:10.1f}x" if "fused" in times else f"{'-':>11}"
        print(f"  {name:<20} {label:>13} {turns:>5} {times['numpy']:>8.2f} {fused_txt} "
              f"{speed} {smpc_txt:>7} {ratio_txt:>12}")
    startup = {b: whole_process(["run", str(KTAB / "dummyData_3Dim.csv"), "--json",
                                 "--param", "max_turns=1"], repeat, b) for b in backends}
    print("  start-up share: the 7-actor file with one turn takes "
          + ", ".join(f"{t:.2f} s ({b})" for b, t in startup.items())
          + " (interpreter, imports, reading, one turn, output; fused: numba import and cache "
          "load)")
    report["ktab_files"] = rows
    report["startup_s"] = startup

    # 2. NATO
    turns = rounds_of(["run", str(NATO), "--model", "smp"])
    t_nato = {b: whole_process(["run", str(NATO), "--model", "smp", "--json"], repeat, b)
              for b in backends}
    sc = negsim.load_scenario(NATO)
    a = sc.arrays()
    turn = {b: best_of(lambda b=b: one_turn(a.positions, a.salience, a.capability, a.active,
                                            a.low, a.high, b), 3 if args.quick else 10)
            for b in backends}
    report["nato"] = {"actors": a.positions.shape[1], "issues": a.positions.shape[0],
                      "turns": turns, "whole_process_s": t_nato,
                      **{f"{b}_s_per_turn": v for b, v in turn.items()}}
    print(f"\nNATO-Russia 2022 ({a.positions.shape[1]} actors x {a.positions.shape[0]} issues), "
          f"--model smp: {turns} turns, whole process "
          + ", ".join(f"{v:.2f} s ({b})" for b, v in t_nato.items()) + "; one turn in process "
          + ", ".join(f"{v * 1e3:.1f} ms ({b})" for b, v in turn.items()))

    # 3. growth
    actors = [10, 20, 40, 80, 160] if args.quick else [10, 20, 40, 80, 160, 250, 320]
    print("\nGrowth, one turn in process (ms):")
    print(f"  {'actors':>6} " + " ".join(f"{f'1 dim {b}':>13} {f'7 dims {b}':>13}"
                                         for b in backends))
    growth = []
    for n in actors:
        row = {"actors": n}
        for b in backends:
            row[f"dims_1_{b}_s"] = best_of(lambda: one_turn(*random_case(n, 1, n), b),
                                           5 if n <= 80 else 2)
            row[f"dims_7_{b}_s"] = best_of(lambda: one_turn(*random_case(n, 7, n), b),
                                           5 if n <= 80 else 2)
        growth.append(row)
        print(f"  {n:>6} " + " ".join(f"{row[f'dims_1_{b}_s'] * 1e3:>13.1f} "
                                      f"{row[f'dims_7_{b}_s'] * 1e3:>13.1f}" for b in backends))
    big = [g for g in growth if g["actors"] >= 40]
    exps = {f"exponent_{d}_{b}": slope([g["actors"] for g in big],
                                       [g[f"dims_{d}_{b}_s"] for g in big])
            for b in backends for d in (1, 7)}
    print("  time per turn grows as " + ", ".join(
        f"actors^{v:.2f} ({k.split('_')[1]} dim, {k.split('_')[2]})" for k, v in exps.items())
        + ", n >= 40")
    dims = [1, 2, 4, 8, 16, 32]
    print(f"  {'dims':>6} {'40 actors, numpy':>17}")
    by_dim = []
    for d in dims:
        t = best_of(lambda: one_turn(*random_case(40, d, d)), 5)
        by_dim.append({"dims": d, "s": t})
        print(f"  {d:>6} {t * 1e3:>17.1f}")
    ed = slope(dims[2:], [r["s"] for r in by_dim[2:]])
    print(f"  with 40 actors, time per turn grows as dims^{ed:.2f} (d >= 4)")
    report["growth_actors"] = {"rows": growth, **exps}
    report["growth_dims"] = {"actors": 40, "rows": by_dim, "exponent": ed}

    # 4. oracle
    case = random_case(12, 3, 12)
    out = one_turn(*case)
    pos, sal, cap, act, low, high = case
    ref, _ = next(oracle.run_turns(pos.T.tolist(), sal.T.tolist(), cap.T.tolist(),
                                   act.T.tolist(), list(low), list(high), 1, {}))
    assert np.allclose(out.positions, np.array(ref["positions"]).T, atol=1e-9), "disagree"
    if "fused" in backends:
        assert np.allclose(one_turn(*case, "fused").positions, out.positions, atol=1e-9)
    tk = best_of(lambda: one_turn(*case), 20)
    to = best_of(lambda: next(oracle.run_turns(pos.T.tolist(), sal.T.tolist(), cap.T.tolist(),
                                               act.T.tolist(), list(low), list(high), 1, {})),
                 3)
    report["oracle"] = {"actors": 12, "dims": 3, "kernel_s": tk, "oracle_s": to}
    print(f"\nOne turn, 12 actors x 3 dims: kernel {tk * 1e3:.1f} ms, loop oracle "
          f"{to * 1e3:.0f} ms ({to / tk:.0f}x), results agree to 1e-9")

    if args.json.exists():
        # the figures before the fused kernels existed stay as "previous" across reruns
        old = json.loads(args.json.read_text())
        report["previous"] = old.get("previous", old)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
