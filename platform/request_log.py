"""The outermost layer of every HTTP request: its id, its time limit, the last-resort error answer and its
one log line (docs/security.md, "Failures").

`RequestEnvelope` is a pure ASGI middleware, first in the application's middleware list:

- **request id**: a sane incoming `X-Request-ID` (`[A-Za-z0-9._-]{1,64}`) is kept, otherwise a new uuid4
  hex; it is in `scope["state"]["request_id"]` (Starlette's `request.state.request_id`), in the response
  header `X-Request-ID`, in masked errors' `extensions.requestId` and in the request's log line;
- **time limit**: a request still running after REQUEST_TIMEOUT_SECONDS is cancelled and answered 504
  `REQUEST_TIMEOUT`;
- **safety net**: any exception that escapes the application (a bug, a `CancelledError` that is not the
  server cancelling this request) is answered with GraphQL-over-HTTP JSON, 500 `INTERNAL_SERVER_ERROR`
  (503 `SERVICE_UNAVAILABLE` when the database cannot be reached), if the response has not started;
  when uvicorn cancels the request at shutdown (SHUTDOWN_TIMEOUT_SECONDS passed) it gets 503
  `SERVICE_UNAVAILABLE` and the cancellation goes on, so uvicorn never sends its plain-text 500;
- **one log line per failed request** (status >= 400, or GraphQL errors in a 200): logger `kkr.request`,
  `request_id=... status=... method=... path=... client=... operation=... codes=... message=...`, every
  value cut to LOG_VALUE_CHARS; a traceback (its lines cut likewise) only for unexpected errors.

With LOG_FORMAT=json the line is written for **every request**, as JSON (`kkr.platform.json_logs`: request id,
caller and tenants, operation, document hash, duration, status, SQL statements), and every request is counted
in the Prometheus metrics (`kkr.platform.metrics`), whatever the format.

The GraphQL layer reports into `scope["state"]` what the middleware cannot see itself: `operation_name`,
`errors` (code and message of each) and `unexpected` (the exception behind a masked error).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import traceback
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import failures, metrics
from .database import is_unreachable
from .json_logs import FIELDS, caller_fields, document_hash, redacted
from .statements import counting

log = logging.getLogger("kkr.request")

#: Longest value (message, client, operation, traceback line) written to a log line.
LOG_VALUE_CHARS = 300
REQUEST_ID_HEADER = "x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: Error bodies up to this size are read for the codes of the log line.
_ERROR_BODY_BYTES = 64 * 1024


def clip(value: Any, limit: int = LOG_VALUE_CHARS) -> str:
    """`value` as one line of at most `limit` characters."""
    text = " ".join(str(value).split()) if value is not None else "-"
    return text if len(text) <= limit else f"{text[:limit]}...[{len(text)} chars]"


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == REQUEST_ID_HEADER.encode():
            candidate: str = value.decode("latin-1")
            if _SANE_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def media_type_of(scope: Scope) -> str:
    """The media type of a GraphQL-over-HTTP error body the request's `Accept` header takes."""
    from .graphql_http import JSON, _content_type, negotiate

    accept = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"accept"), None)
    return str(_content_type(negotiate(accept) or JSON))


async def send_whole(send: Send, status: int, body: bytes, media_type: str, *headers: tuple[str, str]) -> None:
    """Send a whole response (an error body of `failures.error_body`, or another JSON body) to `send`."""
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": failures.response_headers(media_type, body, headers),
    }
    await send(start)
    await send({"type": "http.response.body", "body": body})


class _Exchange:
    """What the middleware saw of one request's response."""

    def __init__(self, send: Send, request_id: str) -> None:
        self._send = send
        self.request_id = request_id
        self.status: int | None = None
        self.json_error_body = False
        self.body = bytearray()

    @property
    def started(self) -> bool:
        return self.status is not None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER.encode()]
            headers.append((REQUEST_ID_HEADER.encode(), self.request_id.encode()))
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            self.json_error_body = self.status >= 400 and b"json" in content_type
            message = {**message, "headers": headers}
        elif message["type"] == "http.response.body" and self.json_error_body and len(self.body) < _ERROR_BODY_BYTES:
            self.body.extend(message.get("body", b"")[:_ERROR_BODY_BYTES])
        await self._send(message)

    async def answer(
        self, status: int, message: str, code: str, *headers: tuple[str, str], media_type: str = "application/json"
    ) -> None:
        await send_whole(self.send, status, failures.error_body(message, code, self.request_id), media_type, *headers)

    def codes_and_message(self) -> tuple[list[str], str | None]:
        """Codes and first message of a JSON error body (GraphQL `errors`, or an OAuth `error`)."""
        try:
            body = json.loads(bytes(self.body))
        except ValueError:
            return [], None
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            errors = [e for e in body["errors"] if isinstance(e, dict)]
            codes = [str((e.get("extensions") or {}).get("code", "-")) for e in errors]
            return codes, errors[0].get("message") if errors else None
        if isinstance(body, dict) and "error" in body:
            return [str(body["error"])], body.get("error_description")
        return [], None


class RequestEnvelope:
    """ASGI middleware: request id, time limit, safety net and the failed request's log line (module docstring)."""

    def __init__(
        self, app: ASGIApp, request_timeout_seconds: float, retry_after_seconds: float = 2, log_format: str = "text"
    ) -> None:
        self.app = app
        self.request_timeout = request_timeout_seconds
        self.retry_after = retry_after_seconds
        self.json = log_format == "json"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        exchange = _Exchange(send, request_id_of(scope))
        state["request_id"] = exchange.request_id
        failure: BaseException | None = None
        started = time.perf_counter()
        with counting() as statements:
            try:
                failure = await self._run(scope, receive, exchange)
                await asyncio.sleep(0)  # the driver's query logger reports on the loop's next round (statements)
            finally:
                self._log(scope, exchange, failure, time.perf_counter() - started, statements[0])

    async def _run(self, scope: Scope, receive: Receive, exchange: _Exchange) -> BaseException | None:
        """Run the application within the time limit and the safety net; the exception it answered, if any."""
        state = scope["state"]
        failure: BaseException | None = None
        try:
            async with asyncio.timeout(self.request_timeout) as limit:
                try:
                    await self.app(scope, receive, exchange.send)
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise  # the time limit, or the server cancelling this request
                    failure = RuntimeError("a CancelledError escaped the application")
                    await self._internal_error(scope, exchange, failure)
                except Exception as exc:
                    failure = exc
                    await self._internal_error(scope, exchange, exc)
        except TimeoutError:
            if not limit.expired():
                raise
            state.setdefault("errors", []).append((failures.REQUEST_TIMEOUT, "request time limit"))
            if not exchange.started:
                await exchange.answer(
                    504,
                    failures.request_timeout_message(self.request_timeout),
                    failures.REQUEST_TIMEOUT,
                    media_type=media_type_of(scope),
                )
        except asyncio.CancelledError:
            state.setdefault("errors", []).append((failures.SERVICE_UNAVAILABLE, "cancelled: server shutting down"))
            if not exchange.started:
                await asyncio.shield(
                    exchange.answer(
                        503,
                        failures.SHUTTING_DOWN_MESSAGE,
                        failures.SERVICE_UNAVAILABLE,
                        media_type=media_type_of(scope),
                    )
                )
            raise
        return failure

    async def _internal_error(self, scope: Scope, exchange: _Exchange, exc: BaseException) -> None:
        state = scope["state"]
        if is_unreachable(exc):
            state.setdefault("errors", []).append((failures.SERVICE_UNAVAILABLE, "database unreachable"))
            if not exchange.started:
                await exchange.answer(
                    503,
                    failures.UNAVAILABLE_MESSAGE,
                    failures.SERVICE_UNAVAILABLE,
                    failures.retry_after(self.retry_after),
                    media_type=media_type_of(scope),
                )
            return
        state.setdefault("unexpected", []).append(exc)
        if not exchange.started:
            await exchange.answer(
                500, failures.INTERNAL_MESSAGE, failures.INTERNAL_SERVER_ERROR, media_type=media_type_of(scope)
            )

    def _log(
        self, scope: Scope, exchange: _Exchange, failure: BaseException | None, seconds: float, statements: int
    ) -> None:
        state = scope.get("state", {})
        reported: list[tuple[str, str]] = state.get("errors") or []
        unexpected: list[BaseException] = state.get("unexpected") or []
        failed = bool(reported or unexpected) or (exchange.status or 500) >= 400
        codes = [code for code, _ in reported]
        message = reported[0][1] if reported else None
        if failed and not reported:
            codes, message = exchange.codes_and_message()
        operation = state.get("operation_name") or state.get(metrics.CACHED_OPERATION)
        metrics.observe_request(scope, exchange.status or 500, seconds, operation, codes, statements)
        if not failed and not self.json:
            return
        errors = unexpected or ([failure] if failure is not None else [])
        level = logging.ERROR if errors else logging.WARNING if failed else logging.INFO
        identity = getattr(scope.get("user"), "verified", None)
        if self.json:
            fields = {
                "message": "request failed" if failed else "request",
                "request_id": exchange.request_id,
                "method": scope.get("method"),
                "path": clip(scope.get("path"), 100),
                "status": exchange.status,
                "duration_ms": round(seconds * 1000, 3),
                **{k: clip(v, 100) if k == "client" else v for k, v in caller_fields(identity).items()},
                "operation": clip(operation, 100) if operation else None,
                "document_hash": document_hash(state),
                "sql_statements": statements,
                "codes": [clip(code, 100) for code in codes],
                "error": clip(redacted(str(message))) if message is not None else None,
            }
            if errors:
                fields["traceback"] = [trace for exc in errors for trace in traceback_lines(exc)]
            log.log(level, json.dumps(fields, ensure_ascii=False, default=str), extra={FIELDS: fields})
            return
        client = (identity.client_id or identity.subject) if identity is not None else "anonymous"
        line = (
            f"request failed: request_id={exchange.request_id} status={exchange.status or '-'} "
            f"method={scope.get('method')} path={clip(scope.get('path'), 100)} client={clip(client, 100)} "
            f"operation={clip(state.get('operation_name'), 100)} codes={clip(','.join(codes) or '-', 200)} "
            f"message={clip(message)}"
        )
        if errors:
            line += "".join(f"\n{trace}" for exc in errors for trace in traceback_lines(exc))
        log.log(level, line)


def traceback_lines(exc: BaseException) -> list[str]:
    """The traceback of `exc`, each line cut to LOG_VALUE_CHARS (messages may hold values a client sent)."""
    lines = "".join(traceback.format_exception(exc)).splitlines()
    return [
        line if len(line) <= LOG_VALUE_CHARS else f"{line[:LOG_VALUE_CHARS]}...[{len(line)} chars]" for line in lines
    ]


class ClipLongArguments(logging.Filter):
    """Cuts every string argument of a log record to LOG_VALUE_CHARS (uvicorn's access log writes the whole
    URL, query string included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                clip(a, LOG_VALUE_CHARS) if isinstance(a, str) and len(a) > LOG_VALUE_CHARS else a for a in record.args
            )
        return True


def install_log_clipping() -> None:
    """Clip the access log's arguments (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, ClipLongArguments) for f in access.filters):
        access.addFilter(ClipLongArguments())
