"""Benchmark: the expected-utility kernels (numpy and fused) against the plain-loop oracle.

    python experiments/bench_eum.py [--quick] [--json PATH]

1. NATO-Russia 2022 (33 actors x 7 issues), one round from the initial state: the numpy kernel,
   the fused compiled kernel (negsim.rules._eum_fused) and the oracle, checked to agree, timed
   back to back in one process; then 100 rounds through the model on each backend.
2. Growth with the number of actors (8 to 256, 7 issues, random positions): seconds per round
   for numpy, fused and (while one round stays within a budget) the oracle, with the fitted
   log-log slope for n >= 32.
3. The win-probability pass alone, compiled both ways: the prefix-sum sweep of the fused
   kernel (O(n^2) after a sort) against a plain O(n^3) loop over voters; justifies the choice.
4. Where a flagship round's time goes: each phase of the fused kernel timed on its own
   (compiled drivers repeat it on the NATO issues), beside the Python around the call.
5. Batched: R = 64 runs of the flagship in one kernel call (their issues stacked, R x m) against
   64 calls, per run-round.
6. First use: a fresh process that must compile (empty numba cache) and one that loads the
   cache, timed from the first round's start to its end (numba's import included).

The previous results file's figures are kept under ``previous``. All ratios are measured in
one run of one process on this machine; absolute figures vary with the machine's load.
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
from negsim.rules.eum import RULE  # noqa: E402
from tests import eum_oracle as oracle  # noqa: E402

NATO = ROOT / "scenarios" / "nato_russia_2022.yaml"
RESULTS = ROOT / "experiments" / "results" / "bench_eum.json"


def kernel_round(x, s, c, active, low, high, backend):
    params = RULE.defaults()
    state = BargainingState(x, s, c, active, low, high, 1)
    state.memo = RULE.init(state, params)
    with kernels.use_backend(backend):
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


def slope(ns, ts) -> float:
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0]) if len(ns) > 1 else float("nan")


# ------------------------------------------------------------------------------------------
# 1. flagship


def flagship(args) -> dict:
    a = negsim.load_scenario(NATO).arrays()
    case = (a.positions, a.salience, a.capability, a.active, a.low, a.high)
    t0 = time.perf_counter()
    fused = kernel_round(*case, "fused")
    first = time.perf_counter() - t0
    numpy_out = kernel_round(*case, "numpy")
    ref = oracle_round(a.positions, a.salience, a.capability, a.active)
    for k, r in enumerate(ref):
        assert np.allclose(numpy_out.positions[k], r[0], atol=1e-9), "numpy and oracle disagree"
        assert np.allclose(fused.positions[k], r[0], atol=1e-9), "fused and oracle disagree"
    assert (fused.kind == numpy_out.kind).all() and (fused.partner == numpy_out.partner).all()
    reps = 10 if args.quick else 1
    t_numpy = best_of(lambda: kernel_round(*case, "numpy"), 50 // reps)
    t_fused = best_of(lambda: kernel_round(*case, "fused"), 500 // reps)
    t_oracle = best_of(lambda: oracle_round(a.positions, a.salience, a.capability, a.active),
                       1 if args.quick else 3, budget=60)
    out = {"actors": a.positions.shape[1], "issues": a.positions.shape[0],
           "numpy_s_per_round": t_numpy, "fused_s_per_round": t_fused,
           "oracle_s_per_round": t_oracle, "fused_over_numpy": t_numpy / t_fused,
           "fused_first_call_in_process_s": first}
    print(f"NATO-Russia 2022 ({out['actors']} actors x {out['issues']} issues), one round:")
    print(f"  numpy kernel  {t_numpy * 1e3:9.3f} ms")
    print(f"  fused kernel  {t_fused * 1e3:9.3f} ms   ({t_numpy / t_fused:.1f}x numpy; first call "
          f"in this process {first:.2f} s)")
    print(f"  loop oracle   {t_oracle * 1e3:9.1f} ms   ({t_oracle / t_fused:.0f}x fused)")
    sc = negsim.load_scenario(NATO)
    for backend in kernels.BACKENDS:
        with kernels.use_backend(backend):
            negsim.run(sc, rounds=3)
            t0 = time.perf_counter()
            negsim.run(sc, rounds=100, stop="never")
            t_run = time.perf_counter() - t0
        out[f"model_100_rounds_{backend}_s"] = t_run
        print(f"  100 rounds through NegotiationModel, {backend:>5}: {t_run:.3f} s "
              "(records, convergence and repeated-state reuse included)")
    return out


# ------------------------------------------------------------------------------------------
# 2. growth


def growth(args) -> dict:
    sizes = [8, 16, 33, 64, 128] if args.quick else [8, 16, 33, 64, 128, 256]
    m = 7
    rows = []
    print(f"\nGrowth with the number of actors ({m} issues, one round):")
    print(f"  {'actors':>6} {'numpy ms':>10} {'fused ms':>10} {'oracle ms':>11} "
          f"{'numpy/fused':>12}")
    last = None
    for n in sizes:
        case = random_case(n, m, seed=n)
        reps = 20 if n <= 64 else 5
        tn = best_of(lambda: kernel_round(*case, "numpy"), reps)
        tf = best_of(lambda: kernel_round(*case, "fused"), reps * 10)
        to = None
        if last is None or last[1] * (n / last[0]) ** 3 < args.oracle_budget:
            to = best_of(lambda: oracle_round(*case[:4]), 1, budget=1)
            last = (n, to)
        rows.append({"actors": n, "numpy_s": tn, "fused_s": tf, "oracle_s": to})
        print(f"  {n:>6} {tn * 1e3:>10.3f} {tf * 1e3:>10.3f} "
              + (f"{to * 1e3:>11.1f}" if to is not None else f"{'skipped':>11}")
              + f" {tn / tf:>11.1f}x")
    big = [r for r in rows if r["actors"] >= 32]
    ns = [r["actors"] for r in big]
    e_numpy = slope(ns, [r["numpy_s"] for r in big])
    e_fused = slope(ns, [r["fused_s"] for r in big])
    orc = [r for r in rows if r["oracle_s"] is not None and r["actors"] >= 16]
    e_oracle = slope([r["actors"] for r in orc], [r["oracle_s"] for r in orc])
    print(f"  time grows as actors^{e_numpy:.2f} (numpy), actors^{e_fused:.2f} (fused), n >= 32; "
          f"actors^{e_oracle:.2f} (oracle, n >= 16)")
    return {"issues": m, "rows": rows, "numpy_exponent": e_numpy, "fused_exponent": e_fused,
            "oracle_exponent": e_oracle}


# ------------------------------------------------------------------------------------------
# 3. prefix sweep against a compiled O(n^3) loop, 4. phases, compiled drivers


def _drivers():
    from numba import njit

    from negsim.rules import _eum_fused as F

    @njit(error_model="numpy")
    def direct(reps, xs, ws, rs, R, PS):
        """The plain O(n^3) numerators: for every pair, every voter (rows pre-multiplied)."""
        n = xs.shape[0]
        WD = np.empty((n, n))                      # [actor a, voter k] = w_k D_ka
        for a in range(n):
            for k in range(n):
                WD[a, k] = ws[k] * F.vexp(rs[k] * F.vlog(abs(xs[k] - xs[a]) / R))
        for _ in range(reps):
            for i in range(n):
                for j in range(i + 1, n):
                    p_ij = 0.0
                    p_ji = 0.0
                    for k in range(n):
                        d = WD[j, k] - WD[i, k]
                        p_ij += max(d, 0.0)
                        p_ji += max(-d, 0.0)
                    PS[i, j] = p_ij
                    PS[j, i] = p_ji

    @njit(error_model="numpy")
    def sweep(reps, xs, ws, rs, R, LD, PFT, PS, PST, row):
        n = xs.shape[0]
        F._log_distances(n, xs, R, LD, np.empty(n * n))
        for _ in range(reps):
            F._prefix_sums(n, xs, ws, rs, R, 0, True, LD, PFT, row)
            F._sweep(n, xs, 0, PFT, PS, PST)

    return F, direct, sweep, _phase_runner(F)


def probability_pass(args, direct, sweep) -> dict:
    sizes = [8, 16, 33, 64, 128] if args.quick else [8, 16, 33, 64, 128, 256]
    rows = []
    print("\nThe pass-2 win probabilities of one issue, compiled (us):")
    print(f"  {'actors':>6} {'prefix sweep':>13} {'O(n^3) loop':>12} {'loop/sweep':>11}")
    for n in sizes:
        rng = np.random.default_rng(n)
        xs = np.sort(rng.uniform(0, 100, n))
        ws, rs = rng.uniform(0, 3, n), rng.uniform(0.5, 2, n)
        mats = np.zeros((5, n + 1, n))
        reps = max(1, 20000 // (n * n))
        direct(1, xs, ws, rs, 100.0, mats[0])
        sweep(1, xs, ws, rs, 100.0, mats[1], mats[2], mats[3], mats[4], np.zeros(n))
        t_direct = best_of(lambda: direct(reps, xs, ws, rs, 100.0, mats[0]), 5) / reps
        t_sweep = best_of(lambda: sweep(reps, xs, ws, rs, 100.0, mats[1], mats[2], mats[3],
                                        mats[4], np.zeros(n)), 5) / reps
        assert np.allclose(mats[0][:n, :n], mats[3][:n, :n], rtol=1e-12, atol=1e-12)
        rows.append({"actors": n, "sweep_s": t_sweep, "direct_s": t_direct})
        print(f"  {n:>6} {t_sweep * 1e6:>13.2f} {t_direct * 1e6:>12.2f} "
              f"{t_direct / t_sweep:>10.1f}x")
    return {"rows": rows}


PHASES = ("sort and weights", "pass 1: prefix sums", "sweep (one pass)", "security and risk",
          "log distances", "pass 2: prefix sums with powers", "log U_s/U_f bases",
          "receiver rows (E_ij, E_ji, classes)", "choices (actor order)")


def phase_profile(args, F, phase) -> dict:
    a = negsim.load_scenario(NATO).arrays()
    X, S, C = a.positions.copy(), a.salience.copy(), a.capability.copy()
    m, n = X.shape
    state = BargainingState(X, S, C, a.active, a.low, a.high, 1)
    params = RULE.defaults()
    state.memo = RULE.init(state, params)
    from negsim.rules.eum import _issue_range

    R = _issue_range(state, params)
    mats, vec, ints = F._workspace(n)
    out = np.zeros(1)
    reps = 50 if args.quick else 300
    phase(0, 1, X, S, C, R, mats, vec, ints, out)
    single = [best_of(lambda p=p: phase(p, reps, X, S, C, R, mats, vec, ints, out), 3) / reps
              for p in range(len(PHASES))]
    t_raw = best_of(lambda: F.round_arrays(X, S, C, a.active, R, np.zeros(m), 1.0, "scholz",
                                           "weighted_position", True, "two_pass"), 300)
    with kernels.use_backend("fused"):
        t_step = best_of(lambda: RULE.step(state, params, None), 300)
    total = sum(single)
    print("\nWhere a fused flagship round goes (7 issues, us per round):")
    for name, t in zip(PHASES, single):
        print(f"  {name:<38} {t * 1e6:8.1f}")
    print(f"  {'sum of phases':<38} {total * 1e6:8.1f}")
    print(f"  {'kernel call (round_arrays)':<38} {t_raw * 1e6:8.1f}")
    print(f"  {'eum.step (+ range, RoundOutcome)':<38} {t_step * 1e6:8.1f}")
    return {"phases_s": dict(zip(PHASES, single)), "round_arrays_s": t_raw, "step_s": t_step}


def batched(args, F) -> dict:
    a = negsim.load_scenario(NATO).arrays()
    m, n = a.positions.shape
    runs = 64
    rng = np.random.default_rng(0)
    # 64 perturbed copies of the flagship (as a sweep makes them)
    X = np.clip(a.positions[None] + rng.normal(0, 2, (runs, m, n)), 0, 100)
    S = np.clip(a.salience[None] + rng.normal(0, 0.05, (runs, m, n)), 0, 1)
    C = np.broadcast_to(a.capability, (runs, m, n)).copy()
    act = np.broadcast_to(a.active, (runs, m, n)).copy()
    spread = X.max(axis=2) - X.min(axis=2)
    R = np.where(spread > 0, spread, 1.0)
    mu = np.zeros((runs, m))
    args_of = lambda r: (X[r], S[r], C[r], act[r], R[r], mu[r], 1.0, "scholz",  # noqa: E731
                         "weighted_position", True, "two_pass")
    stacked = (X.reshape(-1, n), S.reshape(-1, n), C.reshape(-1, n), act.reshape(-1, n),
               R.reshape(-1), mu.reshape(-1), 1.0, "scholz", "weighted_position", True,
               "two_pass")
    one = F.round_arrays(*stacked)
    for r in (0, runs - 1):
        np.testing.assert_allclose(one["positions"].reshape(runs, m, n)[r],
                                   F.round_arrays(*args_of(r))["positions"], atol=1e-12)
    t_single = best_of(lambda: [F.round_arrays(*args_of(r)) for r in range(runs)], 20) / runs
    t_batch = best_of(lambda: F.round_arrays(*stacked), 20) / runs
    print(f"\nBatched: {runs} runs of the flagship, one round each, per run-round:")
    print(f"  one kernel call per run   {t_single * 1e6:8.1f} us")
    print(f"  all runs in one call      {t_batch * 1e6:8.1f} us   ({t_single / t_batch:.2f}x; "
          "kept only if > 1.5x)")
    return {"runs": runs, "single_s_per_run_round": t_single,
            "batched_s_per_run_round": t_batch, "speedup": t_single / t_batch}


def first_use() -> dict:
    """Fresh processes: compile into an empty cache, then load it."""
    code = ("import time, numpy as np, negsim\n"
            "from negsim.rules.base import BargainingState\nfrom negsim.rules.eum import RULE\n"
            "from negsim.rules import kernels\nkernels.set_backend('fused')\n"
            f"a = negsim.load_scenario({str(NATO)!r}).arrays()\n"
            "p = RULE.defaults()\n"
            "st = BargainingState(a.positions, a.salience, a.capability, a.active, a.low, "
            "a.high, 1)\nst.memo = RULE.init(st, p)\n"
            "t0 = time.perf_counter(); RULE.step(st, p, None); t1 = time.perf_counter()\n"
            "RULE.step(st, p, None); t2 = time.perf_counter()\n"
            "print(t1 - t0, t2 - t1)\n")
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": cache}
        for label in ("compile", "cache_load"):
            done = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                  capture_output=True, text=True)
            first, second = map(float, done.stdout.split())
            out[f"{label}_first_round_s"] = first
            out[f"{label}_second_round_s"] = second
    print("\nFirst use in a fresh process (numba import + compile or cache load + one round):")
    print(f"  empty cache (compiles)     {out['compile_first_round_s']:7.2f} s")
    print(f"  warm cache (loads it)      {out['cache_load_first_round_s']:7.2f} s")
    print(f"  the next round             {out['cache_load_second_round_s'] * 1e3:7.2f} ms")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    ap.add_argument("--json", type=Path, default=RESULTS,
                    help=f"write the figures here (default {RESULTS.relative_to(ROOT)})")
    ap.add_argument("--oracle-budget", type=float, default=20.0,
                    help="skip the oracle at sizes where one round would exceed this (s)")
    args = ap.parse_args()
    if not kernels.numba_available():
        sys.exit("bench_eum needs numba for the fused kernel (pip install numba)")
    import numba

    report: dict = {"machine": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__, "numba": numba.__version__,
                    "negsim": negsim.__version__}
    report["nato"] = flagship(args)
    report["growth"] = growth(args)
    F, direct, sweep, phase = _drivers()
    report["probability_pass"] = probability_pass(args, direct, sweep)
    report["flagship_phases"] = phase_profile(args, F, phase)
    report["batched"] = batched(args, F)
    report["first_use"] = first_use()
    if args.json.exists():
        # the figures before the fused kernel existed stay as "previous" across reruns
        old = json.loads(args.json.read_text())
        report["previous"] = old.get("previous", old)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.json}")


def _phase_runner(F):
    """A compiled driver running phase ``p`` of the fused kernel on every issue ``reps`` times
    (the phases of :func:`negsim.rules._eum_fused._issue`, on all-active issues)."""
    from numba import njit

    @njit(error_model="numpy")
    def run(p, reps, X, S, C, R, mats, vec, ints, out):
        PFT, PS, PST, LD, LN, LF = mats[0], mats[1], mats[2], mats[3], mats[4], mats[5]
        xs, ws, ss, rs, tm, sec, e_own, e_other, row, key, dest, cls = (
            vec[0], vec[1], vec[2], vec[3], vec[4], vec[5], vec[6], vec[7], vec[8], vec[9],
            vec[10], vec[11])
        order, rank = ints[0], ints[1]
        m, n = X.shape
        act = np.ones(n, dtype=np.bool_)
        for _ in range(reps):
            for k in range(m):
                if p == 0:
                    F._sort_active(X[k], act, order, rank, xs)
                    for t in range(n):
                        ws[t] = C[k, order[t]] * S[k, order[t]]
                        ss[t] = S[k, order[t]]
                        rs[t] = 1.0 + 0.5 * (t % 2)
                elif p == 1:
                    F._prefix_sums(n, xs, ws, rs, R[k], 0, False, LD, PFT, row)
                elif p == 2:
                    F._sweep(n, xs, 0, PFT, PS, PST)
                elif p == 3:
                    F._security(n, xs, ss, tm, R[k], 1.0, 0.01, PST, sec)
                    F._risk(n, sec, tm)
                elif p == 4:
                    F._log_distances(n, xs, R[k], LD, mats[6].ravel())
                elif p == 5:
                    F._prefix_sums(n, xs, ws, rs, R[k], 0, True, LD, PFT, row)
                elif p == 6:
                    F._log_bases(n, xs, R[k], LN, LF, mats[6].ravel(), mats[7].ravel())
                elif p == 7:
                    for ti in range(n):
                        F._receiver_row(ti, n, xs, ss, tm, R[k], 1.0, rs[ti], 0.01, False,
                                        True, LN, LF, PS, PST, e_own, e_other, cls, key, dest)
                else:
                    for i in range(n):
                        F._choose(i, act, rank, cls, key)
        out[0] = xs[0]

    return run


if __name__ == "__main__":
    main()
