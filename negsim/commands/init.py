"""``negsim init NAME DIR``: copy a shipped scenario into DIR for editing."""

from __future__ import annotations

import argparse

HELP = "copy a shipped scenario into a folder for editing"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help=HELP, description=HELP + ".")
    p.add_argument("name", metavar="NAME", help="a shipped scenario (see negsim scenarios)")
    p.add_argument("dir", metavar="DIR", help="the folder to copy it into (created if needed)")
    p.add_argument("--force", action="store_true", help="replace a file of the same name")
    p.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    import shutil
    from pathlib import Path

    from ..catalog import shipped
    from ..errors import InputError, Problem
    from .common import note

    found = shipped()
    if args.name not in found:
        raise InputError([Problem("NAME", "", "no shipped scenario of that name (known: "
                                  + ", ".join(found) + ")", args.name)])
    src = found[args.name]
    out = Path(args.dir)
    if out.exists() and not out.is_dir():
        raise InputError([Problem("DIR", "", "is an existing file, not a folder", str(out))])
    dest = out / src.name
    if dest.exists() and not args.force:
        raise InputError([Problem("DIR", "", f"{dest} exists (use --force to replace it)",
                                  str(out))])
    out.mkdir(parents=True, exist_ok=True)
    from ..files import write_atomic

    write_atomic(dest, lambda p: shutil.copyfile(src, p))
    note(f"wrote {dest}; run it with: negsim run {dest}")
    return 0
