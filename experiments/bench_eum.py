"""Benchmark: the vectorised expected-utility kernel against the plain-loop oracle of the tests.

    python experiments/bench_eum.py [--quick] [--json PATH]

1. NATO-Russia 2022 scenario (33 actors x 7 issues): one bargaining round from the initial state,
   kernel (all issues at once) vs oracle (issue by issue), both checked to agree, timed in the
   same process; reports the speed ratio (target: at least 50x).
2. Growth with the number of actors (8 to 256, 7 issues, random positions): seconds per round for
   the kernel, and for the oracle up to the size where one round exceeds a time budget; the
   fitted log-log slope says how time grows (the kernel is O(m n^2 log n); the oracle O(m n^3)).

All figures are measured in one run on this machine and reported as ratios and growth rates,
not as absolute targets.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import negsim  # noqa: E402
from _timing import best_of  # noqa: E402
from negsim.rules.base import BargainingState  # noqa: E402
from negsim.rules.eum import RULE  # noqa: E402
from tests import eum_oracle as oracle  # noqa: E402


def kernel_round(x, s, c, active, low, high):
    params = RULE.defaults()
    state = BargainingState(x, s, c, active, low, high, 1)
    state.memo = RULE.init(state, params)
    return RULE.step(state, params, np.random.default_rng(0))


def oracle_round(x, s, c, active):
    outs = []
    for k in range(x.shape[0]):
        R = oracle.initial_range(list(x[k]), list(active[k]))
        outs.append(oracle.one_round(list(x[k]), list(c[k]), list(s[k]), list(active[k]), R, {}))
    return outs


def random_case(n: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (m, n))
    s = rng.uniform(0.1, 1, (m, n))
    c = np.broadcast_to(rng.uniform(0.1, 10, n), (m, n)).copy()
    active = np.ones((m, n), dtype=bool)
    return x, s, c, active, np.zeros(m), np.full(m, 100.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--oracle-budget", type=float, default=20.0,
                    help="skip the oracle at sizes where one round would exceed this (s)")
    args = ap.parse_args()

    report: dict = {"machine": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__, "negsim": negsim.__version__}

    # 1. NATO scenario
    sc = negsim.load_scenario(ROOT / "scenarios" / "nato_russia_2022.yaml")
    a = sc.arrays()
    out = kernel_round(a.positions, a.salience, a.capability, a.active, a.low, a.high)
    ref = oracle_round(a.positions, a.salience, a.capability, a.active)
    for k, r in enumerate(ref):
        assert np.allclose(out.positions[k], r[0], atol=1e-9), "kernel and oracle disagree"
    t_kernel = best_of(lambda: kernel_round(a.positions, a.salience, a.capability, a.active,
                                            a.low, a.high), 50 if not args.quick else 10)
    t_oracle = best_of(lambda: oracle_round(a.positions, a.salience, a.capability, a.active),
                       3 if not args.quick else 1, budget=60)
    ratio = t_oracle / t_kernel
    report["nato"] = {"actors": a.positions.shape[1], "issues": a.positions.shape[0],
                      "kernel_s_per_round": t_kernel, "oracle_s_per_round": t_oracle,
                      "speedup": ratio}
    print(f"NATO-Russia 2022 ({a.positions.shape[1]} actors x {a.positions.shape[0]} issues), "
          "one round:")
    print(f"  vectorised kernel {t_kernel * 1e3:9.3f} ms")
    print(f"  loop oracle       {t_oracle * 1e3:9.1f} ms")
    print(f"  speed-up          {ratio:9.0f}x  (target >= 50x: {'met' if ratio >= 50 else 'MISSED'})")

    # whole run: 100 rounds through the Mesa model (stop never)
    negsim.run(sc, rounds=3)
    t0 = time.perf_counter()
    negsim.run(sc, rounds=100, stop="never")
    t_run = time.perf_counter() - t0
    report["nato"]["model_100_rounds_s"] = t_run
    print(f"  100 rounds through NegotiationModel: {t_run:.3f} s "
          f"({t_run / 100 * 1e3:.2f} ms per round, records and convergence included)")

    # 2. growth with actors
    sizes = [8, 16, 32, 64] if args.quick else [8, 16, 32, 64, 128, 256]
    m = 7
    rows = []
    print(f"\nGrowth with the number of actors ({m} issues, one round):")
    print(f"  {'actors':>6} {'kernel ms':>10} {'oracle ms':>11} {'speed-up':>9}")
    last_oracle = None
    for n in sizes:
        case = random_case(n, m, seed=n)
        tk = best_of(lambda: kernel_round(*case), 20 if n <= 64 else 5)
        to = None
        if last_oracle is None or last_oracle[1] * (n / last_oracle[0]) ** 3 < args.oracle_budget:
            to = best_of(lambda: oracle_round(case[0], case[1], case[2], case[3]), 1, budget=1)
            last_oracle = (n, to)
        rows.append({"actors": n, "kernel_s": tk, "oracle_s": to})
        print(f"  {n:>6} {tk * 1e3:>10.3f} "
              + (f"{to * 1e3:>11.1f} {to / tk:>8.0f}x" if to is not None else
                 f"{'skipped':>11} {'':>9}"))
    ns = np.array([r["actors"] for r in rows if r["actors"] >= 32], dtype=float)
    tk = np.array([r["kernel_s"] for r in rows if r["actors"] >= 32])
    slope_k = float(np.polyfit(np.log(ns), np.log(tk), 1)[0]) if len(ns) > 1 else float("nan")
    orc = [(r["actors"], r["oracle_s"]) for r in rows if r["oracle_s"] is not None
           and r["actors"] >= 16]
    slope_o = float(np.polyfit(np.log([o[0] for o in orc]), np.log([o[1] for o in orc]), 1)[0]) \
        if len(orc) > 1 else float("nan")
    print(f"  time grows as actors^{slope_k:.2f} for the kernel (n >= 32) and "
          f"actors^{slope_o:.2f} for the oracle")
    report["growth"] = {"issues": m, "rows": rows, "kernel_exponent": slope_k,
                        "oracle_exponent": slope_o}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
