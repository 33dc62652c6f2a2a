"""Benchmark: negsim's SMP (KTAB's Spatial Model of Politics) against KTAB's own C++ ``smpc``.

    python experiments/bench_smp.py [--quick] [--repeat N] [--json PATH]

1. KTAB's example files (scenarios/ktab), whole process: ``python -m negsim run FILE --json``
   with its output discarded, wall time from start to exit (interpreter start, imports, reading,
   every turn until SMP's stopping rule, the JSON document), best of ``--repeat`` runs, beside
   the times quoted for ``smpc`` built with -O2 and minimal logging on these 2-core machines
   (0.06 s, 2.5 s, 5.6 s, 56 s, and no finish within 600 s for 160 actors); the ratio is smpc's
   time over negsim's. The start-up share is measured too (the same command with one turn).
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
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import negsim  # noqa: E402
from _timing import best_of  # noqa: E402
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


def whole_process(args: list[str], repeat: int) -> float:
    """Best wall time of ``python -m negsim ARGS`` over ``repeat`` runs, output discarded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "negsim", *args], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def rounds_of(args: list[str]) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "negsim", *args, "--json"], check=True,
                         env=env, capture_output=True, text=True)
    return int(json.loads(out.stdout)["rounds_run"])


def one_turn(pos, sal, cap, active, low, high):
    params = RULE.defaults()
    state = BargainingState(pos, sal, cap, active, low, high, 1)
    state.memo = RULE.init(state, params)
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
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    repeat = 1 if args.quick else args.repeat
    report: dict = {"machine": platform.platform(), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "numpy": np.__version__,
                    "negsim": negsim.__version__}

    # 1. KTAB's files, whole process
    print("KTAB example files, whole process (python -m negsim run FILE --json > /dev/null), "
          f"best of {repeat}:")
    print(f"  {'file':<20} {'actors x dims':>13} {'turns':>5} {'negsim s':>9} {'smpc s':>8} "
          f"{'smpc / negsim':>14}")
    rows = []
    for name, (label, smpc) in SMPC.items():
        path = str(KTAB / name)
        turns = rounds_of(["run", path])
        t = whole_process(["run", path, "--json"], repeat)
        if smpc is None:
            ratio, smpc_txt, ratio_txt = None, f">{SMPC_LIMIT:.0f}", f">{SMPC_LIMIT / t:.0f}x"
        else:
            ratio = smpc / t
            smpc_txt, ratio_txt = f"{smpc:g}", f"{ratio:.1f}x"
        rows.append({"file": name, "size": label, "turns": turns, "negsim_s": t,
                     "smpc_s": smpc, "smpc_over_negsim": ratio})
        print(f"  {name:<20} {label:>13} {turns:>5} {t:>9.2f} {smpc_txt:>8} {ratio_txt:>14}")
    startup = whole_process(["run", str(KTAB / "dummyData_3Dim.csv"), "--json",
                             "--param", "max_turns=1"], repeat)
    print(f"  start-up share: the 7-actor file with one turn takes {startup:.2f} s "
          "(interpreter, imports, reading, one turn, output)")
    report["ktab_files"] = rows
    report["startup_s"] = startup

    # 2. NATO
    turns = rounds_of(["run", str(NATO), "--model", "smp"])
    t_nato = whole_process(["run", str(NATO), "--model", "smp", "--json"], repeat)
    sc = negsim.load_scenario(NATO)
    a = sc.arrays()
    t_turn = best_of(lambda: one_turn(a.positions, a.salience, a.capability, a.active, a.low,
                                      a.high), 3 if args.quick else 10)
    report["nato"] = {"actors": a.positions.shape[1], "issues": a.positions.shape[0],
                      "turns": turns, "whole_process_s": t_nato, "kernel_s_per_turn": t_turn}
    print(f"\nNATO-Russia 2022 ({a.positions.shape[1]} actors x {a.positions.shape[0]} issues), "
          f"--model smp: {turns} turns, whole process {t_nato:.2f} s; one turn in process "
          f"{t_turn * 1e3:.1f} ms")

    # 3. growth
    actors = [10, 20, 40, 80, 160] if args.quick else [10, 20, 40, 80, 160, 250]
    print("\nGrowth, one turn in process (ms):")
    print(f"  {'actors':>6} {'1 dim':>9} {'7 dims':>9}")
    growth = []
    for n in actors:
        t1 = best_of(lambda: one_turn(*random_case(n, 1, n)), 5 if n <= 80 else 2)
        t7 = best_of(lambda: one_turn(*random_case(n, 7, n)), 5 if n <= 80 else 2)
        growth.append({"actors": n, "dims_1_s": t1, "dims_7_s": t7})
        print(f"  {n:>6} {t1 * 1e3:>9.1f} {t7 * 1e3:>9.1f}")
    big = [g for g in growth if g["actors"] >= 40]
    e1 = slope([g["actors"] for g in big], [g["dims_1_s"] for g in big])
    e7 = slope([g["actors"] for g in big], [g["dims_7_s"] for g in big])
    print(f"  time per turn grows as actors^{e1:.2f} (1 dim) and actors^{e7:.2f} (7 dims), "
          "n >= 40")
    dims = [1, 2, 4, 8, 16, 32]
    print(f"  {'dims':>6} {'40 actors':>10}")
    by_dim = []
    for d in dims:
        t = best_of(lambda: one_turn(*random_case(40, d, d)), 5)
        by_dim.append({"dims": d, "s": t})
        print(f"  {d:>6} {t * 1e3:>10.1f}")
    ed = slope(dims[2:], [r["s"] for r in by_dim[2:]])
    print(f"  with 40 actors, time per turn grows as dims^{ed:.2f} (d >= 4)")
    report["growth_actors"] = {"rows": growth, "exponent_1_dim": e1, "exponent_7_dims": e7}
    report["growth_dims"] = {"actors": 40, "rows": by_dim, "exponent": ed}

    # 4. oracle
    case = random_case(12, 3, 12)
    out = one_turn(*case)
    pos, sal, cap, act, low, high = case
    ref, _ = next(oracle.run_turns(pos.T.tolist(), sal.T.tolist(), cap.T.tolist(),
                                   act.T.tolist(), list(low), list(high), 1, {}))
    assert np.allclose(out.positions, np.array(ref["positions"]).T, atol=1e-9), "disagree"
    tk = best_of(lambda: one_turn(*case), 20)
    to = best_of(lambda: next(oracle.run_turns(pos.T.tolist(), sal.T.tolist(), cap.T.tolist(),
                                               act.T.tolist(), list(low), list(high), 1, {})),
                 3)
    report["oracle"] = {"actors": 12, "dims": 3, "kernel_s": tk, "oracle_s": to}
    print(f"\nOne turn, 12 actors x 3 dims: kernel {tk * 1e3:.1f} ms, loop oracle "
          f"{to * 1e3:.0f} ms ({to / tk:.0f}x), results agree to 1e-9")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
