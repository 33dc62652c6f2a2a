"""Shared fixtures and settings.

Hypothesis runs derandomized by default so that the suite is deterministic in CI; set
``HYPOTHESIS_PROFILE=explore`` to search with fresh random examples (and more of them).
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DATA = Path(__file__).resolve().parent / "data"
NATO = SCENARIOS / "nato_russia_2022.yaml"
#: The wave-1 flagship: one flat table (no blocs, decision rules or linkage), kept for tests of
#: mechanics that the institutional flagship would obscure.
NATO_FLAT = DATA / "wave1" / "nato_russia_2022_wave1.yaml"
EMISSION = SCENARIOS / "bdm1994_emission_standards.yaml"

settings.register_profile("default", derandomize=True, deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=500,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
