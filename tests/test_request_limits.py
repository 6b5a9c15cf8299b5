"""Request limits against the live server: body size (MAX_BODY_BYTES) and JSON nesting (MAX_JSON_DEPTH)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kkr.platform.graphql_http import GRAPHQL_RESPONSE_JSON
from kkr.platform.settings import Settings

from .api_client import SJAELLAND_READ
from .conftest import LiveServer
from .paths import REPO_ROOT
from .tokens import bearer

pytestmark = pytest.mark.usefixtures("demo_data")

QUERY = '{ municipality(code: "269") { name } }'
ANSWER = {"data": {"municipality": {"name": "Solrød"}}}


def served(body: dict[str, Any]) -> dict[str, Any]:
    """The body without its `extensions` (the query cost, schema/limits)."""
    return {key: value for key, value in body.items() if key != "extensions"}


LIMIT = Settings.model_fields["max_body_bytes"].default
DEPTH = Settings.model_fields["max_json_depth"].default


def json_headers() -> dict[str, str]:
    """A fresh token each time: tokens live minutes, and a full suite runs longer."""
    return {**bearer(SJAELLAND_READ), "Content-Type": "application/json"}


def body_of_size(size: int, query: str = QUERY) -> bytes:
    """A valid GraphQL request body of exactly `size` bytes (padded with JSON whitespace)."""
    body = json.dumps({"query": query}).encode()
    assert len(body) <= size
    return body[:-1] + b" " * (size - len(body)) + b"}"


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def assert_refused(response: httpx.Response, status: int, code: str, media_type: str = "application/json") -> str:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].split(";")[0] == media_type
    body = response.json()
    assert set(body) == {"errors"} and len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["extensions"]["code"] == code
    return error["message"]


def test_defaults_let_the_registered_operations_through(client: httpx.Client) -> None:
    assert LIMIT == 1 << 20 and DEPTH == 64
    for operation in sorted((REPO_ROOT / "frontend-contract" / "operations").glob("*.graphql")):
        response = client.post(
            "/graphql",
            json={"query": operation.read_text(encoding="utf-8"), "variables": {"region": "sjaelland", "year": 2020}},
            headers=bearer(SJAELLAND_READ),
        )
        assert response.status_code == 200 and "errors" not in response.json(), (operation.name, response.text)


def test_body_just_under_the_limit_is_served(client: httpx.Client) -> None:
    response = client.post("/graphql", content=body_of_size(LIMIT), headers=json_headers())
    assert response.status_code == 200 and served(response.json()) == ANSWER


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE_JSON])
def test_body_just_over_the_limit_is_413(client: httpx.Client, accept: str | None) -> None:
    headers = {**json_headers(), **({"Accept": accept} if accept else {})}
    response = client.post("/graphql", content=body_of_size(LIMIT + 1), headers=headers)
    message = assert_refused(response, 413, "REQUEST_TOO_LARGE", accept or "application/json")
    assert "1048576 bytes" in message and "MAX_BODY_BYTES" in message
    # Refused for anonymous callers just the same, and the server still answers afterwards.
    anonymous = client.post("/graphql", content=body_of_size(50 * LIMIT), headers={"Content-Type": "application/json"})
    assert_refused(anonymous, 413, "REQUEST_TOO_LARGE")
    assert served(client.post("/graphql", json={"query": QUERY}, headers=bearer(SJAELLAND_READ)).json()) == ANSWER


def test_streamed_body_without_content_length_is_cut_off_at_the_limit(client: httpx.Client) -> None:
    sent = 0
    total = 512 * LIMIT  # 512 MiB if it were all read

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"query": "' + QUERY.replace('"', '\\"').encode() + b'", "variables": {"pad": "'
        chunk = b"x" * 65536
        while sent < total:
            sent += len(chunk)
            yield chunk
        yield b'"}}'

    start = time.monotonic()
    response = client.post("/graphql", content=chunks(), headers=json_headers())  # chunked: no Content-Length
    elapsed = time.monotonic() - start
    assert "content-length" not in response.request.headers
    assert_refused(response, 413, "REQUEST_TOO_LARGE")
    assert response.headers["connection"] == "close"
    assert sent < 64 * LIMIT and elapsed < 10, (sent, elapsed)
    assert served(client.post("/graphql", json={"query": QUERY}, headers=bearer(SJAELLAND_READ)).json()) == ANSWER


def test_declared_oversize_body_is_refused_before_it_is_sent(live_server: LiveServer) -> None:
    """Content-Length over the limit: the answer comes at once, without waiting for (or reading) the body."""
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as conn:
        conn.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b'Content-Length: 52428800\r\n\r\n{"query": '
        )
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            data = conn.recv(65536)
            if not data:
                break
            received += data
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


def test_oauth_token_body_over_the_limit(client: httpx.Client) -> None:
    response = client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&x=" + b"y" * LIMIT,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413 and response.json()["error"] == "invalid_request"
    assert "MAX_BODY_BYTES" in response.json()["error_description"]


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE_JSON])
def test_deeply_nested_variables_are_400_json_quickly(client: httpx.Client, accept: str | None) -> None:
    headers = {**json_headers(), **({"Accept": accept} if accept else {})}
    text = '{"query": "' + QUERY.replace('"', '\\"') + '", "variables": {"v": ' + "[" * 3000 + "]" * 3000 + "}}"
    start = time.monotonic()
    response = client.post("/graphql", content=text.encode(), headers=headers)
    assert time.monotonic() - start < 2
    message = assert_refused(response, 400, "BAD_REQUEST", accept or "application/json")
    assert f"more than {DEPTH} levels" in message and "MAX_JSON_DEPTH" in message


def test_nesting_at_the_depth_limit_passes_and_one_more_is_refused(client: httpx.Client) -> None:
    # The body object is level 1, `variables` level 2, so `v` may nest DEPTH - 2 arrays.
    at_limit = client.post(
        "/graphql", json={"query": QUERY, "variables": {"v": nested(DEPTH - 2)}}, headers=bearer(SJAELLAND_READ)
    )
    assert at_limit.status_code == 200 and served(at_limit.json()) == ANSWER
    over = client.post(
        "/graphql", json={"query": QUERY, "extensions": {"v": nested(DEPTH - 1)}}, headers=bearer(SJAELLAND_READ)
    )
    assert_refused(over, 400, "BAD_REQUEST")


def test_deep_get_variables_are_400(client: httpx.Client) -> None:
    response = client.get(
        "/graphql",
        params={"query": QUERY, "variables": '{"v": ' + "[" * 2000 + "]" * 2000 + "}"},
        headers=bearer(SJAELLAND_READ),
    )
    assert_refused(response, 400, "BAD_REQUEST")
    fine = client.get(
        "/graphql",
        params={"query": QUERY, "variables": json.dumps({"v": nested(DEPTH - 2)})},
        headers=bearer(SJAELLAND_READ),
    )
    assert served(fine.json()) == ANSWER


@pytest.fixture(scope="module")
def small_server(settings: Settings) -> Iterator[LiveServer]:
    """A server with a 4 KiB limit, to try URL query strings (uvicorn refuses request heads over 16 KiB)."""
    with LiveServer(settings.model_copy(update={"max_body_bytes": 4096})) as server:
        yield server


def test_get_query_string_over_the_limit_is_414(small_server: LiveServer) -> None:
    with httpx.Client(base_url=small_server.url, timeout=30, headers=bearer(SJAELLAND_READ)) as client:
        query = '{ municipality(code: "269") { name } }'
        fine = client.get("/graphql", params={"query": query + " " * 3000})
        assert fine.status_code == 200 and served(fine.json()) == ANSWER
        too_long = client.get("/graphql", params={"query": query + " " * 4096})
        message = assert_refused(too_long, 414, "REQUEST_TOO_LARGE")
        assert "4096 bytes (4 KiB)" in message and "MAX_BODY_BYTES" in message
        assert served(client.post("/graphql", content=body_of_size(4096), headers=json_headers()).json()) == ANSWER
        assert_refused(
            client.post("/graphql", content=body_of_size(4097), headers=json_headers()), 413, "REQUEST_TOO_LARGE"
        )
