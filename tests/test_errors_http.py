"""Every answer of /graphql is well-formed GraphQL-over-HTTP JSON, whatever goes wrong (issue 10, "Errors").

Against the live server: queries whose failing field made graphql-core cancel its siblings (which used to
leave the shared session's connection closed and answer with the driver's text, or cancel a DataLoader
future another field shared and escape to uvicorn as a plain-text 500), request ids.  Against
`RequestEnvelope` directly: the safety net for what still escapes the application, the time limit and
uvicorn's shutdown cancellation.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError
from starlette.types import Message, Scope

from kkr.platform.request_log import RequestEnvelope
from kkr.schema.masking import Presenter

from .api_client import NORDJYLLAND_READ, SJAELLAND_READ
from .tokens import bearer

BAD_CURSOR = "bm9wZQ=="  # base64 of "nope": no cursor this API handed out
DRIVER_WORDS = ("sqlalchemy", "asyncpg", "Transaction", "CancelledError", "Traceback", "connection is closed")


def _well_formed(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert body.get("errors") or "data" in body, body
    for error in body.get("errors") or []:
        assert error["extensions"]["code"], error
        assert not any(word in error["message"] for word in DRIVER_WORDS), error
    return body


@pytest.mark.parametrize(
    "sibling", ["growthTeams { totalCount }", "businessHubs { nodes { name } }", "climateInitiatives { totalCount }"]
)
def test_a_failing_field_cancels_its_siblings_and_the_caller_gets_the_argument_error(
    client: httpx.Client, demo_data, sibling: str
) -> None:
    query = f'{{ region(slug: "nordjylland") {{ municipalities(after: "{BAD_CURSOR}") {{ totalCount }} {sibling} }} }}'
    for _ in range(3):  # every time, and the server stays healthy afterwards
        response = client.post("/graphql", json={"query": query}, headers=bearer(NORDJYLLAND_READ))
        assert response.status_code == 200, response.text
        body = _well_formed(response)
        assert body["data"] == {"region": None}
        assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
            ("Argument 'after' is not a valid cursor.", "BAD_USER_INPUT")
        ]
    ok = client.post("/graphql", json={"query": "{ regions { slug } }"}, headers=bearer(NORDJYLLAND_READ))
    assert ok.status_code == 200 and "errors" not in ok.json()


def test_a_cancelled_field_does_not_cancel_the_loader_future_another_field_shares(
    client: httpx.Client, demo_data
) -> None:
    hubs = "businessHubs { nodes { name offices { nodes { town } } } }"
    query = (
        f'{{ a: region(slug: "nordjylland") {{ municipalities(after: "{BAD_CURSOR}") {{ totalCount }} {hubs} }}'
        f' b: region(slug: "nordjylland") {{ {hubs} }} }}'
    )
    response = client.post("/graphql", json={"query": query}, headers=bearer(NORDJYLLAND_READ))
    assert response.status_code == 200, response.text  # was a text/plain 500 (CancelledError in b)
    body = _well_formed(response)
    assert body["data"]["a"] is None
    assert body["data"]["b"]["businessHubs"]["nodes"][0]["name"] == "Erhvervshus Nordjylland"


def test_first_and_last_on_aliased_connections_answer_json(client: httpx.Client, demo_data) -> None:
    pages = [
        "first: 1, last: 20",
        "first: 3",
        "last: 2",
        "first: 0, last: 0",
        f'first: 2, after: "{BAD_CURSOR}"',
        'last: 5, before: "YXJyYXljb25uZWN0aW9uOjI="',
    ]
    for one, two in itertools.product(pages, repeat=2):
        query = (
            f'{{ a: municipalities(region: "*", {one}) {{ totalCount nodes {{ name }} }}'
            f" b: municipalities({two}) {{ nodes {{ name }} }} c: regions {{ slug businessHubs {{ totalCount }} }} }}"
        )
        response = client.post("/graphql", json={"query": query}, headers=bearer(NORDJYLLAND_READ, SJAELLAND_READ))
        assert response.status_code == 200, (query, response.text)
        _well_formed(response)


def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(client: httpx.Client) -> None:
    fresh = client.get("/healthz")
    assert len(fresh.headers["x-request-id"]) == 32
    assert client.get("/healthz").headers["x-request-id"] != fresh.headers["x-request-id"]
    assert client.get("/healthz", headers={"X-Request-ID": "trace-42.a_b"}).headers["x-request-id"] == "trace-42.a_b"
    for insane in ("x" * 65, "a b", "ü", "<script>"):
        kept = client.get("/healthz", headers=[(b"X-Request-ID", insane.encode("utf-8"))]).headers["x-request-id"]
        assert kept != insane and len(kept) == 32
    refused = client.post("/graphql", content=b"{", headers={"Content-Type": "application/json"})
    assert refused.status_code == 400 and len(refused.headers["x-request-id"]) == 32


def test_unexpected_errors_are_masked_with_the_request_id_and_codes_are_always_there() -> None:
    report: dict[str, Any] = {}
    present = Presenter(request_id="rid-1", statement_timeout=10, report=report)
    database = DBAPIError("SELECT secret FROM t WHERE x = $1", {}, Exception("boom"))
    masked, caller, syntax = present(
        [
            GraphQLError("(sqlalchemy) boom SELECT secret", path=["a"], original_error=database),
            GraphQLError("Argument 'x' is wrong.", path=["b"]),
            GraphQLError("Syntax Error: Unexpected '}'."),
        ]
    )
    assert (masked.message, masked.extensions) == (
        "Internal server error.",
        {"code": "INTERNAL_SERVER_ERROR", "requestId": "rid-1"},
    )
    assert masked.original_error is None and report["unexpected"] == [database]
    assert (caller.message, caller.extensions) == ("Argument 'x' is wrong.", {"code": "BAD_USER_INPUT"})
    assert syntax.extensions == {"code": "BAD_REQUEST"}


# --- the envelope: safety net, time limit, shutdown ------------------------------------------------------------------


async def _call(
    app: Any, *, headers: list[tuple[bytes, bytes]] | None = None, timeout: float = 5
) -> tuple[list[Message], BaseException | None]:
    """Run one GET / through `RequestEnvelope(app)`; the messages sent and what the call raised."""
    sent: list[Message] = []
    scope: Scope = {"type": "http", "method": "GET", "path": "/graphql", "headers": headers or [], "query_string": b""}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        await RequestEnvelope(app, request_timeout_seconds=timeout)(scope, receive, send)
    except BaseException as exc:
        return sent, exc
    return sent, None


def _answer(sent: list[Message]) -> tuple[int, dict[str, str], dict[str, Any]]:
    start, body = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, json.loads(body["body"])


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (RuntimeError("a bug with a secret"), 500, "INTERNAL_SERVER_ERROR"),
        (asyncio.CancelledError(), 500, "INTERNAL_SERVER_ERROR"),  # raised inside, nobody cancelled the request
        (ConnectionRefusedError("connect call failed"), 500, "INTERNAL_SERVER_ERROR"),  # not the database's
    ],
)
async def test_whatever_escapes_the_application_is_a_json_error(error: BaseException, status: int, code: str) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise error

    sent, raised = await _call(app, headers=[(b"accept", b"application/graphql-response+json")])
    assert raised is None
    got_status, headers, body = _answer(sent)
    assert got_status == status and headers["content-type"].startswith("application/graphql-response+json")
    assert body["errors"][0]["extensions"] == {"code": code, "requestId": headers["x-request-id"]}
    assert body["errors"][0]["message"] == "Internal server error."


async def test_an_unreachable_database_escaping_the_application_is_503_with_retry_after() -> None:
    from kkr.platform.database import DatabaseUnavailable

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise DatabaseUnavailable("refused")

    sent, raised = await _call(app)
    status, headers, body = _answer(sent)
    assert raised is None and status == 503 and headers["retry-after"] == "2"
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_after_the_response_started_nothing_more_is_sent() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("late")

    sent, raised = await _call(app)
    assert raised is None and [m["type"] for m in sent] == ["http.response.start"]


async def test_a_request_past_its_time_limit_is_504_request_timeout() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(30)

    sent, raised = await asyncio.wait_for(_call(app, timeout=0.2), 10)
    status, _, body = _answer(sent)
    assert raised is None and status == 504
    error = body["errors"][0]
    assert error["extensions"]["code"] == "REQUEST_TIMEOUT" and "REQUEST_TIMEOUT_SECONDS" in error["message"]


async def test_uvicorns_shutdown_cancellation_gets_json_and_the_cancellation_goes_on() -> None:
    started = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        started.set()
        await asyncio.sleep(30)

    task = asyncio.ensure_future(_call(app))
    await started.wait()
    task.cancel()  # what uvicorn does when SHUTDOWN_TIMEOUT_SECONDS has passed
    sent, raised = await task
    status, _, body = _answer(sent)
    assert isinstance(raised, asyncio.CancelledError)  # uvicorn's own 500 is then never sent: the response started
    assert status == 503 and body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
