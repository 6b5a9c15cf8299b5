"""One log line per failed request, tracebacks only for unexpected errors, no long values (issue 10, "Errors").

The live server runs in this process, so `caplog` sees its records: each test counts the records of its
requests (by request id) and measures every line written while they ran.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from starlette.types import Message, Receive, Scope, Send

from kkr.platform.request_log import LOG_VALUE_CHARS, RequestEnvelope, clip

from .api_client import SJAELLAND_READ
from .tokens import bearer

#: Longest line any record of these requests may have: the fields' clipped values and the field names.
MAX_LINE = 4 * LOG_VALUE_CHARS + 400


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO)
    yield caplog


def lines_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every line the server side wrote (the test's own HTTP client logs its URLs: not the server's log)."""
    return [
        line
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
        for line in record.getMessage().splitlines()
    ]


def of_request(caplog: pytest.LogCaptureFixture, request_id: str, *, expected: int = 1) -> list[logging.LogRecord]:
    """The records of one request; the line is written just after the response is sent, so wait a moment."""
    deadline = time.monotonic() + 5
    while True:
        found = [r for r in caplog.records if f"request_id={request_id}" in r.getMessage()]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_a_callers_mistake_is_one_line_without_traceback(client: httpx.Client, records, demo_data) -> None:
    response = client.post(
        "/graphql",
        json={"query": "query Mistake { goals(year: 2147483647) { totalCount } }"},
        headers=bearer(SJAELLAND_READ, subject="editor@sjaelland"),
    )
    request_id = response.headers["x-request-id"]
    [record] = of_request(records, request_id)
    message = record.getMessage()
    assert record.name == "kkr.request" and record.levelno == logging.WARNING and "\n" not in message
    for part in (
        f"request_id={request_id}",
        "status=200",
        "client=editor@sjaelland",
        "operation=Mistake",
        "codes=BAD_USER_INPUT",
        "message=Argument 'year' must be a year",
    ):
        assert part in message, message
    assert not [r for r in records.records if r.name.startswith("strawberry")]  # no per-error traceback
    assert "Traceback" not in records.text


def test_refusals_before_graphql_are_one_line_each(client: httpx.Client, records) -> None:
    refusals = [
        client.post("/graphql", content=b"{", headers={"Content-Type": "application/json"}),  # 400 BAD_REQUEST
        client.post("/graphql", json={"query": "{ regions { slug }"}, headers=bearer(SJAELLAND_READ)),  # syntax
        client.post("/graphql", json={"query": "{ regions { slug } }"}, headers={"Authorization": "Bearer x"}),
    ]
    for response, code in zip(refusals, ("BAD_REQUEST", "BAD_REQUEST", "invalid_token"), strict=True):
        [record] = of_request(records, response.headers["x-request-id"])
        assert f"status={response.status_code}" in record.getMessage() and f"codes={code}" in record.getMessage()
        assert "\n" not in record.getMessage()
    ok = client.post("/graphql", json={"query": "{ regions { slug } }"}, headers=bearer(SJAELLAND_READ))
    time.sleep(0.3)  # a line would be written just after the response
    assert of_request(records, ok.headers["x-request-id"], expected=0) == []  # only failed requests


def test_huge_values_never_reach_the_log(client: httpx.Client, records, demo_data) -> None:
    """A variable near the body limit (the issue's 10 MB search wrote 46.5 MB of log) and a long URL."""
    huge = "ord " * 200_000  # 800 KB, under MAX_BODY_BYTES
    responses = [
        client.post(
            "/graphql",
            json={"query": "query($s: String) { goals(search: $s) { totalCount } }", "variables": {"s": huge}},
            headers=bearer(SJAELLAND_READ),
        ),
        client.post(
            "/graphql",
            json={"query": "query($y: Int) { goals(year: $y) { totalCount } }", "variables": {"y": huge}},
            headers=bearer(SJAELLAND_READ),
        ),
        client.post("/graphql", json={"query": "{ " + "x" * 50_000 + " }"}, headers=bearer(SJAELLAND_READ)),
        client.get(
            "/graphql",
            params={"query": "{ nope }", "variables": '{"a": "' + "v" * 30_000 + '"}'},
            headers=bearer(SJAELLAND_READ),
        ),
    ]
    for response in responses:
        assert response.headers["content-type"].startswith("application/json"), response.text[:200]
        assert len(of_request(records, response.headers["x-request-id"])) == 1, response.text[:300]
    longest = max(map(len, lines_of(records)))
    assert longest <= MAX_LINE, longest
    assert sum(map(len, lines_of(records))) < 20_000


def test_an_unexpected_error_logs_its_traceback_once_with_the_request_id(records) -> None:
    """In process: an application that fails with a bug (its message holding a long value)."""
    import asyncio

    secret = "s" * 10_000

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise KeyError(secret)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    scope: Scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": [(b"x-request-id", b"rid-bug-1")]}
    asyncio.run(RequestEnvelope(app, request_timeout_seconds=5)(scope, receive, send))
    [record] = of_request(records, "rid-bug-1")
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert "codes=INTERNAL_SERVER_ERROR" in message and "Traceback (most recent call last)" in message
    assert "KeyError" in message and secret not in message
    assert max(map(len, message.splitlines())) <= MAX_LINE


def test_masked_errors_in_a_graphql_result_log_the_exception_behind_them() -> None:
    from sqlalchemy.exc import DBAPIError

    from kkr.schema.masking import Presenter

    report: dict[str, Any] = {}
    cause = DBAPIError("SELECT 1", {}, Exception("boom"))
    Presenter(request_id="r", statement_timeout=1, report=report)(
        [GraphQLError("x", path=["a"], original_error=cause), GraphQLError("fine", path=["b"])]
    )
    assert report["unexpected"] == [cause]


def test_clip_cuts_and_flattens() -> None:
    assert clip("a\nb  c") == "a b c"
    assert clip("x" * 1000).startswith("x" * LOG_VALUE_CHARS) and clip("x" * 1000).endswith("[1000 chars]")
    assert clip(None) == "-"
