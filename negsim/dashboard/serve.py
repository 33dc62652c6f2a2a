"""How ``negsim dashboard`` starts the page's server: ``solara run negsim.dashboard.app``.

Standard library only (the command imports this before it knows the extra is installed).

* **Offline.** Solara's page loads its scripts (Vue, Vuetify, require.js, Font Awesome) from a
  CDN through a server-side cache, ``SOLARA_ASSETS_PROXY_CACHE_DIR``. The ``solara-assets``
  package fills such a cache (into ``<prefix>/share/solara/cdn``); :func:`assets_dir` finds it
  wherever it was installed and the server is pointed at it, so no request leaves the machine.
  :func:`missing_assets` lists the packages Solara's page template asks for that the cache
  lacks (without them the page is blank when offline).
* **Private.** Loopback addresses only unless asked (:func:`is_loopback`); Solara's telemetry
  and its version check are switched off.
* **One process.** The command replaces itself with the server (``exec``), so stopping the
  command (Ctrl-C, or SIGTERM to its process group) stops the server.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ENV_FILE", "APP", "DEFAULT_PORT", "assets_dir", "required_assets", "missing_assets",
           "is_loopback", "free_port", "port_free", "url", "server_command", "server_env",
           "can_open_browser"]

#: The environment variable that passes the scenario file to the page.
ENV_FILE = "NEGSIM_DASHBOARD_FILE"
#: The page, as a module Solara imports.
APP = "negsim.dashboard.app"
#: Solara's own default port; when taken, a free one is used.
DEFAULT_PORT = 8765
#: The cache layout the ``solara-assets`` wheel installs (``<prefix>/share/solara/cdn``).
_CDN_PARTS = ("share", "solara", "cdn")
_TEMPLATE_REF = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.-]*)/")


def assets_dir() -> Path | None:
    """The directory of Solara's offline assets (the ``solara-assets`` package), or None."""
    from importlib import metadata

    try:
        dist = metadata.distribution("solara-assets")
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        parts = Path(str(f)).parts
        for k in range(len(parts) - 2):
            if parts[k:k + 3] == _CDN_PARTS:
                found = Path(str(dist.locate_file(Path(*parts[:k + 3])))).resolve()
                if found.is_dir():
                    return found
    return None


def required_assets() -> list[str]:
    """The versioned npm packages Solara's page template loads from its CDN (Vuetify 2 page)."""
    try:
        import solara.server
    except ImportError:
        return []
    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    try:
        text = template.read_text(encoding="utf-8")
    except OSError:
        return []
    found = {m.group(1) for line in text.splitlines() if "vuetify3" not in line
             for m in _TEMPLATE_REF.finditer(line)}
    return sorted(found)


def missing_assets(directory: Path | None) -> list[str]:
    """Packages of :func:`required_assets` that ``directory`` does not hold."""
    need = required_assets()
    if directory is None:
        return need
    return [p for p in need if not (directory / p).is_dir()]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_free(host: str, port: int) -> bool:
    with socket.socket(_family(host), socket.SOCK_STREAM) as s:
        try:
            s.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    """A port the system says is free on ``host`` now."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as s:
        s.bind((host.strip("[]"), 0))
        return int(s.getsockname()[1])


def url(host: str, port: int) -> str:
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def can_open_browser(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a browser window can be shown: always on macOS and Windows; on other systems
    only with a display (a headless machine must not start a text browser in the terminal)."""
    environ = os.environ if environ is None else environ
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def server_command(host: str, port: int, open_browser: bool) -> list[str]:
    """The server's command line (this Python, ``-m solara run``)."""
    return [sys.executable, "-m", "solara", "run", APP, "--host", host.strip("[]"),
            "--port", str(port), "--production", "--no-check-version",
            "--open" if open_browser else "--no-open"]


def server_env(file: str | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the scenario file, the offline assets, no telemetry."""
    env = dict(os.environ if environ is None else environ)
    env[ENV_FILE] = file or ""
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    assets = assets_dir()
    if assets is not None:
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(assets)
    env.setdefault("MPLBACKEND", "Agg")
    # Solara warns on every page load over plain http on 127.0.0.1 (its cookie falls back to
    # samesite=lax, which is what a local page wants)
    quiet = "ignore:Cookies with samesite=none:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), quiet) if w)
    return env
