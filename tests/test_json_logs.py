"""LOG_FORMAT=json: one JSON line per request (successful ones too) with what an operator needs, never a
token or a value a client sent; a real `kkr serve` writes nothing but JSON lines.

The in-process server's records reach `caplog`; each request's line is found by its request id.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import URL

from kkr.platform.json_logs import JsonFormatter, redacted
from kkr.platform.settings import Settings

from .api_client import SJAELLAND_READ
from .conftest import LiveServer, _free_port
from .processes import serve_env, stop_process, wait_until_answering
from .tokens import bearer

SEARCH = "query Search($s: String) { goals(search: $s) { totalCount } }"
KKR = Path(sys.executable).with_name("kkr")


@pytest.fixture(scope="module")
def json_server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings.model_copy(update={"log_format": "json"})) as server:
        yield server


def line_of(caplog: pytest.LogCaptureFixture, request_id: str) -> dict[str, Any]:
    """The one request line of `request_id` (written just after the answer: wait a moment)."""
    deadline = time.monotonic() + 5
    while True:
        found = [r for r in caplog.records if r.name == "kkr.request" and request_id in r.getMessage()]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    [record] = found
    line = json.loads(record.getMessage())
    formatted = json.loads(JsonFormatter().format(record))  # what the console shows: the same, timestamped
    assert formatted["logger"] == "kkr.request" and formatted["time"].endswith("Z")
    assert {k: v for k, v in formatted.items() if k not in ("time", "level", "logger")} == line
    return line


def test_every_request_has_one_line_with_caller_operation_hash_and_statements(
    json_server: LiveServer, caplog: pytest.LogCaptureFixture, demo_data
) -> None:
    caplog.set_level(logging.INFO)
    token = bearer(SJAELLAND_READ, subject="editor@sjaelland")
    search = {"query": SEARCH, "variables": {"s": "tilskud"}, "operationName": "Search"}
    miss, hit = (httpx.post(f"{json_server.url}/graphql", json=search, headers=token) for _ in range(2))
    assert miss.status_code == hit.status_code == 200 and "errors" not in miss.json()
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("miss", "hit")
    first, second = (line_of(caplog, r.headers["x-request-id"]) for r in (miss, hit))
    for line, response in ((first, miss), (second, hit)):
        assert line["request_id"] == response.headers["x-request-id"]
        assert (line["message"], line["status"], line["method"], line["path"]) == ("request", 200, "POST", "/graphql")
        assert (line["client"], line["read_tenants"], line["write_tenants"]) == ("editor@sjaelland", ["sjaelland"], [])
        assert line["operation"] == "Search" and line["codes"] == [] and line["error"] is None
        assert isinstance(line["duration_ms"], float) and 0 < line["duration_ms"] < 30_000
    assert first["document_hash"] == "sha256:" + hashlib.sha256(SEARCH.encode()).hexdigest()
    assert second["document_hash"] is None  # a hit is answered before the document is parsed
    # The miss: the rate limit's statement, the tenant context and the search; the hit: the rate limit's
    # statement alone (it reads the data versions for the cache too).
    assert first["sql_statements"] >= 3 and second["sql_statements"] == 1

    refused = httpx.post(f"{json_server.url}/graphql", content=b"{", headers={"Content-Type": "application/json"})
    line = line_of(caplog, refused.headers["x-request-id"])
    assert (line["message"], line["status"], line["codes"], line["client"]) == (
        "request failed",
        400,
        ["BAD_REQUEST"],
        "anonymous",
    )
    assert line["operation"] is None and line["document_hash"] is None and line["sql_statements"] == 1
    health = httpx.get(f"{json_server.url}/healthz")
    assert line_of(caplog, health.headers["x-request-id"])["sql_statements"] == 0


def test_no_token_or_secret_reaches_the_log(
    json_server: LiveServer, caplog: pytest.LogCaptureFixture, demo_data
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = f"s3cr3t-{uuid.uuid4().hex}!"
    token = bearer(SJAELLAND_READ)
    forged = "eyJhbGciOiJub25lIn0." + uuid.uuid4().hex + ".x"
    responses = [
        httpx.post(f"{json_server.url}/graphql", json={"query": SEARCH, "variables": {"s": secret}}, headers=token),
        httpx.post(  # a type error: GraphQL's message quotes the variable's value
            f"{json_server.url}/graphql",
            json={"query": "query Year($y: Int) { goals(year: $y) { totalCount } }", "variables": {"y": secret}},
            headers=token,
        ),
        httpx.get(
            f"{json_server.url}/graphql",
            params={"query": SEARCH, "variables": json.dumps({"s": secret})},
            headers=token,
        ),
        httpx.post(f"{json_server.url}/graphql", json={"query": SEARCH}, headers={"Authorization": f"Bearer {forged}"}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 401]
    assert secret in responses[1].text  # the caller is told its value; the log is not
    lines = [line_of(caplog, r.headers["x-request-id"]) for r in responses]
    assert lines[1]["codes"] == ["BAD_REQUEST"] and lines[1]["error"] == "Variable '$y' has invalid value …"
    assert lines[3]["codes"] == ["invalid_token"]
    # Every record of the server side (the test's own HTTP client logs its URLs: not the server's log).
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert len(server) >= 4
    written = [JsonFormatter().format(r) for r in server] + [logging.Formatter().format(r) for r in server]
    credential = token["Authorization"].removeprefix("Bearer ")
    for text in written:
        assert secret not in text and credential not in text and forged not in text


def test_redaction_keeps_names_and_drops_values() -> None:
    assert redacted('Cannot query field "nope" on type "Query".') == 'Cannot query field "nope" on type "Query".'
    assert (
        redacted("Variable '$y' got invalid value 'x y'; Int cannot represent") == "Variable '$y' got invalid value …"
    )
    assert redacted("Expected value of type 'Int!', found \"a b\".") == "Expected value of type '…', found \"…\"."


def test_kkr_serve_writes_only_json_lines(settings: Settings, owner_url: URL, demo_data, tmp_path: Path) -> None:
    """A real server process: uvicorn's own lines are JSON too, and its access log (full URLs) is silent."""
    port = _free_port()
    env = serve_env(settings, owner_url, LOG_FORMAT="json", LOG_LEVEL="info", RATE_LIMIT_ENABLED="true")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen([str(KKR), "serve", "--port", str(port)], env=env, cwd=tmp_path, stdout=out, stderr=out)
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    token = bearer(SJAELLAND_READ)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(proc, f"{base}/readyz", 60, lambda: log_path.read_text(errors="replace")[-4000:])
        answer = httpx.get(
            f"{base}/graphql", params={"query": SEARCH, "variables": json.dumps({"s": secret})}, headers=token
        )
        assert answer.status_code == 200, answer.text
        request_id = answer.headers["x-request-id"]
    finally:
        stop_process(proc)
    text = log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    serve_lines = text.splitlines()
    # The CLI's own lines before the server starts (migrations) come from its basicConfig: not JSON.
    started = next(i for i, line in enumerate(serve_lines) if line.startswith("{"))
    assert all(line.startswith("{") for line in serve_lines[started:]), serve_lines[started:]
    assert [line["request_id"] for line in lines if line.get("request_id") == request_id] == [request_id]
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    assert secret not in text and token["Authorization"].removeprefix("Bearer ") not in text
