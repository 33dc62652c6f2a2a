"""Charts and report of the flagship, whole process: the wave-1 code against the current tree.

    python experiments/bench_plots.py [--repeat N] [--json PATH]     # from the repository root

In one run of this script, on one machine and back to back (the machine is shared, so what
matters is the ratio measured within one run, not the seconds):

1. The wave-1 code (commit ``e6cc9cc``) is checked out into a temporary ``git worktree`` and
   run with the same interpreter and ``PYTHONPATH=<worktree>``; the worktree is removed at the
   end.
2. One flagship run directory is written by the wave-1 code from the wave-1 flagship
   (``tests/data/wave1/nato_russia_2022_wave1.yaml``, 33 actors, 7 issues, the expected-utility
   rule): both codes read it.
3. Timed, whole process (``python -m negsim ...``), wave-1 and current alternating, the median
   of ``--repeat`` runs of each, every run on a fresh copy of the run directory:

   - ``negsim plot DIR``: every chart (7 by round, the small multiples, the strip, 7 views);
   - ``negsim report DIR`` on a directory without charts (everything drawn);
   - ``negsim report DIR`` after ``negsim plot DIR`` (current code: the charts plot wrote are
     embedded, not drawn again; wave-1 draws them all);
   - ``negsim run FILE --out DIR --plot``;

   and, for the current code only, the same on the flagship run directory it writes itself
   (``scenarios/nato_russia_2022.yaml``; it stops at the detected cycle after 22 rounds where
   wave-1 runs 100, so its records are smaller; wave-1 cannot read them).

Results go to ``experiments/results/bench_plots.json``: times, ratios wave-1 / current, the
machine's load average and cores, and how many worker processes drew the charts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAVE1 = "e6cc9cc"
SCENARIO = ROOT / "tests" / "data" / "wave1" / "nato_russia_2022_wave1.yaml"
RESULTS = ROOT / "experiments" / "results" / "bench_plots.json"


def negsim(code: Path, *args: str, cwd: Path) -> float:
    """Run ``python -m negsim ARGS`` with the package from ``code``; wall seconds."""
    env = {**os.environ, "PYTHONPATH": str(code), "MPLBACKEND": "Agg"}
    env.pop("NEGSIM_PLOT_WORKERS", None)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "negsim", *args], cwd=cwd, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"negsim {' '.join(args)} ({code}) failed:\n{done.stderr}")
    return elapsed


def which_negsim(code: Path, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(code)}
    return subprocess.run([sys.executable, "-c", "import negsim; print(negsim.__file__)"],
                          env=env, cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3)")
    ap.add_argument("--json", type=Path, default=RESULTS)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="negsim-bench-plots-"))
    old = tmp / "wave1"
    subprocess.run(["git", "worktree", "add", "--detach", str(old), WAVE1], cwd=ROOT,
                   check=True, capture_output=True)
    try:
        codes = {"wave1": old, "current": ROOT}
        for name, code in codes.items():      # each side imports its own package
            found = Path(which_negsim(code, tmp)).resolve()
            assert found.is_relative_to(code.resolve()), f"{name} imports {found}"
        run = tmp / "run"
        negsim(old, "run", str(SCENARIO), "--out", str(run), cwd=tmp)

        def fresh(tag: str) -> Path:
            d = tmp / f"copy-{tag}"
            shutil.rmtree(d, ignore_errors=True)
            shutil.copytree(run, d)
            return d

        tasks = {
            "plot": lambda code, tag: negsim(code, "plot", str(fresh(tag)), cwd=tmp),
            "report": lambda code, tag: negsim(code, "report", str(fresh(tag)), cwd=tmp),
            "plot_then_report": lambda code, tag: (
                negsim(code, "plot", str(d := fresh(tag)), cwd=tmp),
                negsim(code, "report", str(d), cwd=tmp))[1],   # the report's time
            "run_plot": lambda code, tag: negsim(code, "run", str(SCENARIO), "--out",
                                                 str(tmp / f"run-{tag}"), "--plot", cwd=tmp),
        }
        # today's flagship, as the current tree runs it (stop at a detected cycle: 22 rounds
        # where wave-1 runs 100); wave-1 cannot read this directory's records
        today = tmp / "today"
        negsim(ROOT, "run", str(ROOT / "scenarios" / "nato_russia_2022.yaml"), "--out",
               str(today), cwd=tmp)

        def today_copy() -> Path:
            d = tmp / "today-copy"
            shutil.rmtree(d, ignore_errors=True)
            shutil.copytree(today, d)
            return d

        extra = {"plot": [], "report": [], "plot_then_report": []}
        times: dict[str, dict[str, list[float]]] = {t: {c: [] for c in codes} for t in tasks}
        loads = []
        for r in range(args.repeat):
            for task, fn in tasks.items():
                for name, code in (codes.items() if r % 2 == 0 else reversed(codes.items())):
                    loads.append(os.getloadavg()[0])
                    times[task][name].append(fn(code, f"{name}-{task}"))
                    print(f"{task:17s} {name:8s} {times[task][name][-1]:6.2f} s", flush=True)
            extra["plot"].append(negsim(ROOT, "plot", str(today_copy()), cwd=tmp))
            extra["report"].append(negsim(ROOT, "report", str(today_copy()), cwd=tmp))
            extra["plot_then_report"].append(
                negsim(ROOT, "plot", str(d := today_copy()), cwd=tmp)
                + negsim(ROOT, "report", str(d), cwd=tmp))
            print("today's flagship, current code:",
                  {k: round(v[-1], 2) for k, v in extra.items()}, flush=True)
        sys.path.insert(0, str(ROOT))
        from negsim.plots.batch import MAX_WORKERS, workers_for

        doc = {
            "what": "whole-process wall time of the flagship's charts and report; wave-1 "
                    f"(commit {WAVE1}) against the current tree, back to back on one machine",
            "scenario": str(SCENARIO.relative_to(ROOT)),
            "repeat": args.repeat,
            "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                        "load_average_during": [round(min(loads), 2), round(max(loads), 2)]},
            "chart_workers": workers_for(16),
            "max_workers": MAX_WORKERS,
            "seconds": {t: {c: round(statistics.median(v), 2) for c, v in d.items()}
                        for t, d in times.items()},
            "all_seconds": {t: {c: [round(x, 2) for x in v] for c, v in d.items()}
                            for t, d in times.items()},
            "speedup_wave1_over_current": {
                t: round(statistics.median(d["wave1"]) / statistics.median(d["current"]), 2)
                for t, d in times.items()},
            "current_on_todays_flagship_run": {
                "note": "the current tree on the flagship run directory it writes itself "
                        "(22 rounds, its records about a third of wave-1's 100 rounds)",
                "seconds": {k: round(statistics.median(v), 2) for k, v in extra.items()}},
            "targets": {"plot": "< 5 s", "report": "< 5 s"},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(json.dumps({k: doc[k] for k in ("seconds", "speedup_wave1_over_current")},
                         indent=2))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
