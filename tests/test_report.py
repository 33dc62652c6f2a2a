"""The HTML run report: self-contained, escaped, complete; and it renders in headless Chromium
(Debian's ``chromium``, installed by ``.ci/run``) without console errors.

Chromium is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``:
NUL-separated JSON on file descriptors 3 and 4), so no port, no extra package and no browser
download is needed.
"""

from __future__ import annotations

import base64
import fcntl
import html
import io
import json
import os
import re
import selectors
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import negsim
from negsim.cli import main
from negsim.report import build_report
from negsim.result import RunResult

from .conftest import EMISSION, NATO, NATO_FLAT
from .test_plots import synthetic_scenario

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--remote-debugging-pipe"]


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    result = negsim.run(negsim.scenario_from_dict(synthetic_scenario()), record_pairs=True)
    result.command = "negsim run synth.yaml --set 'x=<y>' --out run"
    d = tmp_path_factory.mktemp("synth") / "run"
    result.save(d)
    return d


@pytest.fixture(scope="module")
def emission_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("emission") / "run"
    assert main(["run", str(EMISSION), "--out", str(d)]) == 0
    return d


@pytest.fixture(scope="module")
def synth_html(synth_dir):
    return build_report(RunResult.load(synth_dir), run_dir=synth_dir, dpi=50)


def _images(doc: str) -> list[Image.Image]:
    out = []
    for data in re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"', doc):
        out.append(Image.open(io.BytesIO(base64.b64decode(data))))
    return out


def test_report_is_self_contained(synth_html):
    doc = synth_html
    assert doc.startswith("<!DOCTYPE html>") and doc.rstrip().endswith("</html>")
    assert "<script" not in doc and "<link" not in doc and "@import" not in doc
    # the only addresses are source links; images are inline data; a CSP forbids the rest
    assert not re.search(r'\ssrc="(?!data:image/png;base64,)', doc)
    assert "default-src 'none'; img-src data:" in doc
    images = _images(doc)
    # small multiples, four issues, the strip, the view from the heaviest actor
    assert len(images) == 7 == doc.count("<img ")
    for img in images:
        assert img.format == "PNG" and img.width > 200 and img.height > 150


def test_report_escapes_every_scenario_text(synth_html):
    doc = synth_html
    assert "Synthetic &lt;test&gt; &amp; co" in doc and "<test>" not in doc
    assert "&lt;markup&gt;" in doc and "<markup>" not in doc
    assert "A &lt;b&gt;bold&lt;/b&gt; source" in doc and "<b>bold</b>" not in doc
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in doc
    # only http(s) addresses become links
    assert 'href="javascript' not in doc and "javascript:alert(1)" in doc
    assert "Fund $5bn" in doc
    assert "--set &#x27;x=&lt;y&gt;&#x27;" in doc


def test_report_has_the_summary_the_moves_and_the_command(synth_html, synth_dir):
    result = RunResult.load(synth_dir)
    text = html.unescape(re.sub(r"<[^>]+>", " ", synth_html.split("<h2>Charts</h2>")[0]))
    rows = re.findall(r"<tr><td>(.*?)</tr>", synth_html)
    assert len(rows) == 4
    for row, iid in zip(rows, result.issue_ids):
        st = result.status(iid)
        assert f'class="status {st.status}"' in row
        assert f"<td class=num>{'–' if st.since is None else st.since}</td>" in row
        k = result.issue_ids.index(iid)
        assert f"<td class=num>{result.median[-1, k]:.4g}</td>" in row
    assert "round 3: A5 shifts on rights (Fund $5bn on R: position 10)" in text
    assert "round 5: Fund $5bn leaves" in text
    for line in result.narrative(10):
        assert html.escape(line, quote=True) in synth_html
    assert "negsim run synth.yaml" in synth_html and "seed 0" in synth_html
    assert f"negsim run {synth_dir / 'scenario.yaml'} --seed 0 --out DIR" in synth_html
    assert "nan" not in text.lower().split() and "inf" not in text.lower().split()


def test_report_command(emission_dir, tmp_path, capsys):
    assert main(["report", str(emission_dir), "--actor", "belgium", "--dpi", "50"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == emission_dir / "report.html"
    doc = path.read_text()
    assert "View from Belgium" in doc
    assert "negsim run " + str(EMISSION) in doc
    out = tmp_path / "sub" / "r.html"
    assert main(["report", str(emission_dir), "--out", str(out), "--dpi", "40"]) == 0
    # one issue: convergence, strip, view; no small multiples repeating the convergence chart
    assert out.read_text().count("<img ") == 3


@pytest.mark.parametrize("args, message", [
    (["report", "{missing}"], "no such run directory"),
    (["report", "{run}", "--actor", "atlantis"], "--actor: unknown actor"),
    (["report", "{run}", "--issue", "nope"], "--issue: unknown issue"),
    (["report", "{median}", "--actor", "belgium"], "records no expected utilities"),
    (["report", "{run}", "--dpi", "0"], "--dpi: must be between"),
])
def test_bad_report_requests_exit_2(args, message, emission_dir, tmp_path, capsys):
    median = tmp_path / "median"
    negsim.run(EMISSION, rule="median").save(median)
    where = {"run": str(emission_dir), "missing": str(tmp_path / "nope"), "median": str(median)}
    out = tmp_path / "r.html"
    assert main([a.format(**where) for a in args] + ["--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


# -- headless Chromium ----------------------------------------------------------------------
def chromium_binary() -> str:
    found = os.environ.get("NEGSIM_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not found:
        pytest.fail("headless Chromium is needed to test the report: install Debian's "
                    "package (apt-get install -y chromium); .ci/run does this")
    return found


class Browser:
    """A headless Chromium driven over the DevTools pipe; collects the page's problems."""

    def __init__(self, width: int = 1200, height: int = 900):
        self.profile = tempfile.mkdtemp(prefix="negsim-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # Move the child's ends above 10 so that placing them at 3 and 4 clobbers nothing.
        hi_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)

        def child_fds() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             "about:blank"], pass_fds=(3, 4), preexec_fn=child_fds,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in (to_chrome_r, from_chrome_w, hi_r, hi_w):
            os.close(fd)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._from_chrome, selectors.EVENT_READ)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target,
                                                           "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False}, session=True)

    def _read(self, until, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if until(message):
                    return message
                if "method" in message:
                    self.events.append(message)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            if self._selector.select(left):
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed the DevTools pipe")
                self._buffer += chunk

    def call(self, method: str, params: dict | None = None, session: bool = False) -> dict:
        self._next_id += 1
        ident = self._next_id
        msg: dict = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        reply = self._read(lambda m: m.get("id") == ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def load(self, url: str) -> None:
        self.call("Page.navigate", {"url": url}, session=True)
        self._read(lambda m: m.get("method") == "Page.loadEventFired")

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                              "awaitPromise": True},
                         session=True)["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, failed loads and any request
        that leaves the file (file:, data: and about: only)."""
        out = []
        for ev in self.events:
            method, params = ev["method"], ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                                "warning",
                                                                                "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                  for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: " + params["exceptionDetails"].get("text", ""))
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error",
                                                                             "warning"):
                out.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
            elif method == "Network.loadingFailed":
                out.append(f"failed load: {params.get('errorText')}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    out.append(f"external request: {url}")
        return out

    def screenshot(self, full_page: bool = True) -> Image.Image:
        params: dict = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"],
                                "height": min(size["height"], 12000), "scale": 1})
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        return Image.open(io.BytesIO(base64.b64decode(data)))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def browser():
    b = Browser()
    yield b
    b.close()


def test_the_browser_harness_catches_page_errors(browser, tmp_path):
    """A page with a console error, an exception, a missing image and an outside request must
    be reported: otherwise a clean report would prove nothing."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><p>bad</p><img src='missing.png'>"
                    "<img src='https://example.invalid/x.png'>"
                    "<script>console.error('boom'); null.f();</script></body></html>")
    browser.load(page.as_uri())
    problems = browser.problems()
    assert any(p == "console: boom" for p in problems), problems
    assert any(p.startswith("exception:") for p in problems), problems
    assert any("ERR_FILE_NOT_FOUND" in p for p in problems), problems
    assert any(p.startswith("external request: https://example.invalid") for p in problems)


def test_report_renders_in_headless_chromium(browser, emission_dir, tmp_path):
    path = tmp_path / "report.html"
    assert main(["report", str(emission_dir), "--actor", "belgium", "--out", str(path),
                 "--dpi", "80"]) == 0
    browser.load(path.as_uri())
    assert browser.problems() == []
    state = browser.evaluate(
        "({title: document.title, h1: document.querySelector('h1').textContent,"
        " images: [...document.images].map(i => [i.complete, i.naturalWidth, i.width]),"
        " rows: document.querySelectorAll('table tr').length,"
        " width: document.documentElement.scrollWidth})")
    assert state["h1"] == "EC emission standards for medium-sized cars (BDM 1994)"
    assert state["title"].endswith("negsim report")
    assert len(state["images"]) == 3
    for complete, natural, shown in state["images"]:
        assert complete and natural > 300 and 300 < shown <= 1120
    assert state["rows"] == 2
    assert state["width"] <= 1200           # nothing overflows the window sideways
    shot = browser.screenshot()
    shot_path = tmp_path / "report.png"
    shot.save(shot_path)
    assert shot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.width == 1200 and 2000 < shot.height <= 12000
    pixels = np.asarray(shot.convert("RGB"), dtype=float)
    assert pixels.std() > 20                          # not a blank page
    assert (pixels.mean(axis=2) < 100).mean() > 0.01  # dark text and lines are drawn
    colours = {tuple(c) for c in pixels[::7, ::7].astype(int).reshape(-1, 3)}
    assert len(colours) > 50                          # charts, not just text
    assert browser.problems() == []


def test_a_large_scenario_report_fits_the_window(browser, tmp_path):
    """33 actors, 7 issues and long source addresses: nothing overflows sideways."""
    run = tmp_path / "nato"
    assert main(["run", str(NATO), "--rounds", "3", "--out", str(run)]) == 0
    assert main(["report", str(run), "--dpi", "40"]) == 0
    browser.load((run / "report.html").as_uri())
    assert browser.problems() == []
    state = browser.evaluate("({width: document.documentElement.scrollWidth,"
                             " images: document.images.length,"
                             " links: document.querySelectorAll('ol.sources a').length})")
    assert state["width"] <= 1200
    assert state["images"] == 1 + 7 + 1 + 1
    assert state["links"] > 20


# -- headers, reuse of the plotted charts, the two-run report --------------------------------
from .test_whatif_plots import pair_dirs  # noqa: E402,F401 - the flagship and a what-if

#: For every header cell, whether one of its words is split across lines (a Range over the
#: word gives one client rectangle per line it sits on).
SPLIT_WORDS = """(() => {
  const out = [];
  for (const th of document.querySelectorAll('th')) {
    const node = th.firstChild;
    if (!node || node.nodeType !== 3) continue;
    const text = node.textContent;
    const re = /\\S+/g; let m;
    while ((m = re.exec(text)) !== null) {
      const r = document.createRange();
      r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
      const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
      out.push([m[0], lines.size, th.getBoundingClientRect().width]);
    }
  }
  return out;
})()"""


def test_table_headers_wrap_between_words_only(synth_html):
    css = re.search(r"<style>(.*)</style>", synth_html, re.S).group(1)
    table_rule = re.search(r"\btable \{([^}]*)\}", css).group(1)
    th_rule = re.search(r"\bth, td \{([^}]*)\}", css).group(1)
    for rule in (table_rule, th_rule):
        assert "overflow-wrap: normal" in rule and "word-break: normal" in rule
    assert ".table-wrap { overflow-x: auto" in css
    assert synth_html.count("<div class=table-wrap><table>") == synth_html.count("<table>")


@pytest.fixture(scope="module")
def nato_report(tmp_path_factory):
    run = tmp_path_factory.mktemp("nato3") / "run"
    assert main(["run", str(NATO), "--rounds", "3", "--out", str(run)]) == 0
    assert main(["report", str(run), "--dpi", "30"]) == 0
    return run / "report.html"


def test_headers_are_never_split_inside_a_word(browser, nato_report):
    """In Chromium, at a desktop, a tablet and a phone width, no header word is broken over
    two lines (the table scrolls in its box instead), and the page does not overflow."""
    for width in (1200, 640, 420):
        browser.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900,
                                                            "deviceScaleFactor": 1,
                                                            "mobile": False}, session=True)
        browser.load(nato_report.as_uri())
        words = browser.evaluate(SPLIT_WORDS)
        assert {w for w, _, _ in words} >= {"forecast", "dispersion", "round", "moved"}
        assert [w for w, lines, _ in words if lines != 1] == [], width
        assert browser.evaluate("document.documentElement.scrollWidth") <= width
    assert browser.problems() == []


def test_report_embeds_the_charts_plot_wrote_and_only_fresh_ones(pair_dirs, tmp_path, capsys):
    base, _ = pair_dirs
    run = tmp_path / "run"
    shutil.copytree(base, run)
    assert main(["plot", str(run), "--dpi", "40"]) == 0
    capsys.readouterr()
    assert main(["report", str(run), "--dpi", "40"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(run / "report.html")
    assert f"wrote the report to {run / 'report.html'}" in err
    assert "10 charts, 10 of them from" in err
    doc = (run / "report.html").read_text()
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', doc)
    files = {base64.b64encode((run / "figures" / name).read_bytes()).decode()
             for name in ("multiples.png", "strip.png", "convergence-I4.png",
                          "quadrant-united_states-I1-r1.png")}
    assert files <= set(embedded)
    # other options, or other records, and the charts are drawn again
    assert main(["report", str(run), "--dpi", "40", "--highlight", "germany"]) == 0
    assert "of them from" not in capsys.readouterr().err
    shutil.copytree(run / "figures", tmp_path / "old")
    assert main(["run", str(NATO), "--rounds", "3", "--out", str(run)]) == 0
    shutil.copytree(tmp_path / "old", run / "figures")      # charts of the earlier records
    capsys.readouterr()
    assert main(["report", str(run), "--dpi", "40"]) == 0
    assert "of them from" not in capsys.readouterr().err


@pytest.fixture(scope="module")
def two_run_report(pair_dirs, tmp_path_factory):
    base, whatif = pair_dirs
    path = tmp_path_factory.mktemp("two") / "whatif.html"
    assert main(["report", str(whatif), "--baseline", str(base), "--out", str(path),
                 "--dpi", "40"]) == 0
    return path


def test_two_run_report_shows_both_runs(two_run_report):
    doc = two_run_report.read_text()
    text = html.unescape(re.sub(r"<[^>]+>", " ", doc))
    assert "a what-if against its baseline" in text and "What changed" in text
    assert ("event added, round 8: Norway presses for reciprocal transparency (Norway on I4: "
            "position 50, salience 0.9)") in text
    # one row per issue, every column before and after
    rows = re.findall(r"<tr><td>(.*?)</tr>", doc)
    assert len(rows) == 7
    (i4,) = [r for r in rows if r.startswith("I4 ")]
    assert 'class="status unsettled"' in i4 and 'class="status consensus"' in i4
    assert "<span class=before>25.7</span><br><span class=arrow>→</span>" \
           "<span class=changed>50</span>" in i4
    assert "<td class=num>+24.3</td>" in i4
    (i1,) = [r for r in rows if r.startswith("I1 ")]
    assert "(same)" in i1 and "class=changed" not in i1
    # the what-if charts: multiples, seven by-round charts and the strip
    assert len(_images(doc)) == 9
    assert "negsim run " + str(NATO_FLAT) + " --set" in doc and doc.count("<pre><code>") == 4
    assert "Largest moves in the what-if" in doc


def test_two_run_report_renders_in_headless_chromium(browser, two_run_report):
    browser.load(two_run_report.as_uri())
    assert browser.problems() == []
    state = browser.evaluate(
        "({h1: document.querySelector('h1').textContent,"
        " h2: [...document.querySelectorAll('h2')].map(h => h.textContent),"
        " images: [...document.images].map(i => [i.complete, i.naturalWidth]),"
        " rows: document.querySelectorAll('table tr').length,"
        " table: [...document.querySelectorAll('.table-wrap')].map(t => t.scrollWidth"
        "        - t.clientWidth),"
        " width: document.documentElement.scrollWidth})")
    assert state["h1"].endswith("a what-if against its baseline")
    assert state["table"] == [0]          # the before/after table fits a 1200-pixel window
    assert state["h2"][:2] == ["What changed",
                               "Which issues converge, when and where: baseline → what-if"]
    assert len(state["images"]) == 9 and all(ok and w == 512 for ok, w in state["images"])
    assert state["rows"] == 8 and state["width"] <= 1200
    assert [w for w, lines, _ in browser.evaluate(SPLIT_WORDS) if lines != 1] == []
    assert browser.problems() == []


def test_two_run_report_errors(pair_dirs, tmp_path, capsys):
    base, whatif = pair_dirs
    other = tmp_path / "emission"
    negsim.run(EMISSION).save(other)
    for args, message in [(["--baseline", str(other)], "not of the same scenario"),
                          (["--baseline", str(base), "--actor", "russia"], "no 'view from"),
                          (["--baseline", str(tmp_path / "nope")], "no such run directory")]:
        out = tmp_path / "r.html"
        assert main(["report", str(whatif), *args, "--out", str(out)]) == 2
        assert message in capsys.readouterr().err
        assert not out.exists()
