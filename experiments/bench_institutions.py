"""Benchmark: the institutions on the flagship (issue 9's targets), in one run.

    python experiments/bench_institutions.py [--json PATH]

1. The static agreement analysis of the flagship (``negsim agree``, in-process: zones, blockers
   and the package check of all seven issues): median time over repeats (target < 10 ms).
2. Two-level runs against flat runs of the same rule on the same scenario
   (``model.institutions`` on vs off), per rule:
   - per round, every round computed (no reuse of repeated states in either), 30 rounds with
     stop never: the ratio is the cost of the caucus + plenary + agreement per round
     (target: at most 3x);
   - whole runs at the scenario's own settings (stop auto), as users run them.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "experiments"))

RULES = ("eum", "smp", "compromise", "exchange")


def median_time(fn, repeats: int, budget: float = 1.0) -> float:
    """Median wall time of ``fn`` over at least ``repeats`` calls and about ``budget`` s."""
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats or time.perf_counter() - start < budget:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def paired_times(a, b, budget: float = 2.0) -> tuple[float, float]:
    """Median times of ``a`` and ``b`` called alternately (so that drift in the machine's speed
    falls on both alike), over about ``budget`` s together."""
    a(), b()
    ta: list[float] = []
    tb: list[float] = []
    start = time.perf_counter()
    while len(ta) < 3 or time.perf_counter() - start < budget:
        for fn, out in ((a, ta), (b, tb)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(ROOT / "experiments" / "results" /
                                          "bench_institutions.json"))
    args = ap.parse_args()

    import negsim
    from negsim.commands.agree import analyse_scenario
    from negsim.engine import Negotiation

    flagship = negsim.load_scenario(ROOT / "scenarios" / "nato_russia_2022.yaml")
    report: dict = {"machine": platform.platform(), "python": platform.python_version()}
    t_agree = median_time(lambda: analyse_scenario(flagship), 50)
    report["agree_ms"] = t_agree * 1e3
    print(f"agreement analysis of the flagship: {t_agree * 1e3:.2f} ms (target < 10 ms)")

    flat = flagship.replace({"model.institutions": "off"})

    def run(sc, rule, reuse, **kw):
        m = Negotiation(case=sc, rule=rule, **kw)
        m._reuse = reuse
        while m.running:
            m.step()
        return m

    report["rules"] = {}
    for rule in RULES:
        one_shot = negsim.get_rule(rule).one_shot
        kw = {} if one_shot else {"max_rounds": 30, "stop": "never"}
        t_flat, t_two = paired_times(lambda: run(flat, rule, False, **kw),
                                     lambda: run(flagship, rule, False, **kw))
        rounds = 1 if one_shot else 30
        w_flat, w_two = paired_times(lambda: negsim.run(flat, rule=rule),
                                     lambda: negsim.run(flagship, rule=rule))
        r_flat, r_two = negsim.run(flat, rule=rule), negsim.run(flagship, rule=rule)
        report["rules"][rule] = {
            "per_round_flat_ms": t_flat / rounds * 1e3, "per_round_two_level_ms":
            t_two / rounds * 1e3, "ratio_per_round": t_two / t_flat,
            "whole_run_flat_s": w_flat, "whole_run_two_level_s": w_two,
            "rounds_flat": r_flat.rounds_run, "rounds_two_level": r_two.rounds_run,
            "ratio_whole_run": w_two / w_flat}
        print(f"{rule:>10}: per round {t_flat / rounds * 1e3:7.2f} ms flat, "
              f"{t_two / rounds * 1e3:7.2f} ms two-level ({t_two / t_flat:4.2f}x); whole run "
              f"{w_flat:6.3f} s ({r_flat.rounds_run} rounds) vs {w_two:6.3f} s "
              f"({r_two.rounds_run} rounds): {w_two / w_flat:4.2f}x")
    worst = max(v["ratio_per_round"] for v in report["rules"].values())
    report["worst_ratio_per_round"] = worst
    print(f"worst per-round ratio: {worst:.2f}x (target <= 3x)")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
