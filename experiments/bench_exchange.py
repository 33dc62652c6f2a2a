"""Benchmark: negsim's exchange model against the public implementation (decide-exchange-model
2025.3.1) on the same inputs, in one run.

    python experiments/bench_exchange.py [--quick] [--json PATH]

decide runs in its own virtual environment, ``experiments/.decide-venv`` (made from Python 3.13
and ``pip install decide-exchange-model==2025.3.1`` if missing; never negsim's). For 10, 30 and
100 actors x 6 issues, seeded random cases are written in decide's input format; negsim reads
the same file (negsim/readers/decide.py). Both play the same number of rounds; this script
times negsim in-process and decide in a worker process (this file run by decide's interpreter
with ``--decide-worker``; the clock starts after decide is imported and the file read), and
reports the speed ratio measured back to back on the same machine, for both of negsim's
realisation loops (numpy, and the compiled one that ``auto`` picks from 24 actors).

Agreement: the per-round voting and preference outcomes and the number of realised exchanges
are compared. decide computes in 28-digit ``Decimal``; where an earlier capped exchange has put
an outcome exactly on a demander's position, the sign of the 28th digit decides whether decide
lets the next exchange toward that demander through (no cap) or caps it to nothing. negsim takes
the exact-arithmetic reading (no cap). The worker therefore also runs decide once with that
single comparison read exactly (``|x - O| < 1e-15`` treated as equal; nothing else changed), and
the report gives agreement with stock decide and with that run.
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

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "experiments" / ".decide-venv"
BASE_PYTHON = "/root/.pyenv/versions/3.13.0/bin/python3"
DECIDE = "decide-exchange-model==2025.3.1"


# ------------------------------------------------------------------------------------------
# the worker: runs under decide's interpreter, imports nothing of negsim

def _decide_worker(path: str, rounds: int, exact: bool) -> dict:
    import random

    from decide.data.modelfactory import ModelFactory
    from decide.data.reader import InputDataFile
    from decide.model import base, equalgain
    from decide.model.observers.observer import Observable, Observer
    from decide.model.utils import ModelLoop

    if exact:
        stock = base.AbstractExchangeActor.check_nbs

        def check_nbs(self):
            n0 = self.adjust_nbs(self.supply.position)
            if abs(self.opposite_actor.demand.position - n0) < 1e-15:
                self.nbs_0, self.nbs_1 = n0, self.adjust_nbs(self.y)
                return
            stock(self)

        base.AbstractExchangeActor.check_nbs = check_nbs

    class Recorder(Observer):
        def __init__(self, obs):
            super().__init__(obs)
            self.rounds: list[dict] = []

        def after_loop(self, realized, iteration, repetition):
            m = self.model_ref
            self.cur = {"pref": {i.name: float(v) for i, v in m.nbs.items()},
                        "n": len(realized)}

        def end_loop(self, iteration, repetition):
            m = self.model_ref
            self.cur["vote"] = {i.name: float(v) for i, v in m.nbs.items()}
            self.rounds.append(self.cur)

    random.seed(0)
    data = InputDataFile.open(Path(path))
    model = ModelFactory(data)(model_klass=equalgain.EqualGainModel, randomized_value=None)
    obs = Observable(model, Path(tempfile.gettempdir()))
    rec = Recorder(obs)
    loop = ModelLoop(model, obs, 0)
    t0 = time.perf_counter()
    for _ in range(rounds):
        loop.loop()
    seconds = time.perf_counter() - t0
    lows = {i.name: float(i.lower) for i in model.issues}
    steps = {i.name: float(i.step_size) for i in model.issues}
    # decide reports outcomes on 0..100; map back to each issue's own scale
    for r in rec.rounds:
        for key in ("pref", "vote"):
            r[key] = {k: lows[k] + v / steps[k] for k, v in r[key].items()}
    return {"seconds": seconds, "rounds": rec.rounds, "ties": model.tie_count}


# ------------------------------------------------------------------------------------------
# the benchmark: runs under negsim's interpreter

def ensure_venv() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([BASE_PYTHON, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(py), "-c", "import decide"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "-q", DECIDE], check=True)
    return py


def random_case(n: int, m: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 100, (m, n)), 4)
    s = np.round(rng.uniform(0.05, 1.0, (m, n)), 4)
    c = np.round(rng.uniform(0.5, 10.0, n), 4)
    return x, s, c


def write_decide(path: Path, x, s, c) -> None:
    m, n = x.shape
    rows = [f"'#A'\t'a{i}'\t'Actor {i}'\t''" for i in range(n)]
    rows += [f"'#P'\t'i{k}'\t'Issue {k}'\t''" for k in range(m)]
    for k in range(m):
        rows += [f"'#M'\t'i{k}'\t0\t'none'", f"'#M'\t'i{k}'\t100\t'all'"]
    rows += [f"'#D'\t'a{i}'\t'i{k}'\t{x[k, i]:.4f}\t{s[k, i]:.4f}\t{c[i]:.4f}"
             for k in range(m) for i in range(n)]
    path.write_text("\n".join(rows) + "\n")


def run_negsim(path: Path, rounds: int):
    import negsim

    sc = negsim.load_scenario(path)
    t0 = time.perf_counter()
    res = negsim.run(sc, rule="exchange", rounds=rounds, stop="never")
    seconds = time.perf_counter() - t0
    return seconds, res


def agreement(res, dec: dict, tol: float = 1e-6) -> dict:
    rounds = []
    for t, d in enumerate(dec["rounds"], start=1):
        vote = max(abs(res.forecast_series[t, k] - d["vote"][iid])
                   for k, iid in enumerate(res.issue_ids))
        pref = max(abs(res.issue_info["preference"][t, k] - d["pref"][iid])
                   for k, iid in enumerate(res.issue_ids))
        n = sum(1 for r in res.log if r["kind"] == "exchange" and r["round"] == t)
        rounds.append({"round": t, "max_vote_diff": vote, "max_pref_diff": pref,
                       "exchanges_negsim": n, "exchanges_decide": d["n"],
                       "agree": bool(vote <= tol and pref <= tol and n == d["n"])})
    return {"rounds_agreeing": sum(r["agree"] for r in rounds), "rounds": len(rounds),
            "first_disagreement": next((r["round"] for r in rounds if not r["agree"]), None),
            "detail": rounds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 and 30 actors only, fewer rounds")
    ap.add_argument("--json", type=Path, default=ROOT / "experiments" / "results"
                    / "bench_exchange.json")
    ap.add_argument("--decide-worker", nargs=3, metavar=("FILE", "ROUNDS", "EXACT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.decide_worker:
        path, rounds, exact = args.decide_worker
        print(json.dumps(_decide_worker(path, int(rounds), exact == "1")))
        return

    import numpy as np

    import negsim
    from negsim.rules import kernels

    py = ensure_venv()
    sizes = [(10, 10, 3), (30, 3, 2)] if args.quick else [(10, 10, 3), (30, 5, 2), (100, 1, 1)]
    report: dict = {"machine": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__, "negsim": negsim.__version__, "decide": DECIDE,
                    "issues": 6, "sizes": []}
    with tempfile.TemporaryDirectory() as tmp:
        for n, rounds, seeds in sizes:
            row = {"actors": n, "rounds": rounds, "cases": []}
            for seed in range(seeds):
                path = Path(tmp) / f"case_{n}_{seed}.txt"
                write_decide(path, *random_case(n, 6, 1000 * n + seed))
                out = {}
                for exact in ("0", "1"):
                    proc = subprocess.run([str(py), __file__, "--decide-worker", str(path),
                                           str(rounds), exact], capture_output=True, text=True,
                                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
                    if proc.returncode != 0:
                        raise SystemExit(proc.stderr)
                    out[exact] = json.loads(proc.stdout.strip().splitlines()[-1])
                times = {}
                for loop in ("numpy", "fused"):       # the two realisation loops, same results
                    with kernels.use_backend(loop):
                        run_negsim(path, rounds)     # a first call compiles or loads the loop
                        times[loop] = min(run_negsim(path, rounds)[0] for _ in range(3))
                with kernels.use_backend("fused"):
                    _, res = run_negsim(path, rounds)
                t_neg = times["fused"]
                case = {"seed": seed, "negsim_s": t_neg, "negsim_numpy_s": times["numpy"],
                        "decide_s": out["0"]["seconds"],
                        "speedup": out["0"]["seconds"] / t_neg,
                        "speedup_numpy_loop": out["0"]["seconds"] / times["numpy"],
                        "decide_ties": out["0"]["ties"],
                        "vs_stock_decide": agreement(res, out["0"]),
                        "vs_decide_exact_at_demander": agreement(res, out["1"])}
                row["cases"].append(case)
                print(f"{n:4d} actors, {rounds:2d} rounds, case {seed}: negsim {t_neg:.4f} s "
                      f"(numpy loop {times['numpy']:.4f} s), decide {case['decide_s']:.2f} s, "
                      f"{case['speedup']:.0f}x ({case['speedup_numpy_loop']:.0f}x); rounds "
                      f"agreeing with decide {case['vs_stock_decide']['rounds_agreeing']}/"
                      f"{rounds} (exact at demander: "
                      f"{case['vs_decide_exact_at_demander']['rounds_agreeing']}/{rounds})",
                      flush=True)
            sp = [c["speedup"] for c in row["cases"]]
            row["speedup_median"] = float(np.median(sp))
            row["speedup_numpy_loop_median"] = float(np.median(
                [c["speedup_numpy_loop"] for c in row["cases"]]))
            report["sizes"].append(row)
    for row in report["sizes"]:
        print(f"{row['actors']:4d} actors: median speed-up {row['speedup_median']:.0f}x "
              f"(numpy loop: {row['speedup_numpy_loop_median']:.0f}x)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
