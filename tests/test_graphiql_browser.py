"""GraphiQL at /graphql in development: served with all its assets by the platform itself, and usable.

The browser tests drive headless Chromium (skipped when it is not installed, a failure under CI=true) over the DevTools protocol,
through a pipe (`--remote-debugging-pipe`: no extra dependency), the way a person uses the page: open
GraphiQL, paste a token into the Headers editor, read the documentation explorer, paste the dashboard
operation and its variables, press the run button and read the result pane.  Every host but 127.0.0.1 is
unresolvable, and the page's requests (DevTools events and Chromium's network log) prove that no request
left 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from graphql import GraphQLEnumType

from kkr.platform.graphiql import ASSETS, PAGE_SCRIPT, STATIC_PATH, offline_graphiql_html

from .conftest import require
from .paths import REPO_ROOT
from .tokens import mint

CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None
)
MISSING_CHROMIUM = "Chromium is not installed (apt-get install chromium): the GraphiQL browser tests drive it"
DASHBOARD = REPO_ROOT / "frontend-contract" / "operations" / "regional" / "Dashboard.graphql"


def test_the_page_refers_to_local_assets_only() -> None:
    html = offline_graphiql_html()
    assert "unpkg.com" not in html and "https://" not in html
    for local in [*ASSETS.values(), PAGE_SCRIPT]:
        assert f'"{STATIC_PATH}/{local}"' in html
    assert "<script>" not in html, "Strawberry's inline script is replaced by the platform's page script"


def test_graphiql_page_and_assets_are_served(client: httpx.Client) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "KKR platform GraphiQL" in page.text and "unpkg.com" not in page.text
    for local in [*ASSETS.values(), PAGE_SCRIPT]:
        asset = client.get(f"{STATIC_PATH}/{local}")
        assert asset.status_code == 200, local
        assert len(asset.content) > 500
    assert client.get(f"{STATIC_PATH}/../settings.py").status_code == 404


def _url_requests(net_log: Path) -> list[dict[str, str]]:
    """Every URL request Chromium started (url, initiator, network isolation key), from its --log-net-log file."""
    text = net_log.read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",")
    if not text.endswith("}"):  # the log is left unterminated when Chromium exits
        text = text[: text.rfind("},") + 1] + "]}"
    log = json.loads(text)
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"] for e in log["events"] if e["type"] == start_job and "url" in e.get("params", {})]


def _made_by_the_page(request: dict[str, str], origin: str) -> bool:
    """A request of the page (or of scripts it loaded), as opposed to Chromium's own background traffic
    (component updates, sign-in, ...), which has no page as its top frame."""
    top_frame_site = request.get("network_isolation_key", "").split(" ")[0]
    return request.get("initiator") == origin or top_frame_site == "http://127.0.0.1"


def _left_loopback(urls: set[str]) -> list[str]:
    return sorted(u for u in urls if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname != "127.0.0.1")


# --- a small DevTools-protocol client ----------------------------------------------------------------------------


def _above_four(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class Browser:
    """Headless Chromium driven over the DevTools protocol through a pipe: Chromium reads commands from its
    fd 3 and writes replies and events to its fd 4 (NUL-separated JSON)."""

    #: puts the pipe ends on fds 3 and 4 in the child, then becomes Chromium
    LAUNCHER = (
        "import os, sys; a, b = int(sys.argv[1]), int(sys.argv[2]); os.dup2(a, 3); os.dup2(b, 4); "
        "os.close(a); os.close(b); os.execv(sys.argv[3], sys.argv[3:])"
    )

    def __init__(self, chromium: str, *flags: str) -> None:
        to_browser, self._commands = os.pipe()
        self._replies, from_browser = os.pipe()
        to_browser, from_browser = _above_four(to_browser), _above_four(from_browser)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                self.LAUNCHER,
                str(to_browser),
                str(from_browser),
                chromium,
                "--headless",
                "--remote-debugging-pipe",
                *flags,
                "about:blank",
            ],
            pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._last_id = 0
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            if "method" in reply:
                self.events.append(reply)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._replies], [], [], remaining)[0]:
                raise TimeoutError("Chromium did not answer over the DevTools pipe")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def open(self, url: str) -> None:
        """A new tab showing `url`, with page, network and runtime events on."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:100]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.1)
        return value

    def requested_urls(self) -> set[str]:
        return {e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"}

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(RuntimeError, TimeoutError, OSError):
                self.send("Browser.close", timeout=10)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self._commands, self._replies):
            with contextlib.suppress(OSError):
                os.close(fd)


class GraphiQLPage:
    """What a person does on the GraphiQL page (GraphiQL 3's markup; the editors are CodeMirror 5)."""

    TOOL_EDITOR = "section.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
    QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
    RESULT = ".result-window .CodeMirror"

    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        browser.open(url)
        browser.wait_for(f"document.querySelector({json.dumps(self.QUERY_EDITOR)}) !== null", "GraphiQL to render")

    def click(self, selector: str) -> None:
        self.browser.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def click_text(self, selector: str, text: str) -> None:
        found = self.browser.evaluate(
            f"(() => {{ const e = Array.from(document.querySelectorAll({json.dumps(selector)}))"
            f".find(e => e.textContent.trim() === {json.dumps(text)}); if (e) e.click(); return !!e; }})()"
        )
        assert found, f"nothing to click: {selector} {text!r}"

    def paste(self, editor: str, text: str) -> None:
        """Select everything in a CodeMirror editor and paste `text` over it (a real text input event)."""
        self.browser.evaluate(
            f"(() => {{ const cm = document.querySelector({json.dumps(editor)}).CodeMirror;"
            " cm.focus(); cm.execCommand('selectAll'); })()"
        )
        self.browser.send("Input.insertText", text=text)

    def editor_value(self, editor: str) -> str:
        return self.browser.evaluate(f"document.querySelector({json.dumps(editor)}).CodeMirror.getValue()")

    def open_docs(self) -> None:
        if not self.browser.evaluate("document.querySelector('.graphiql-doc-explorer') !== null"):
            self.click('[aria-label="Show Documentation Explorer"]')

    def wait_for_docs(self, text: str, what: str) -> None:
        self.browser.wait_for(
            f"document.querySelector('.graphiql-doc-explorer')?.innerText.includes({json.dumps(text)})", what
        )

    def docs(self) -> str:
        return self.browser.evaluate("document.querySelector('.graphiql-doc-explorer').innerText")

    def text(self) -> str:
        return self.browser.evaluate("document.body.innerText")


FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--window-size=1400,900",
    # Chromium asks Google for form-field hints about every page it shows; not the page's request.
    "--disable-features=AutofillServerCommunication",
    # Any host but 127.0.0.1 is unresolvable: the page must work from this server alone.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """Headless Chromium; skipped without it on a developer's machine, a failure under CI=true (.ci/run installs
    it)."""
    require(CHROMIUM, MISSING_CHROMIUM)
    assert CHROMIUM is not None
    chromium = Browser(
        CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--log-net-log={tmp_path / 'net-log.json'}"
    )
    yield chromium
    chromium.close()


def test_a_person_browses_the_docs_and_runs_the_dashboard_without_internet(
    live_server,
    demo_data,
    browser: Browser,
    tmp_path: Path,
) -> None:
    """The issue's "Done when": open GraphiQL, browse the documentation, run the dashboard query against the demo
    data.  The screenshot stays in pytest's tmp_path (graphiql.png) for a look by eye."""
    from kkr.schema.schema import schema

    page = GraphiQLPage(browser, f"{live_server.url}/graphql")
    assert "Loading..." not in page.text(), "React did not render GraphiQL"

    # Anonymous: a valid schema with only `viewer` (no "Schema is invalid: Type Query must define ...").
    page.open_docs()
    page.wait_for_docs("Viewer", "the anonymous schema in the documentation explorer")
    assert "ResultContract" not in page.docs() and "Schema is invalid" not in page.text()

    # A regional token pasted into the Headers editor: the schema is fetched again by itself.
    page.click_text(".graphiql-editor-tools button", "Headers")
    page.paste(page.TOOL_EDITOR, json.dumps({"Authorization": f"Bearer {mint('region:nordjylland:read')}"}))
    page.wait_for_docs("ResultContract", "the token's schema (no click on Re-fetch)")
    page.click_text(".graphiql-doc-explorer a", "Query")
    assert schema._schema.query_type is not None
    region = schema._schema.query_type.fields["region"].description
    page.wait_for_docs(region, "the region field with its description")
    assert "region(slug: String!): Region" in page.docs()

    # The dashboard operation of the frontend contract, with its variables, run with the play button.
    dashboard = DASHBOARD.read_text(encoding="utf-8")
    page.paste(page.QUERY_EDITOR, dashboard)
    assert page.editor_value(page.QUERY_EDITOR) == dashboard
    page.click_text(".graphiql-editor-tools button", "Variables")
    page.paste(page.TOOL_EDITOR, json.dumps({"region": "nordjylland", "year": 2020}))
    page.click('[aria-label="Execute query (Ctrl-Enter)"]')
    browser.wait_for(
        f"document.querySelector({json.dumps(page.RESULT)}).CodeMirror.getValue().includes('kkrName')",
        "the dashboard's result",
    )
    shown = page.editor_value(page.RESULT)
    result = json.loads(shown)
    assert "errors" not in result, result
    assert result["data"]["region"]["kkrName"] == "KKR Nordjylland"
    assert '"kkrName": "KKR Nordjylland"' in browser.evaluate("document.querySelector('.result-window').innerText")
    statuses = {
        target["fulfilment"]["status"]
        for contract in result["data"]["region"]["resultContracts"]["nodes"]
        for goal in contract["goals"]["nodes"]
        for indicator in goal["indicators"]["nodes"]
        for target in indicator["targets"]["nodes"]
    }
    fulfilment_status = schema._schema.get_type("FulfilmentStatus")
    assert isinstance(fulfilment_status, GraphQLEnumType)
    known = set(fulfilment_status.values)
    assert statuses and statuses <= known, statuses
    assert any(f'"status": "{status}"' in shown for status in statuses)

    screenshot = tmp_path / "graphiql.png"
    screenshot.write_bytes(base64.b64decode(browser.send("Page.captureScreenshot", format="png")["data"]))
    assert screenshot.stat().st_size > 10_000

    # Everything came from this server: the vendored assets, the page script, the schema and the result.
    urls = browser.requested_urls()
    browser.close()
    for local in [*ASSETS.values(), PAGE_SCRIPT]:
        assert f"{live_server.url}{STATIC_PATH}/{local}" in urls
    posts = [
        e
        for e in browser.events
        if e["method"] == "Network.requestWillBeSent"
        and e["params"]["request"]["method"] == "POST"
        and e["params"]["request"]["url"] == f"{live_server.url}/graphql"
    ]
    assert len(posts) >= 3, "expected two introspections (anonymous, then the token's) and the dashboard"
    assert not _left_loopback(urls), f"the page made requests that left 127.0.0.1: {_left_loopback(urls)}"
    logged = {r["url"] for r in _url_requests(tmp_path / "net-log.json") if _made_by_the_page(r, live_server.url)}
    assert f"{live_server.url}/graphql" in logged
    assert not _left_loopback(logged), f"the page made requests that left 127.0.0.1: {_left_loopback(logged)}"


def test_a_token_in_the_url_fragment_fills_the_authorization_header(live_server, demo_data, browser: Browser) -> None:
    token = mint("benchmark:read")
    page = GraphiQLPage(browser, f"{live_server.url}/graphql#token={token}")
    assert browser.evaluate("window.location.hash") == "", "the token stays in the address bar"
    page.click_text(".graphiql-editor-tools button", "Headers")
    assert json.loads(page.editor_value(page.TOOL_EDITOR)) == {"Authorization": f"Bearer {token}"}
    page.open_docs()
    page.wait_for_docs("ComparableFigure", "KL's part of the schema")
    assert "ResultContract" not in page.docs()
