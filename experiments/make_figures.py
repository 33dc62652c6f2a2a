"""Every example chart and report in docs/figures/, remade with one command.

Everything goes through the command line, as a user would type it: each scenario is run once
with ``negsim run ... --out runs/examples/NAME`` and every chart is then drawn from those stored
records with ``negsim plot`` and ``negsim report`` (nothing is re-simulated for a chart).

    python experiments/make_figures.py            # from the repository root

Figures (16:9, 1600 x 900 pixels, the default of ``negsim plot``):

- the NATO-Russia 2022 scenario (expected-utility rule, its own seed, stop auto): small
  multiples of the seven issues, convergence charts of I1 (open door) and I4 (exercises), the
  final-state strip chart, the view from Russia on I1, and sanctions (I6) with Germany and
  Hungary highlighted;
- a what-if on it, under the same rule: in round 8 Norway presses for reciprocal transparency
  on exercises (I4 position 50, salience 0.9). Exercises, unsettled in the baseline (a cycle of
  two at 25.7), then reach consensus at 50 from round 15; the other issues end as before. Drawn
  over the baseline: I4 by round, all issues, and where each actor ends;
- the BDM 1994 emission-standards case: convergence, strip, the view from Belgium (BDM's
  chart), and the example HTML report;
- the forecasts of every rule side by side (``negsim compare``);
- the dashboard's screenshot (``dashboard.png``), which only a browser can take: made by the
  dashboard's own test with ``NEGSIM_DASHBOARD_SCREENSHOT`` set (see docs/dashboard.md);
  ``--no-dashboard`` leaves it as it is.

Any other file in docs/figures/ is reported as stale (not deleted).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = Path("runs/examples")
FIGURES = Path("docs/figures")
NATO = "scenarios/nato_russia_2022.yaml"
#: The what-if of the README: one event, the default rule. Russia accepts talks on INF limits
#: in round 2: the positions on I3 converge, and Russia's package still blocks a deal.
WHATIF_EVENT = ("events=[{round: 2, actor: russia, issue: I3, position: 50, "
                "label: Russia accepts talks on reciprocal limits}]")


def negsim(*argv: str) -> None:
    from negsim.cli import main

    code = main(list(argv))
    if code != 0:
        raise SystemExit(f"negsim {' '.join(argv)} failed with status {code}")


def plot(run: Path, name: str, *options: str) -> Path:
    """Draw one chart of ``run`` and keep it as docs/figures/NAME.png."""
    tmp = RUNS / "_figure"
    shutil.rmtree(tmp, ignore_errors=True)
    negsim("plot", str(run), *options, "--out", str(tmp))
    (written,) = [p for p in tmp.iterdir() if p.suffix == ".png"]
    target = FIGURES / f"{name}.png"
    shutil.move(written, target)
    shutil.rmtree(tmp)
    return target


def dashboard_screenshot(target: Path) -> bool:
    """The dashboard's screenshot, taken by its test (a real server, headless Chromium)."""
    env = {**os.environ, "NEGSIM_DASHBOARD_SCREENSHOT": str(target)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_dashboard.py"], env=env, capture_output=True, text=True)
    if done.returncode != 0 or not target.exists():
        print(f"dashboard screenshot not made:\n{done.stdout[-2000:]}", file=sys.stderr)
        return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-dashboard", action="store_true",
                    help="leave docs/figures/dashboard.png as it is")
    args = ap.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    FIGURES.mkdir(parents=True, exist_ok=True)
    nato, whatif, emission = RUNS / "nato", RUNS / "nato_whatif", RUNS / "emission"
    for d in (nato, whatif, emission, RUNS / "compare"):
        shutil.rmtree(d, ignore_errors=True)
    made: list[Path] = []

    negsim("run", NATO, "--out", str(nato))
    made.append(plot(nato, "nato_multiples", "--kind", "multiples"))
    made.append(plot(nato, "nato_convergence_I1", "--kind", "convergence", "--issue", "I1"))
    made.append(plot(nato, "nato_convergence_I4", "--kind", "convergence", "--issue", "I4"))
    made.append(plot(nato, "nato_strip", "--kind", "strip"))
    made.append(plot(nato, "nato_view_from_russia_I1", "--kind", "quadrant", "--actor",
                     "russia", "--issue", "I1"))
    made.append(plot(nato, "nato_highlight_I6", "--kind", "convergence", "--issue", "I6",
                     "--highlight", "germany,hungary"))

    negsim("run", NATO, "--set", WHATIF_EVENT, "--out", str(whatif))
    base = ("--baseline", str(nato))
    made.append(plot(whatif, "nato_whatif_convergence_I3", *base, "--kind", "convergence",
                     "--issue", "I3"))
    made.append(plot(whatif, "nato_whatif_multiples", *base, "--kind", "multiples"))
    made.append(plot(whatif, "nato_whatif_strip", *base, "--kind", "strip"))

    negsim("run", "scenarios/bdm1994_emission_standards.yaml", "--out", str(emission))
    made.append(plot(emission, "emission_convergence", "--kind", "convergence"))
    made.append(plot(emission, "emission_strip", "--kind", "strip"))
    made.append(plot(emission, "emission_view_from_belgium", "--kind", "quadrant", "--actor",
                     "belgium"))
    negsim("report", str(emission), "--actor", "belgium",
           "--out", str(FIGURES / "emission_report.html"))
    made.append(FIGURES / "emission_report.html")

    negsim("compare", NATO, "--out", str(RUNS / "compare"))
    made.append(plot(RUNS / "compare", "nato_compare"))

    if not args.no_dashboard and dashboard_screenshot(FIGURES / "dashboard.png"):
        made.append(FIGURES / "dashboard.png")

    for path in sorted(FIGURES.iterdir()):
        mark = "" if path in made else "  (stale: not made by this script)"
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
