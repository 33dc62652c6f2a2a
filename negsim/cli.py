"""``negsim`` command line. Start-up imports only argparse: every command module defers its heavy
imports (numpy, pandas, Mesa, matplotlib) to the moment it runs, so ``negsim --help`` is instant.

Exit status: 0 success, 2 invalid input (one line per problem, no traceback), 1 other failure.
Set ``NEGSIM_DEBUG=1`` to see tracebacks of unexpected errors.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: Preferred order of commands in --help. Every module in negsim/commands (except ``common``)
#: with a ``register(subparsers)`` function is a command; modules not named here come after, so
#: a new command is one new module.
ORDER = ["run", "whatif", "agree", "dashboard", "compare", "validate", "models", "plot", "report", "sweep", "sweep_status",
         "analyze", "backtest", "scenarios", "init"]


def command_modules() -> list[str]:
    """Command module names, found without importing them."""
    import pkgutil
    from pathlib import Path

    found = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent / "commands")])
             if m.name not in ("common", "__init__") and not m.name.startswith("_")]
    return [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="negsim",
        description="Negotiation-position simulation: run bargaining models on scenarios of "
                    "actors, issues, positions, saliences and capabilities, and see which issues "
                    "converge, when and where.",
        epilog="Run 'negsim COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"negsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_modules():
        module = importlib.import_module(f"negsim.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    from .errors import InputError

    try:
        return int(args.handler(args) or 0)
    except InputError as exc:
        for problem in exc.problems:
            print(problem.format(), file=sys.stderr)
        n = len(exc.problems)
        print(f"negsim: {n} problem{'s' if n != 1 else ''} found; nothing was run or written.",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("negsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (negsim run F | head -1): not an error; keep the interpreter
        # from complaining when it flushes stdout at exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence for users
        if os.environ.get("NEGSIM_DEBUG"):
            raise
        print(f"negsim: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("negsim: set NEGSIM_DEBUG=1 for a traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
