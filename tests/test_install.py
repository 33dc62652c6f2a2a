"""negsim installed from a wheel, run from outside the repository: the shipped scenarios come
with it and are addressable by name."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp), str(ROOT)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    [wheel] = list(tmp.glob("negsim-*.whl"))
    target = tmp / "site"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert inst.returncode == 0, inst.stderr
    return wheel, target


def _run(target, code, cwd):
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=cwd, env=env)


def test_the_wheel_carries_the_scenarios(installed):
    wheel, _ = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert "negsim/scenarios/nato_russia_2022.yaml" in names
    assert "negsim/scenarios/ktab/dummyData_3Dim.csv" in names
    assert "negsim/data/deu/deu3_with_gdp.tsv" in names


def test_an_installed_negsim_runs_the_flagship_by_name_from_anywhere(installed, tmp_path):
    _, target = installed
    code = ("import negsim, sys; assert 'site' in negsim.__file__, negsim.__file__; "
            "r = negsim.run(); print(r.scenario.title); "
            "from negsim.cli import main; sys.exit(main(['run', 'nato_russia_2022', '--json']))")
    proc = _run(target, code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("NATO-Russia Council, January 2022")
    proc = _run(target, "from negsim.cli import main; import sys; "
                        "sys.exit(main(['init', 'bdm1994_emission_standards', 'mine']))", tmp_path)
    assert proc.returncode == 0 and (tmp_path / "mine" / "bdm1994_emission_standards.yaml").exists()
