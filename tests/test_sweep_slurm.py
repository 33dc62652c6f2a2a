"""The SLURM recipe (tools/slurm_cluster.py) as a tested script: the job script dask-jobqueue
generates from it (optional: skipped without dask-jobqueue)."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys

import pytest

from .conftest import ROOT

SCRIPT = ROOT / "tools" / "slurm_cluster.py"


def _module():
    spec = importlib.util.spec_from_file_location("slurm_cluster", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_walltime_and_cluster_options():
    mod = _module()
    assert mod.parse_walltime("04:00:00") == 14400
    assert mod.parse_walltime("1-00:30:00") == 88200 and mod.parse_walltime("30:00") == 1800
    args = mod.build_parser().parse_args(["--account", "p", "--interface", "ib0",
                                          "--walltime", "04:00:00", "--python", "/v/bin/python"])
    opts = mod.cluster_options(args)
    assert opts["interface"] == opts["scheduler_options"]["interface"] == "ib0"
    assert opts["scheduler_options"]["port"] == 8786
    assert opts["worker_extra_args"] == ["--lifetime", "13800s", "--lifetime-stagger", "300s"]
    assert opts["job_extra_directives"] == ["--account=p"] and opts["cores"] == 1
    assert isinstance(args, argparse.Namespace)


def test_the_recipe_generates_a_slurm_job_script():
    pytest.importorskip("dask_jobqueue")
    out = subprocess.run([sys.executable, str(SCRIPT), "--account", "myproject", "--interface",
                          "lo", "--port", "0", "--walltime", "02:00:00", "--python",
                          "/opt/venv/bin/python", "--dry-run"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    script = out.stdout
    assert script.startswith("#!/usr/bin/env bash")
    for line in ("#SBATCH --account=myproject", "#SBATCH -t 02:00:00", "#SBATCH --cpus-per-task=1"):
        assert line in script
    (command,) = [ln for ln in script.splitlines() if "dask_worker" in ln]
    assert command.startswith("/opt/venv/bin/python -m distributed.cli.dask_worker tcp://127.0.0.1:")
    assert "--nthreads 1" in command and "--interface lo" in command
    assert "--lifetime 6600s --lifetime-stagger 300s" in command
