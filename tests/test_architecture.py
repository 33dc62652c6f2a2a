"""The package's shape: no import cycles, no module reaching into another's private names, and
the light start (``negsim --help`` and a small run import neither Mesa nor pandas).

Imports are read from the source (``ast``): module-level imports make the graph that must be a
DAG; imports inside functions are deferred on purpose (they keep start-up light) and are held
only to the rule that they never name another module's private ``_names``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

PKG = ROOT / "negsim"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, node: ast.ImportFrom, is_pkg: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, path: Path, top_level_only: bool):
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"

    def walk(nodes, in_function, in_type_checking):
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                yield from walk(node.body, in_function, True)
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(node.body, True, in_type_checking)
                continue
            if isinstance(node, ast.ClassDef):
                yield from walk(node.body, in_function, in_type_checking)
                continue
            if isinstance(node, ast.ImportFrom):
                target = _resolve(module, node, is_pkg)
                if target.startswith("negsim") and not in_type_checking \
                        and (not top_level_only or not in_function):
                    yield target, [a.name for a in node.names], node.lineno
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("negsim") and not in_type_checking \
                            and (not top_level_only or not in_function):
                        yield a.name, [], node.lineno
            for child in ("body", "orelse", "finalbody", "handlers"):
                if hasattr(node, child) and not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    yield from walk(getattr(node, child), in_function, in_type_checking)

    return list(walk(tree.body, False, False))


def _graph():
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        for target, names, _ in _imports(m, path, top_level_only=True):
            # "from .pkg import sub" imports the submodule too
            for cand in [target] + [f"{target}.{n}" for n in names]:
                if cand in mods and cand != m:
                    graph[m].add(cand)
    return graph


def test_no_import_cycles_at_module_level():
    graph = _graph()
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph[node]):
            # a package importing its own submodules is how packages work, not a cycle
            if nxt.startswith(node + "."):
                continue
            visit(nxt)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    cycles = [c for c in cycles if not all(b.startswith(a + ".") or a.startswith(b + ".")
                                           for a, b in zip(c, c[1:]))]
    assert not cycles, cycles


def test_no_module_imports_another_modules_private_names():
    mods = _modules()
    bad = []
    for m, path in mods.items():
        for target, names, line in _imports(m, path, top_level_only=False):
            for name in names:
                # a package's own private submodules are its business
                own = m.startswith(target + ".") and f"{target}.{name}" in mods
                if name.startswith("_") and not name.startswith("__") and target != m \
                        and not own:
                    bad.append(f"{path.relative_to(ROOT)}:{line}: {target}.{name}")
    assert not bad, bad


def test_help_and_a_small_run_stay_light(tmp_path):
    table = tmp_path / "ten.csv"
    table.write_text("actor,capability,position,salience\n"
                     + "".join(f"a{i},{1 + i % 3},{10 * i},{0.2 + 0.07 * i}\n" for i in range(10)))
    code = ("import sys; from negsim.cli import main; main(sys.argv[1:]); "
            "print(','.join(m for m in ('mesa', 'pandas', 'matplotlib', 'scipy') "
            "if m in sys.modules), file=sys.stderr)")
    for argv in (["--help"], ["run", str(table), "--json"]):
        proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                              text=True, cwd=ROOT, env={"NEGSIM_KERNEL": "numpy",
                                                        "PATH": "/usr/bin:/bin"})
        assert proc.returncode == 0, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert not lines or lines[-1] == "", (argv, proc.stderr)
