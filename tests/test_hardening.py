"""Inputs that cannot hurt and outputs that cannot mislead, case by case (issue 13).

The fuzz suite (``test_fuzz.py``) throws generated documents at the loader; this file pins down
each named case: exit 2 with one line per problem naming file, field and value, no traceback,
nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from negsim.cli import main

from .conftest import EMISSION, NATO, ROOT

EMISSION_EVENTS = "events=[{round: 1, remove: %s}]"


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_null_actors_and_null_issues_are_errors(tmp_path, capsys):
    f = tmp_path / "null.yaml"
    f.write_text("negsim: 1\nmetadata: {title: t}\nissues: null\nactors: null\n")
    code, _, err = run_cli(["validate", f], capsys)
    assert code == 2
    assert f"{f}:3: issues:" in err and f"{f}:4: actors:" in err


def test_boolean_scale_end_is_an_error(tmp_path, capsys):
    f = tmp_path / "b.yaml"
    f.write_text(EMISSION.read_text().replace("low: 4", "low: true", 1))
    assert "low: true" in f.read_text()
    code, _, err = run_cli(["validate", f], capsys)
    assert code == 2 and "scale.low" in err and "true" in err.lower()


def test_absurd_round_counts_are_refused_before_running(tmp_path, capsys):
    code, out, err = run_cli(["run", EMISSION, "--set", "model.max_rounds=100000", "--set",
                              "model.stop=never", "--out", tmp_path / "r"], capsys)
    assert code == 2 and "model.max_rounds" in err and "100000" in err
    assert not (tmp_path / "r").exists() and not out


def test_an_event_that_leaves_one_actor_is_an_error(tmp_path, capsys):
    sc = (ROOT / "tests" / "data" / "institutions_three.yaml")
    f = tmp_path / "three.yaml"
    text = sc.read_text()
    f.write_text(text)
    ids = ["a", "b"]
    events = "events=[" + ", ".join(f"{{round: 1, remove: {a}}}" for a in ids) + "]"
    code, _, err = run_cli(["run", f, "--set", events], capsys)
    assert code == 2 and "events[1].remove" in err and "leaves" in err


@pytest.mark.parametrize("make", ["file", "file_parent"])
def test_unwritable_out_paths_are_reported_before_simulating(tmp_path, capsys, make):
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    out = blocker if make == "file" else blocker / "sub"
    code, stdout, err = run_cli(["run", NATO, "--out", out], capsys)
    assert code == 2 and "--out" in err and "file" in err
    assert blocker.read_text() == "not a folder" and not stdout


def test_a_rerun_replaces_the_folder_whole(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", str(NATO), "--rounds", "3", "--out", str(out)]) == 0
    assert (out / "pairs.parquet").exists()
    (out / "stale.txt").write_text("from an earlier run")
    # the compromise rule records no pairs: the old pairs.parquet must not survive
    assert main(["run", str(NATO), "--model", "compromise", "--out", str(out)]) == 0
    capsys.readouterr()
    assert not (out / "pairs.parquet").exists() and not (out / "stale.txt").exists()
    assert json.loads((out / "summary.json").read_text())["model"] == "compromise"


def test_a_run_into_a_foreign_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    code, _, err = run_cli(["run", NATO, "--out", out], capsys)
    assert code == 2 and (out / "thesis.docx").read_text() == "precious"


def test_a_closed_pipe_exits_0_without_a_traceback():
    proc = subprocess.run(f"{sys.executable} -m negsim run {NATO} --json | head -c 10",
                          shell=True, capture_output=True, text=True, cwd=ROOT,
                          executable="/bin/bash")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
    status = subprocess.run(f"set -o pipefail; {sys.executable} -m negsim run {NATO} | "
                            "head -1 >/dev/null", shell=True, executable="/bin/bash", cwd=ROOT)
    assert status.returncode == 0


def test_figures_are_written_atomically(tmp_path, capsys, monkeypatch):
    """No figure file is visible under its final name before it is complete: every chart goes
    through files.write_atomic (a temporary sibling, then a rename), so an interrupt never
    leaves a 0-byte PNG behind."""
    import negsim.files as plots

    out = tmp_path / "run"
    assert main(["run", str(EMISSION), "--out", str(out)]) == 0
    seen = []
    real = plots.write_atomic

    def spy(path, write):
        seen.append(Path(path).name)
        return real(path, write)

    monkeypatch.setattr(plots, "write_atomic", spy)
    monkeypatch.setenv("NEGSIM_PLOT_WORKERS", "1")   # draw here, where the spy sees it
    assert main(["plot", str(out), "--out", str(tmp_path / "f")]) == 0
    pngs = sorted((tmp_path / "f").glob("*.png"))
    assert len(pngs) >= 3 and all(p.stat().st_size > 0 for p in pngs)
    assert {p.name for p in pngs} <= set(seen)
    assert not [p for p in (tmp_path / "f").iterdir() if p.name.startswith(".")]


def test_a_large_document_validates_within_bounded_memory(tmp_path):
    """An ~8 MB scenario (150,000 issues) is refused with an error naming its line (the
    loader's value limit, which also stops alias bombs), with the validating process's peak
    memory under 1 GB."""
    f = tmp_path / "big.yaml"
    with f.open("w") as fh:
        fh.write("negsim: 1\nmetadata: {title: big}\nissues:\n")
        for k in range(150_000):
            fh.write(f"  i{k}: {{name: i{k}, scale: {{low: 0, high: 100}}}}\n")
    assert f.stat().st_size > 7_000_000
    code = ("import resource, sys\nfrom negsim.cli import main\n"
            f"rc = main(['validate', {str(f)!r}])\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert int(proc.stdout.strip().splitlines()[-1]) < 1024 * 1024   # KiB
    assert f"{f}:" in proc.stderr and "values" in proc.stderr

