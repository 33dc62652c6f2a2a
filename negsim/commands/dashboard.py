"""``negsim dashboard [FILE]``: a local web page for asking "what if?".

Needs the ``dashboard`` extra; the page itself is :mod:`negsim.dashboard`.
"""

from __future__ import annotations

import argparse

HELP = "open a local web page to change a scenario and watch the run (needs negsim[dashboard])"
EXTRA = "pip install 'negsim[dashboard]'"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dashboard", help=HELP, description=HELP + ": pick a scenario, a rule and "
                       "its parameters, change any actor's position, salience or capability on "
                       "any issue, add events, then Step, Play or Reset and watch the charts, the "
                       "per-issue table and why each actor moved, beside the unchanged scenario. "
                       "Each browser tab has its own run. Serves on this machine only, offline.")
    p.add_argument("file", metavar="FILE", nargs="?",
                   help="scenario file or shipped scenario name to start with (default: the "
                        "NATO-Russia 2022 flagship; others can be opened on the page)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, metavar="N",
                   help="port (default 8765, or a free one if it is taken; 0: any free port)")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a browser (none is opened on a machine without a display)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --host that other machines can reach (anyone who can reach it "
                        "can use the page)")
    p.set_defaults(handler=main)


def _missing_extra() -> str | None:
    """The first module of the dashboard extra that cannot be imported, if any."""
    import importlib.util

    for name in ("solara", "altair", "ipyvuetify"):
        if importlib.util.find_spec(name) is None:
            return name
    return None


def main(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from ..dashboard import serve
    from ..errors import InputError, Problem

    problems = []
    if not serve.is_loopback(args.host) and not args.allow_remote:
        problems.append(Problem("--host", "", "not a loopback address: other machines could "
                                "reach the page; add --allow-remote if you mean it", args.host))
    if args.port is not None and not 0 <= args.port <= 65535:
        problems.append(Problem("--port", "", "must be between 0 and 65535", args.port))
    if problems:
        raise InputError(problems)
    missing = _missing_extra()
    if missing is not None:
        print(f"negsim dashboard: the dashboard extra is not installed (no module {missing!r}); "
              f"install it with: {EXTRA}", file=sys.stderr)
        return 1

    file = None
    if args.file:
        from ..catalog import resolve_path
        from ..scenario import load_scenario

        path = resolve_path(args.file)
        load_scenario(path)          # a bad file fails here, in the terminal, with exit 2
        file = str(Path(path).resolve())

    assets = serve.assets_dir()
    lacking = serve.missing_assets(assets)
    if lacking:
        print("negsim dashboard: warning: Solara's page assets are missing ("
              + ", ".join(lacking) + "); without a network the page stays blank. Install them "
              "with: pip install --no-deps solara-assets==1.58.2", file=sys.stderr)

    port = args.port
    if port is None:
        port = serve.DEFAULT_PORT if serve.port_free(args.host, serve.DEFAULT_PORT) \
            else serve.free_port(args.host)
    elif port == 0:
        port = serve.free_port(args.host)
    browser = not args.no_browser and serve.can_open_browser()
    cmd = serve.server_command(args.host, port, browser)
    env = serve.server_env(file)
    print(f"negsim dashboard: {serve.url(args.host, port)}  (Ctrl-C stops it)", flush=True)
    sys.stderr.flush()
    if os.name == "posix":
        os.execvpe(cmd[0], cmd, env)    # the server takes this process over: one PID to stop
    import subprocess

    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 130
