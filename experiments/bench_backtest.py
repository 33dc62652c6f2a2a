"""Benchmark: the whole DEU back-test of the expected-utility rule, negsim against a plain loop.

    python experiments/bench_backtest.py [--workers N] [--json PATH]

Both sides forecast every scorable DEU issue (351 in the shipped copy; GDP capabilities) with the
expected-utility rule, 10 rounds, stop never, and take the capability x salience weighted median
of the final positions as the forecast:

- negsim: ``negsim.backtest.backtest_deu(models=["eum"])`` end to end (reading the file, building
  the scenarios, running them through the Mesa model with the vectorised kernel, scoring; no
  bootstrap), once with one worker and once with all cores (``--workers``);
- oracle: the plain-loop implementation of the tests (``tests/eum_oracle.py``), issue by issue,
  10 rounds via ``run_rounds``, in this process.

Both are timed in the same run on this machine; the forecasts are checked to agree, and the
report gives the times and the ratio (target: negsim under a tenth of the oracle's time).
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
from negsim.backtest import backtest_deu  # noqa: E402
from negsim.deu import Capabilities, read_deu  # noqa: E402
from negsim.parallel import default_workers  # noqa: E402
from tests import eum_oracle as oracle  # noqa: E402

ROUNDS = 10


def negsim_backtest(workers: int):
    t0 = time.perf_counter()
    result = backtest_deu(models=["eum"], rounds=ROUNDS, stop="never", workers=workers,
                          resamples=0)
    return time.perf_counter() - t0, result


def oracle_backtest():
    """Issue by issue with the loop oracle; returns (seconds, {issue: forecast}, fragile ids)."""
    data = read_deu()
    caps_opt = Capabilities("gdp")
    forecasts, fragile = {}, []
    t0 = time.perf_counter()
    for issue in data.scorable():
        caps = data.capabilities(issue, caps_opt)
        actors = list(issue.stances)
        x = [issue.stances[a][0] for a in actors]
        s = [issue.stances[a][1] / 100.0 for a in actors]
        c = [caps[a] for a in actors]
        history = oracle.run_rounds(x, c, s, [True] * len(x), ROUNDS, {})
        final = history[-1][0]
        forecasts[issue.id] = oracle.weighted_median(final, [ci * si for ci, si in zip(c, s)],
                                                     [True] * len(x))
        if any(h[-1] for h in history):
            fragile.append(issue.id)
    return time.perf_counter() - t0, forecasts, fragile


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=default_workers(),
                    help="processes for the parallel negsim run (default: all cores)")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()

    print(f"DEU back-test of the expected-utility rule ({ROUNDS} rounds, stop never), "
          f"{platform.node() or 'this machine'}, {default_workers()} cores available")
    t1, r1 = negsim_backtest(1)
    n = r1.manifest["counts"]["scored"]
    print(f"  negsim, 1 worker:          {t1:8.2f} s  ({n} issues, MAE {r1.mae('eum'):.2f})")
    tw, rw = negsim_backtest(args.workers)
    print(f"  negsim, {args.workers} workers:         {tw:8.2f} s")
    same = rw.issues.equals(r1.issues)
    print(f"  identical results with 1 and {args.workers} workers: {same}")
    to, forecasts, fragile = oracle_backtest()
    print(f"  plain-loop oracle (serial): {to:8.2f} s")

    got = dict(zip(r1.issues["issue"], r1.issues["forecast"].astype(float)))
    diff = {iid: abs(got[iid] - f) for iid, f in forecasts.items()}
    agree = sum(d <= 1e-9 for d in diff.values())
    off = sorted((iid for iid, d in diff.items() if d > 1e-9), key=lambda i: -diff[i])
    print(f"  forecasts agree (1e-9) on {agree} of {len(diff)} issues"
          + (f"; differ on {', '.join(off[:5])} (near-tie decisions flagged by the oracle: "
             f"{len(set(off) & set(fragile))})" if off else ""))
    best = min(t1, tw)
    print(f"  ratio negsim / oracle: 1 worker {t1 / to:.3f} (1/{to / t1:.0f}), "
          f"{args.workers} workers {tw / to:.3f} (1/{to / tw:.0f}); target < 0.1: "
          f"{'met' if best / to < 0.1 else 'MISSED'}")
    if args.json:
        report = {"machine": platform.platform(), "python": platform.python_version(),
                  "numpy": np.__version__, "negsim": negsim.__version__, "issues": n,
                  "rounds": ROUNDS, "negsim_1_worker_s": t1, "workers": args.workers,
                  "negsim_workers_s": tw, "oracle_s": to, "ratio_1_worker": t1 / to,
                  "ratio_workers": tw / to, "identical_across_workers": bool(same),
                  "forecasts_agree": agree, "forecasts_differ": off,
                  "eum_mae": r1.mae("eum")}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
