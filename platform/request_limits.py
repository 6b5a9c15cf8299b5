"""Request size limits, enforced before a request reaches a route (docs/read-api.md, "Limits").

`RequestLimits` is a pure ASGI middleware around the whole application:

- a request whose `Content-Length` is over `max_body_bytes` (setting
  `MAX_BODY_BYTES`) is refused at once, its body never read;
- otherwise the body is read from the ASGI stream chunk by chunk and the
  request refused as soon as the bytes received pass the limit (a missing or
  lying `Content-Length`, chunked uploads), the rest never read: the refusal
  closes the connection;
- a URL query string longer than the same limit (a GET request carries in the
  URL what a POST carries in its body) is refused with 414.

Refusals are JSON: GraphQL-over-HTTP `errors` with `extensions.code =
"REQUEST_TOO_LARGE"` (in the media type the client accepts), and an OAuth
error object at `/oauth/token`.  A body within the limit is handed on whole,
so the routes read it as usual.

`json_too_deep` is the nesting check of JSON carried by a request (GraphQL
`variables` and `extensions`; setting `MAX_JSON_DEPTH`), used by
`graphql_http`.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import failures
from .request_log import media_type_of, send_whole

REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"


def describe_bytes(count: int) -> str:
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count} bytes ({count // size} {unit})"
    return f"{count} bytes"


def json_too_deep(value: Any, limit: int, depth: int = 1) -> bool:
    """Whether `value` (parsed JSON, itself at `depth`) nests arrays/objects more than `limit` levels deep.

    Iterative, so any nesting that parsed is measured without recursion."""
    stack = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return False


class RequestLimits:
    """ASGI middleware: refuse request bodies and query strings over `max_body_bytes` (see the module docstring)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, setting: str = "MAX_BODY_BYTES") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.setting = setting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        if len(scope.get("query_string") or b"") > limit:
            await self._refuse(
                scope,
                send,
                414,
                f"The URL's query string is longer than the limit of "
                f"{describe_bytes(limit)} (setting {self.setting}); send the request as a POST "
                "with a JSON body.",
            )
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, 413, self._body_message(f"is {declared} bytes (Content-Length)"))
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # http.disconnect: nothing to answer
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._refuse(scope, send, 413, self._body_message(f"passed it after {received} bytes"))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)

    def _body_message(self, detail: str) -> str:
        return (
            f"The request body is larger than the limit of {describe_bytes(self.max_body_bytes)} "
            f"(setting {self.setting}): it {detail}."
        )

    async def _refuse(self, scope: Scope, send: Send, status: int, message: str) -> None:
        if scope.get("path", "").startswith("/oauth/"):
            body = json.dumps({"error": "invalid_request", "error_description": message}).encode()
            media_type = "application/json"
        else:
            body, media_type = failures.error_body(message, REQUEST_TOO_LARGE), media_type_of(scope)
        # the unread rest of the body is never read: the connection closes
        await send_whole(send, status, body, media_type, ("connection", "close"))


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A `receive` that hands on the body read so far as one message, then the original stream."""
    first: Message | None = pending or {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    async def replayed() -> Message:
        nonlocal first
        if first is not None:
            message, first = first, None
            return message
        return await receive()

    return replayed
