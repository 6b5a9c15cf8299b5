"""GraphiQL at /graphql in development: served with all its assets by the platform itself.

The browser test loads the page in headless Chromium (skipped when Chromium is
not installed), checks that GraphiQL rendered and fetched the schema, and reads
Chromium's network log to prove no request left 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from kkr.platform.graphiql import ASSETS, STATIC_PATH, offline_graphiql_html

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)),
                None)


def test_the_page_refers_to_local_assets_only() -> None:
    html = offline_graphiql_html()
    assert "unpkg.com" not in html and "https://" not in html.split("<script>")[0]
    for local in ASSETS.values():
        assert f'"{STATIC_PATH}/{local}"' in html


def test_graphiql_page_and_assets_are_served(client: httpx.Client) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "KKR platform GraphiQL" in page.text and "unpkg.com" not in page.text
    for local in ASSETS.values():
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


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_graphiql_renders_in_a_browser_without_internet(live_server, demo_data, tmp_path: Path) -> None:  # noqa: ANN001
    """The screenshot stays in pytest's tmp_path (graphiql.png) for a look by eye."""
    if True:
        tmp = str(tmp_path)
        net_log = Path(tmp) / "net-log.json"
        screenshot = Path(tmp) / "graphiql.png"
        base = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-default-apps",
            # Chromium asks Google for form-field hints about every page it shows; not the page's request.
            "--disable-features=AutofillServerCommunication",
            f"--user-data-dir={tmp}/profile", "--window-size=1400,900", "--virtual-time-budget=15000",
        ]
        # Any host but 127.0.0.1 is unresolvable: the page must render from this server alone.
        base.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        url = f"{live_server.url}/graphql"
        dom = subprocess.run(
            [*base, f"--log-net-log={net_log}", "--dump-dom", url],
            capture_output=True, text=True, timeout=120, check=False,
        ).stdout
        subprocess.run([*base, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=False)

        assert "graphiql-container" in dom, dom[:2000]
        assert "Loading..." not in dom, "React did not render GraphiQL"
        assert "graphiql-editor" in dom or "graphiql-session" in dom, dom[:2000]
        assert screenshot.is_file() and screenshot.stat().st_size > 10_000

        page_requests = [r for r in _url_requests(net_log) if _made_by_the_page(r, live_server.url)]
        urls = {r["url"] for r in page_requests}
        for local in ASSETS.values():
            assert f"{live_server.url}{STATIC_PATH}/{local}" in urls
        introspection = [r for r in page_requests if r["url"] == f"{live_server.url}/graphql" and r["method"] == "POST"]
        assert introspection, "GraphiQL did not fetch the schema"
        outside = sorted(u for u in urls if urlsplit(u).hostname != "127.0.0.1")
        assert not outside, f"the page made requests that left 127.0.0.1: {outside}"
