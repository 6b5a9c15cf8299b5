"""Structured logs (LOG_FORMAT=json): every log record as one JSON object per line, and one line per request.

`configure_logging(settings)` (called by `create_app`, so in every worker process) puts `JsonFormatter` on
the console handlers of the root logger and of uvicorn's loggers.  uvicorn's access log is then silenced:
the request line of `kkr.platform.request_log.RequestEnvelope` says more, and never the query string (a
GET's variables).  With LOG_FORMAT=text (the default) nothing changes here.

The request line (logger `kkr.request`, INFO; WARNING when the request failed, ERROR with the traceback's
lines when it failed unexpectedly) holds `request_fields`: request id, method, path, status, duration,
the caller (client id or subject) and its read and write tenants, the operation's name, the document's hash
(`sha256:<hex>` of its text, the trusted `documentId` when sent by id), the number of SQL statements the
request ran (`kkr.platform.statements`), and error codes with the first message.  Never a header, a token, a
variable or the document itself: every value is the server's own or clipped (`clip`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import time
from typing import Any

from .settings import Settings

#: The attribute of a log record that holds a request line's fields (`logging`'s `extra`).
FIELDS = "kkr_fields"
_CONSOLE_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
#: A quoted literal in an error message, and a GraphQL name (or variable), which may stay.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NAME = re.compile(r"\$?[_A-Za-z][_0-9A-Za-z]{0,63}")
_INVALID_VALUE = " invalid value"


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC, ISO 8601), level, logger, and the request line's fields or
    the message (with the exception's traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
            if record.exc_info:
                line["traceback"] = self.formatException(record.exc_info).splitlines()
        return json.dumps(line, ensure_ascii=False, default=str)


def _console_handlers(logger: logging.Logger) -> list[logging.Handler]:
    streams = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
    return [h for h in logger.handlers if isinstance(h, logging.StreamHandler) and h.stream in streams]


def configure_logging(settings: Settings) -> None:
    """LOG_FORMAT=json: JSON lines on the console handlers (module docstring); idempotent."""
    if settings.log_format != "json":
        return
    for name in _CONSOLE_LOGGERS:
        for handler in _console_handlers(logging.getLogger(name)):
            if not isinstance(handler.formatter, JsonFormatter):
                handler.setFormatter(JsonFormatter())
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def document_hash(state: dict[str, Any]) -> str | None:
    """`sha256:<hex>` of the request's GraphQL document: a trusted document's id, or the hash of the text
    the GraphQL layer parsed (None: no document was parsed, e.g. a refusal before GraphQL)."""
    from kkr.schema.limits import PARSED_DOCUMENT

    from .graphql_http import TRUSTED_DOCUMENT

    trusted = state.get(TRUSTED_DOCUMENT)
    if trusted is not None:
        return str(trusted.id)
    parsed = state.get(PARSED_DOCUMENT)
    if isinstance(parsed, tuple) and isinstance(parsed[0], str):
        return "sha256:" + hashlib.sha256(parsed[0].encode("utf-8", "surrogatepass")).hexdigest()
    return None


def redacted(message: str) -> str:
    """An error message without the values a client sent: what follows "invalid value" (a variable's value,
    GraphQL's coercion errors) and every quoted literal that is not a GraphQL name become `…`."""
    head, found, _ = message.partition(_INVALID_VALUE)
    message = f"{head}{_INVALID_VALUE} …" if found else message
    return _QUOTED.sub(lambda m: m[0] if _NAME.fullmatch(m[0][1:-1]) else f"{m[0][0]}…{m[0][0]}", message)


def caller_fields(identity: Any) -> dict[str, Any]:
    """The caller of a request: client id or subject, and the read and write tenants of its identity."""
    if identity is None:
        return {"client": "anonymous", "read_tenants": [], "write_tenants": []}
    return {
        "client": identity.client_id or identity.subject,
        "read_tenants": sorted(identity.readable_regions),
        "write_tenants": sorted(identity.writable_regions),
    }
