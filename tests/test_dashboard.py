"""``negsim dashboard`` in headless Chromium, against a real server process.

One server for the module (``negsim dashboard --port 0 --no-browser``, its own process group,
killed at the end whatever happens). Playwright drives Debian's ``chromium``: a student's
what-if (Germany's salience on sanctions, I6) is typed into the page, Reset and Step are
pressed, and the per-issue table is read as text and checked against ``negsim.run`` with the
same change in this process; the chart's baseline overlay is checked in the SVG's DOM; a second
browser context sees its own, unchanged model. No console errors, no request to anything but
the server. Skipped only when the ``dashboard`` extra is not installed; a missing Chromium or
Playwright fails.

``NEGSIM_DASHBOARD_SCREENSHOT=docs/figures/dashboard.png`` also writes the screenshot there.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

pytest.importorskip("solara", reason="the dashboard extra is not installed "
                                     "(pip install 'negsim[dashboard]')")

import negsim  # noqa: E402
import negsim.cli  # noqa: E402
from negsim.dashboard import serve, state  # noqa: E402

from .conftest import NATO  # noqa: E402

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
WHAT_IF = {"actors.germany.issues.I6.salience": 0.1}
START_TIMEOUT = 60.0
UI_TIMEOUT = 30_000           # ms, for one page action to show its result
READ_TABLE = """div => ({round: div.dataset.round, rows: Object.fromEntries(
    [...div.querySelectorAll('tr[data-issue]')].map(tr => [tr.dataset.issue, Object.fromEntries(
        [...tr.querySelectorAll('td[data-field]')].map(td => [td.dataset.field,
                                                             td.textContent.trim()]))]))})"""
EVENT = {"round": 2, "actor": "germany", "issue": "I6", "position": 70.0}


# -- the server ------------------------------------------------------------------------------
def _url_from_log(log: Path, proc: subprocess.Popen, timeout: float) -> str:
    """The URL ``negsim dashboard`` prints first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("negsim dashboard: http://"):
                return line.split()[2]
        if proc.poll() is not None:
            raise RuntimeError(f"negsim dashboard exited with status {proc.returncode}:\n"
                               + log.read_text(errors="replace"))
        time.sleep(0.05)
    raise TimeoutError("negsim dashboard printed no URL")


def _wait_ready(base: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"the server at {base} was not ready within {timeout:.0f} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The URL of a running ``negsim dashboard``; its process group is killed afterwards. Its
    output goes to a file (a pipe nobody reads could fill and stall it), printed at the end
    (pytest shows it when a test failed)."""
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "negsim", "dashboard", "--port", "0",
                                 "--no-browser"], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        t0 = time.monotonic()
        url = _url_from_log(log, proc, START_TIMEOUT)
        assert urlsplit(url).hostname == "127.0.0.1", url
        _wait_ready(url, proc, START_TIMEOUT - (time.monotonic() - t0))
        print(f"server ready {time.monotonic() - t0:.1f} s after launch")
        yield url
    finally:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        print("server log:\n" + log.read_text(errors="replace")[-4000:])


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is needed to test the dashboard: pip install playwright "
                    "(its wheel carries its driver; never run 'playwright install')")
    exe = os.environ.get("NEGSIM_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not exe:
        pytest.fail("headless Chromium is needed to test the dashboard: install Debian's "
                    "package (apt-get install -y chromium); .ci/run does this")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


class Tab:
    """One browser context on the dashboard, with what it logged and requested."""

    def __init__(self, browser, url: str) -> None:
        self.url = url
        self.context = browser.new_context(viewport={"width": 1440, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.set_default_timeout(UI_TIMEOUT)
        t0 = time.monotonic()
        self.page.goto(url)
        self.table()
        self.load_seconds = time.monotonic() - t0

    def table(self, **attrs: str) -> str:
        """Wait for the per-issue table with these ``data-`` attributes; its selector."""
        sel = ".negsim-table" + "".join(f'[data-{k}="{v}"]' for k, v in attrs.items())
        self.page.wait_for_selector(sel + " table")
        return sel

    def read_table(self, **attrs: str) -> dict[str, dict[str, str]]:
        """issue id -> field -> text, as the page shows it."""
        return self.page.eval_on_selector(self.table(**attrs), READ_TABLE)["rows"]

    def read_round_and_table(self) -> tuple[int, dict[str, dict[str, str]]]:
        """The round and the table in one read (the page may be playing)."""
        got = self.page.eval_on_selector(".negsim-table", READ_TABLE)
        return int(got["round"]), got["rows"]

    def button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def choose_actor(self, name: str, picker: str = "actor") -> None:
        box = self.page.locator(f".negsim-{picker} input[type=text]")
        box.click()
        box.fill(name)
        self.page.get_by_role("option", name=name, exact=True).click()

    def choose_issue(self, label: str, picker: str = "issue") -> None:
        self.page.locator(f".negsim-{picker}").click()
        self.page.get_by_role("option", name=label, exact=True).click()

    def type_number(self, cls: str, value: float) -> None:
        box = self.page.locator(f".{cls} input[type=text]")
        box.fill(f"{value:g}")
        box.press("Enter")

    def foreign_requests(self) -> list[str]:
        here = urlsplit(self.url).netloc
        return [u for u in self.requests if urlsplit(u).scheme not in ("data", "blob")
                and urlsplit(u).netloc != here]

    def close(self) -> None:
        self.context.close()


# -- what the page should show ---------------------------------------------------------------
def check_table(shown: dict[str, dict[str, str]], result, baseline) -> None:
    """The page's table against a run computed here (numbers to the page's two decimals)."""
    assert set(shown) == set(result.issue_ids)
    tb = min(result.rounds_run, baseline.rounds_run)
    for k, rec in enumerate(result.issue_records()):
        row = shown[rec["issue"]]
        assert row["status"].split(" ")[0] == rec["status"], (rec["issue"], row)
        since = rec["converged_round"]
        assert row["converged_round"] == ("-" if since is None else str(since))
        for field in ("forecast", "mean", "final_dispersion"):
            assert float(row[field]) == pytest.approx(rec[field], abs=0.0051), (rec["issue"],
                                                                                field)
        assert float(row["baseline"]) == pytest.approx(baseline.forecast_series[tb, k],
                                                       abs=0.0051)
        mm = rec["moved_most"]
        if mm is None or mm["change"] == 0:
            assert row["moved_most"] == "-"
        else:
            name, change = row["moved_most"].rsplit(" ", 1)
            assert name == result.actor_name(mm["actor"])
            assert float(change) == pytest.approx(mm["change"], abs=0.0051)


def non_blank(png: bytes) -> bool:
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(png), format="png")
    colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    return img.std() > 0.05 and len(colours) > 50


def save_small_png(png: bytes, path: Path) -> None:
    """A screenshot for the docs: 256 colours (a page is mostly flat colour), under 300 KB."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True)


# -- the test --------------------------------------------------------------------------------
def test_what_if_in_the_browser(server, browser, tmp_path):
    baseline_1 = negsim.run(NATO, rounds=1)
    baseline = negsim.run(NATO)
    what_if_1 = negsim.run(NATO, rounds=1, overrides=WHAT_IF)
    what_if = negsim.run(NATO, overrides=WHAT_IF)
    # the change must show in the table, or this test could not fail
    changed = [a["issue"] for a, b in zip(what_if_1.issue_records(), baseline_1.issue_records())
               if (round(a["mean"], 2), a["moved_most"]) != (round(b["mean"], 2),
                                                              b["moved_most"])]
    assert changed == ["I6"]

    t0 = time.monotonic()
    phases: list[tuple[str, float]] = []

    def phase(name: str) -> None:
        phases.append((name, time.monotonic() - t0))

    first = Tab(browser, server)
    page = first.page
    phase("first tab loaded")
    first.choose_actor("Germany")
    first.choose_issue("I6 Sanctions/NS2")
    page.wait_for_selector('[data-field="salience"][data-baseline="0.85"]')  # Germany on I6
    salience = page.locator(".negsim-salience input[type=text]")
    assert float(salience.input_value()) == pytest.approx(0.85)
    salience.fill("0.1")
    salience.press("Enter")
    page.wait_for_selector(".negsim-pending")
    assert page.locator(".negsim-edits").inner_text() == "Germany on I6: salience 0.85 -> 0.10"
    first.button("Reset")
    first.table(edited="yes", round="0")
    first.button("Step")
    shown = first.read_table(edited="yes", round="1")
    check_table(shown, what_if_1, baseline_1)
    assert shown["I6"]["moved_most"].startswith("Germany")

    phase("reset and step")
    # the baseline overlay is drawn, under this run, in both charts
    for chart, ids in ((".negsim-issue-chart", ["issue-baseline-forecast",
                                                "issue-baseline-actor"]),
                       (".negsim-issues-chart", ["issues-baseline-forecast-I6",
                                                 "issues-baseline-band-I6"])):
        el = page.locator(chart)
        assert el.get_attribute("data-baseline") == "drawn"
        for gid in ids:
            assert gid in el.get_attribute("data-baseline-ids").split()
            assert page.locator(f"{chart} svg g[id='{gid}'] path").count() >= 1, gid
    story = page.locator(".negsim-story").first.inner_text()
    assert "Germany" in story

    phase("charts checked")
    # a second tab has its own model: unchanged, and stepping it leaves the first alone
    second = Tab(browser, server)
    second.table(edited="no", round="0")
    second.button("Step")
    check_table(second.read_table(edited="no", round="1"), baseline_1, baseline_1)
    assert first.read_table() == shown
    phase("second tab stepped")
    # Play runs rounds until paused; where it stopped is the baseline's run of that length
    second.button("▶")
    second.page.wait_for_selector('.negsim-table:not([data-round="0"]):not([data-round="1"])'
                                  ':not([data-round="2"])')
    second.button("❚❚")
    second.page.wait_for_selector("button:has-text('▶')")
    second.page.wait_for_timeout(300)
    rnd, rows = second.read_round_and_table()
    check_table(rows, negsim.run(NATO, rounds=rnd), baseline)

    phase("played")
    # another scenario (a KTAB file, SMP) builds its own model at once, in this tab only
    second.choose_issue("ktab/dummyData_3Dim", "scenario")
    ktab = negsim.run("ktab/dummyData_3Dim", rounds=1)
    assert sorted(second.read_table(edited="no", round="0")) == sorted(ktab.issue_ids)
    second.button("Step")
    check_table(second.read_table(edited="no", round="1"), ktab, ktab)
    assert first.read_table() == shown

    phase("other scenario")
    # to the end: the what-if's whole run, as negsim.run has it
    first.button("Run to the end")
    check_table(first.read_table(edited="yes", round=str(what_if.rounds_run)), what_if,
                baseline)

    phase("run to the end")
    # an event (Germany moves to 70 on I6 in round 2), on top of the salience change
    first.type_number("negsim-event-round", EVENT["round"])
    first.choose_issue("I6 Sanctions/NS2", "event-issue")
    first.type_number("negsim-event-position", EVENT["position"])
    first.button("Add event")
    assert page.locator(".negsim-event").inner_text() == "round 2: Germany on I6: position 70"
    first.button("Reset")
    first.table(edited="yes", round="0")
    first.button("Run to the end")
    with_event = negsim.run(NATO, overrides={**WHAT_IF, "events": [EVENT]})
    check_table(first.read_table(edited="yes", round=str(with_event.rounds_run)), with_event,
                baseline)

    phase("event run")
    png = page.screenshot(full_page=True)
    assert non_blank(png)
    (tmp_path / "dashboard.png").write_bytes(png)
    target = os.environ.get("NEGSIM_DASHBOARD_SCREENSHOT")
    if target:  # the whole page, tall enough for the table and the story
        page.set_viewport_size({"width": 1440, "height": 2000})
        page.wait_for_timeout(1000)
        save_small_png(page.screenshot(), Path(target))

    for tab in (first, second):
        assert tab.errors == [], tab.errors
        assert tab.foreign_requests() == []
        tab.close()
    print(f"first page usable after {first.load_seconds:.1f} s, second after "
          f"{second.load_seconds:.1f} s; phases: "
          + ", ".join(f"{name} {t:.1f} s" for name, t in phases))


# -- the command and its pieces, without a browser -----------------------------------------------
def test_refuses_other_hosts_unless_asked():
    out = subprocess.run([sys.executable, "-m", "negsim", "dashboard", "--host", "0.0.0.0"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "--allow-remote" in out.stderr
    assert serve.is_loopback("127.0.0.1") and serve.is_loopback("::1")
    assert serve.is_loopback("localhost") and not serve.is_loopback("192.168.1.2")


def test_bad_file_fails_in_the_terminal(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("metadata: {title: x}\nissues: {}\nactors: {}\n")
    out = subprocess.run([sys.executable, "-m", "negsim", "dashboard", str(bad), "--port", "0"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "bad.yaml" in out.stderr


def test_missing_extra_is_a_clear_message(monkeypatch, capsys):
    from negsim.commands import dashboard

    monkeypatch.setattr(dashboard, "_missing_extra", lambda: "solara")
    assert negsim.cli.main(["dashboard", "--port", "0"]) == 1
    assert "pip install 'negsim[dashboard]'" in capsys.readouterr().err


def test_offline_assets_are_there():
    assets = serve.assets_dir()
    assert assets is not None, "pip install --no-deps solara-assets==1.58.2"
    need = serve.required_assets()
    assert any(p.startswith("@widgetti/solara-vuetify-app@") for p in need)
    assert serve.missing_assets(assets) == []
    env = serve.server_env(None, {})
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(assets)
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


def test_setup_becomes_overrides_on_the_validated_scale():
    """KTAB files write saliences 0-100; the page edits the validated scenario's 0-1 values."""
    s = state.open_setup("ktab/dummyData_3Dim")
    assert state.open_setup(state.scenario_choices()["ktab/dummyData_3Dim"]).source == \
        "ktab/dummyData_3Dim"
    actor, issue = s.scenario.actor_ids[0], s.scenario.issue_ids[0]
    c = state.cell(s, actor, issue)
    assert 0 <= c.salience <= 1
    s2 = state.with_edit(s, actor, issue, "salience", 0.9)
    s2 = state.with_edit(s2, actor, issue, "capability", 5.0)
    s2 = state.with_event(s2, state.make_event(2, actor, issue=issue, position=10.0))
    assert state.problems(s2) == []
    case = s2.scenario.replace(state.overrides(s2))
    assert case.actors[actor].issues[issue].salience == 0.9
    assert case.actors[actor].capability_by_issue[issue] == 5.0
    assert case.events[-1].position == 10.0
    # an edit back to the scenario's value is no edit
    assert state.with_edit(s2, actor, issue, "salience", c.salience).edits[(actor, issue)] == \
        {"capability": 5.0}
    wrong = state.with_event(s, {"round": 1, "actor": "nobody", "salience": 0.5})
    assert any("nobody" in line for line in state.problems(wrong))
    eum = state.with_rule(s, "eum")
    assert state.problems(eum) == []
    assert any("q" in line and "<= 1" in line for line in
               state.problems(state.with_param(eum, "q", 2.0)))


def test_live_model_matches_run_and_stops():
    s = state.with_edit(state.open_setup("nato_russia_2022"), "germany", "I6", "salience", 0.1)
    kw = state.model_kwargs(s)
    live = state.LiveModel(**kw)
    live.finish()
    rounds = live.round
    live.step()                                    # after the end: nothing happens
    assert live.round == rounds
    expected = negsim.run(NATO, overrides=WHAT_IF)
    assert live.snapshot().issue_records() == expected.issue_records()
    base = state.LiveModel(**state.baseline_kwargs(kw))
    base.finish()
    assert base.snapshot().issue_records() == negsim.run(NATO).issue_records()
