"""What a client is told when a request fails on the server's side (docs/security.md, "Failures").

One vocabulary for the GraphQL layer (`kkr.schema.masking`), the GraphQL view (`kkr.platform.app`)
and the outermost ASGI middleware (`kkr.platform.request_log`):

- INTERNAL_SERVER_ERROR: "Internal server error." and the request id; the details are in the log
  line of that request id, never in the response;
- SERVICE_UNAVAILABLE: the database cannot be reached (HTTP 503, `Retry-After`);
- REQUEST_TIMEOUT: the request ran past REQUEST_TIMEOUT_SECONDS (HTTP 504), or one of its statements
  past STATEMENT_TIMEOUT_SECONDS (an error of the field that ran it).

Every such body is GraphQL-over-HTTP JSON, `{"errors": [{"message", "extensions": {"code", "requestId"}}]}`,
in the media type the client accepts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import asyncpg

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
REQUEST_TIMEOUT = "REQUEST_TIMEOUT"

INTERNAL_MESSAGE = "Internal server error."
UNAVAILABLE_MESSAGE = "The database is unavailable at the moment; try again shortly."
SHUTTING_DOWN_MESSAGE = "The server is shutting down; send the request again (it was not completed)."


def request_timeout_message(seconds: float) -> str:
    return (
        f"The request took longer than the limit of {seconds:g} s (setting REQUEST_TIMEOUT_SECONDS) and was "
        "stopped; ask for less at a time."
    )


def statement_timeout_message(seconds: float) -> str:
    return (
        f"A database statement of this field took longer than the limit of {seconds:g} s (setting "
        "STATEMENT_TIMEOUT_SECONDS) and was cancelled; ask for less at a time."
    )


def is_statement_timeout(exc: BaseException | None) -> bool:
    """PostgreSQL cancelled a statement because of `statement_timeout` (SQLSTATE 57014)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, asyncpg.exceptions.QueryCanceledError) and "statement timeout" in str(exc):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


def error_entry(message: str, code: str, request_id: str | None = None, **extensions: Any) -> dict[str, Any]:
    """One GraphQL error object with `extensions.code` (and `requestId` when given)."""
    ext: dict[str, Any] = {"code": code, **extensions}
    if request_id:
        ext["requestId"] = request_id
    return {"message": message, "extensions": ext}


def error_body(message: str, code: str, request_id: str | None = None, **extensions: Any) -> bytes:
    return json.dumps({"errors": [error_entry(message, code, request_id, **extensions)]}).encode()


def response_headers(media_type: str, body: bytes, extra: Iterable[tuple[str, str]] = ()) -> list[tuple[bytes, bytes]]:
    """ASGI headers of a JSON error response."""
    headers = [("content-type", media_type), ("content-length", str(len(body))), *extra]
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def retry_after(seconds: float) -> tuple[str, str]:
    return ("retry-after", str(max(1, round(seconds))))
