"""Every `negsim ...` command in the README and docs/ runs, in the order a reader meets it.

Each document's shell blocks are read, and every line that starts with ``negsim `` runs in
process, in a fresh folder that holds the shipped ``scenarios/`` and ``tests/data/``, in the
document's order (later commands read what earlier ones wrote). Exit status 0 is required.

Two kinds of line are not run, and the test says which: placeholders the reader replaces (a
file such as ``my_case.yaml`` that does not exist, ``FILE.csv``, a cluster address) and the
dashboard, a server that never returns (``tests/test_dashboard.py`` drives it in Chromium).
Sweeps run with ``--samples`` capped at 6: the command is the documented one, its size is not.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from negsim.cli import main

from .conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```(?:sh|bash|console)\n(.*?)```", re.S)
PLACEHOLDER = re.compile(r"(^|[\s=/])(my_\w+\.\w+|FILE\.\w+|~/|/scratch/|tcp://)")
MAX_SAMPLES = 6


def commands(doc: Path) -> list[str]:
    """The ``negsim`` command lines of a document's shell blocks, comments cut off."""
    out = []
    for block in BLOCK.findall(doc.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s+#\s", line.strip(), maxsplit=1)[0].strip()
            if line.startswith("negsim "):
                out.append(line)
    return out


def runnable(line: str) -> bool:
    return not PLACEHOLDER.search(line) and not line.startswith("negsim dashboard")


def capped(argv: list[str]) -> list[str]:
    argv = list(argv)
    for i, a in enumerate(argv[:-1]):
        if a == "--samples":
            argv[i + 1] = str(min(int(argv[i + 1]), MAX_SAMPLES))
    return argv


def test_the_documents_have_commands_and_few_are_skipped():
    lines = [line for doc in DOCS for line in commands(doc)]
    assert len(lines) >= 40
    skipped = [line for line in lines if not runnable(line)]
    assert len(skipped) <= 12, skipped


@pytest.mark.parametrize("doc", [d for d in DOCS if any(runnable(c) for c in commands(d))],
                         ids=lambda d: d.name)
def test_every_documented_command_runs(doc, tmp_path, monkeypatch, capsys):
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    for line in commands(doc):
        if not runnable(line):
            continue
        code = main(capped(shlex.split(line)[1:]))
        err = capsys.readouterr().err
        assert code == 0, f"{doc.name}: `{line}` exited {code}: {err[-800:]}"


PY_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
PY_DOCS = [ROOT / "README.md", ROOT / "docs" / "smp.md", ROOT / "docs" / "backtest.md"]


def _capped_source(code: str) -> str:
    """A block's code with ``samples=N`` capped at :data:`MAX_SAMPLES` (the size, not the
    call, is the reader's)."""
    return re.sub(r"samples=(\d+)", lambda m: f"samples={min(int(m.group(1)), MAX_SAMPLES)}",
                  code)


@pytest.mark.parametrize("doc", PY_DOCS, ids=lambda d: d.name)
def test_every_python_block_runs(doc, tmp_path, monkeypatch):
    """The Python examples of the README and of docs/smp.md and docs/backtest.md run as
    written, block after block, in one namespace per document."""
    blocks = PY_BLOCK.findall(doc.read_text(encoding="utf-8"))
    assert blocks
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__doc_example__"}
    for code in blocks:
        exec(compile(_capped_source(code), f"{doc.name}:python", "exec"), namespace)
