"""Writing files so that they appear whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomic", "replace_dir", "check_output_dir", "is_negsim_dir", "MARKERS"]

_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    A crash or an exception leaves either the old file or none, never half a file; the
    temporary name starts with a dot and ends with ``.tmp``. Permissions follow the umask.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


#: Files by which negsim recognises its own output directories (any one of them): a directory
#: holding one may be replaced by a re-run; any other non-empty directory is never touched.
MARKERS = ("summary.json", "compare.json", "whatif.json", "manifest.json")


def is_negsim_dir(path: Path) -> bool:
    return path.is_dir() and (not any(path.iterdir())
                              or any((path / m).exists() for m in MARKERS))


def check_output_dir(path: str | Path, option: str = "--out") -> Path:
    """Check, before any work, that ``path`` can become (or be replaced by) a negsim output
    directory; raise :class:`~negsim.errors.InputError` naming the problem otherwise."""
    from .errors import InputError, Problem

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError([Problem(option, "", "is an existing file, not a directory", str(path))])
    if path.is_dir() and not is_negsim_dir(path):
        raise InputError([Problem(option, "", "is a non-empty directory that is not a negsim "
                                  "output; choose a new or empty directory", str(path))])
    probe = path if path.exists() else path.parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise InputError([Problem(option, "", f"cannot be created: {probe} is a file",
                                  str(path))])
    target = probe if probe != path else path.parent
    if not os.access(target, os.W_OK | os.X_OK):
        raise InputError([Problem(option, "", f"cannot be written: no permission in {target}",
                                  str(path))])
    return path


def replace_dir(path: str | Path, fill: Callable[[Path], object]) -> Path:
    """Build a directory whole: ``fill(tmp)`` writes into a new temporary sibling, which is then
    renamed to ``path``, replacing an older negsim output there (checked first with
    :func:`check_output_dir`). A failure or interrupt leaves the old directory (or none), never
    a mix."""
    import shutil

    path = Path(path)
    check_output_dir(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        fill(tmp)
        os.chmod(tmp, 0o777 & ~_UMASK)
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.rmdir(old)
            os.rename(path, old)
            os.rename(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path
