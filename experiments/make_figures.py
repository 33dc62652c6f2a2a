"""Example charts and an example report for the README, written to docs/figures/.

Everything goes through the command line, as a user would type it: each scenario is run once
with ``negsim run ... --out runs/examples/NAME`` and every chart is then drawn from those stored
records with ``negsim plot`` and ``negsim report`` (nothing is re-simulated for a chart).

    python experiments/make_figures.py            # from the repository root

Figures:

- the NATO-Russia 2022 scenario (expected-utility rule, its own seed, 100 rounds): small
  multiples of the seven issues, convergence charts of I1 (open door) and I4 (exercises), the
  final-state strip chart, the view from Russia on I1;
- a what-if on it (q = 0.5, Germany hardens on exercises in round 8) where I4 reaches
  consensus: the event and the consensus round are marked;
- the BDM 1994 emission-standards case: convergence, strip, the view from Belgium (BDM's
  chart), and the example HTML report;
- the forecasts of every rule side by side (``negsim compare``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = Path("runs/examples")
FIGURES = Path("docs/figures")
DPI = "130"


def negsim(*argv: str) -> None:
    from negsim.cli import main

    code = main(list(argv))
    if code != 0:
        raise SystemExit(f"negsim {' '.join(argv)} failed with status {code}")


def plot(run: Path, name: str, *options: str) -> None:
    """Draw one chart of ``run`` and keep it as docs/figures/NAME.png."""
    tmp = RUNS / "_figure"
    shutil.rmtree(tmp, ignore_errors=True)
    negsim("plot", str(run), *options, "--dpi", DPI, "--out", str(tmp))
    (written,) = tmp.iterdir()
    shutil.move(written, FIGURES / f"{name}.png")
    shutil.rmtree(tmp)


def main() -> int:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    FIGURES.mkdir(parents=True, exist_ok=True)
    nato, whatif, emission = RUNS / "nato", RUNS / "nato_whatif", RUNS / "emission"
    for d in (nato, whatif, emission, RUNS / "compare"):
        shutil.rmtree(d, ignore_errors=True)

    negsim("run", "scenarios/nato_russia_2022.yaml", "--out", str(nato))
    plot(nato, "nato_multiples", "--kind", "multiples")
    plot(nato, "nato_convergence_I1", "--kind", "convergence", "--issue", "I1")
    plot(nato, "nato_convergence_I4", "--kind", "convergence", "--issue", "I4")
    plot(nato, "nato_strip", "--kind", "strip")
    plot(nato, "nato_view_from_russia_I1", "--kind", "quadrant", "--actor", "russia",
         "--issue", "I1")

    negsim("run", "scenarios/nato_russia_2022.yaml", "--rounds", "30", "--param", "q=0.5",
           "--set", "events=[{round: 8, actor: germany, issue: I4, position: 70, "
                    "salience: 0.9, label: Germany hardens on exercises}]",
           "--out", str(whatif))
    plot(whatif, "nato_whatif_convergence_I4", "--kind", "convergence", "--issue", "I4")
    plot(whatif, "nato_whatif_multiples", "--kind", "multiples")

    negsim("run", "scenarios/bdm1994_emission_standards.yaml", "--out", str(emission))
    plot(emission, "emission_convergence", "--kind", "convergence")
    plot(emission, "emission_strip", "--kind", "strip")
    plot(emission, "emission_view_from_belgium", "--kind", "quadrant", "--actor", "belgium")
    negsim("report", str(emission), "--actor", "belgium",
           "--out", str(FIGURES / "emission_report.html"))

    negsim("compare", "scenarios/nato_russia_2022.yaml", "--rounds", "30",
           "--out", str(RUNS / "compare"))
    plot(RUNS / "compare", "nato_compare")

    for path in sorted(FIGURES.iterdir()):
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
