"""Trusted documents (persisted documents, GraphQL over HTTP Appendix A): operations sent by `documentId`.

The manifest `frontend-contract/trusted-documents.json` maps each document identifier, `sha256:<hex>` of
the document's source text in UTF-8, to that text; it is generated from `frontend-contract/operations/`
(`kkr export-schema` writes it with the SDL; a test fails while it is stale).  The setting
TRUSTED_DOCUMENTS_MANIFEST names the file the server loads at start.

`TrustedDocumentsMiddleware` (route middleware on /graphql, after authentication, the rate limit and HTTP
caching, before the response cache) turns a persisted document request into a GraphQL-over-HTTP request, as the
appendix suggests: `documentId` (JSON body of a POST, or query string of a GET) is replaced by the
document's text, and the request goes on as any other (the cache, the access log and the GraphQL view see
an ordinary request).  The document was parsed when the manifest was loaded, and is validated once per
caller's schema (`TrustedDocument.validated`, used by `kkr.schema.visibility.CallerVisibility`): a request
by `documentId` costs no parsing or validation after the first.

Callers that TRUSTED_DOCUMENTS_REQUIRED_FOR names (`client:<id>`, `scope:<scope>`, `anonymous` or `*`)
may send only documents of the manifest: a free-form `query` from them is refused with
PERSISTED_DOCUMENT_REQUIRED.  Operators (`admin`) and the development environment keep free-form queries.
An identifier the manifest does not hold is PERSISTED_DOCUMENT_NOT_FOUND.  Both are request errors (no
`data`): 400 with `application/graphql-response+json`, 200 with `application/json`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from graphql import DocumentNode, OperationDefinitionNode, parse
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth.http import identity_of
from .auth.identity import ADMIN, Identity
from .graphql_http import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    TRUSTED_DOCUMENT,
    _error_response,
    dumps_json,
    loads_json,
    negotiate,
)
from .response_cache import replay_body
from .settings import Settings

PERSISTED_DOCUMENT_REQUIRED = "PERSISTED_DOCUMENT_REQUIRED"
PERSISTED_DOCUMENT_NOT_FOUND = "PERSISTED_DOCUMENT_NOT_FOUND"


def document_id(text: str) -> str:
    """The SHA256 hex document identifier of a document's source text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(eq=False)
class TrustedDocument:
    """One document of the manifest, parsed once."""

    id: str
    text: str
    document: DocumentNode
    #: The (audience, validation rules) it was found valid for (`kkr.schema.visibility.CallerVisibility`).
    validated: set[Any] = field(default_factory=set)


class TrustedDocuments:
    """The manifest as loaded: document identifier -> trusted document."""

    def __init__(self, documents: dict[str, str]) -> None:
        self.by_id: dict[str, TrustedDocument] = {}
        for key, text in documents.items():
            if key != document_id(text):
                raise ValueError(f"trusted documents: {key} is not the identifier of its document")
            self.by_id[key] = TrustedDocument(key, text, parse(text))

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        """The manifest at `path` (none there: an empty manifest)."""
        if not path.exists():
            return cls({})
        documents = json.loads(path.read_text(encoding="utf-8"))
        return cls(documents)

    def get(self, key: str) -> TrustedDocument | None:
        return self.by_id.get(key)

    def __len__(self) -> int:
        return len(self.by_id)


def manifest_text(operation_files: list[Path]) -> str:
    """The manifest of these operation files (identifier -> the file's text), as JSON in the files' order."""
    documents: dict[str, str] = {}
    for path in operation_files:
        text = path.read_text(encoding="utf-8")
        operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) != 1 or operations[0].name is None or operations[0].name.value != path.stem:
            raise ValueError(f"{path}: a registered document holds one operation, named like its file ({path.stem})")
        documents[document_id(text)] = text
    return json.dumps(documents, indent=2, ensure_ascii=False) + "\n"


def write_manifest(path: Path, operation_files: list[Path]) -> bool:
    """Write the manifest of `operation_files` to `path`; True when the file changed."""
    text = manifest_text(operation_files)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def trusted_documents_required(identity: Identity, settings: Settings) -> bool:
    """Whether `identity` may send only documents of the manifest (module docstring)."""
    if settings.is_development or identity.has(ADMIN):
        return False
    for rule in settings.trusted_documents_required_for:
        kind, _, value = rule.partition(":")
        if (
            rule == "*"
            or (rule == "anonymous" and identity.is_anonymous)
            or (kind == "client" and value == identity.client_id)
            or (kind == "scope" and value in identity.scopes)
        ):
            return True
    return False


class _Refused(Exception):
    def __init__(self, message: str, code: str, malformed: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.malformed = malformed


def _resolve(parameters: dict[str, Any], manifest: TrustedDocuments, required: bool) -> TrustedDocument | None:
    """The trusted document a request's parameters name (None: a free-form request that may go on)."""
    key = parameters.get("documentId")
    if key is None:
        if required and parameters.get("query") is not None:
            raise _Refused(
                "This client may send only trusted documents: send the `documentId` of a document of the "
                "manifest (frontend-contract/trusted-documents.json) instead of `query`.",
                PERSISTED_DOCUMENT_REQUIRED,
            )
        return None
    if not isinstance(key, str):
        raise _Refused("`documentId` must be a string (a document identifier, sha256:<hex>).", "BAD_REQUEST", True)
    if parameters.get("query") is not None:
        raise _Refused("Send either `documentId` or `query`, not both.", "BAD_REQUEST", True)
    found = manifest.get(key)
    if found is None:
        raise _Refused(
            f"No trusted document has the id {key[:80]!r}: send an id of frontend-contract/trusted-documents.json "
            "(sha256:<hex> of the document's text).",
            PERSISTED_DOCUMENT_NOT_FOUND,
        )
    return found


class TrustedDocumentsMiddleware:
    """ASGI route middleware for /graphql (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        manifest: TrustedDocuments = state.trusted_documents
        request = Request(scope, receive)
        required = trusted_documents_required(identity_of(request), state.settings)
        try:
            if scope["method"] == "GET":
                pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
                found = _resolve(dict(pairs), manifest, required)
                if found is not None:
                    pairs = [("query", found.text) if k == "documentId" else (k, v) for k, v in pairs]
                    scope["query_string"] = urlencode(pairs).encode("ascii")
            else:
                body = await request.body()  # bounded by the request limits (RequestLimits, outside)
                parameters = _body_parameters(body) if required or b"documentId" in body else None
                found = _resolve(parameters, manifest, required) if parameters is not None else None
                if found is not None and parameters is not None:
                    del parameters["documentId"]
                    body = dumps_json({"query": found.text, **parameters})
                    MutableHeaders(scope=scope)["content-length"] = str(len(body))
                receive = replay_body(body, receive)
        except _Refused as refused:
            media_type = negotiate(request.headers.get("accept")) or JSON
            status = 400 if refused.malformed or media_type == GRAPHQL_RESPONSE_JSON else 200
            await _error_response(status, str(refused), media_type, code=refused.code)(scope, receive, send)
            return
        if found is not None:
            scope.setdefault("state", {})[TRUSTED_DOCUMENT] = found
        await self.app(scope, receive, send)


def _body_parameters(body: bytes) -> dict[str, Any] | None:
    """The JSON object of a POST body (None when it is not one: the GraphQL view reports that)."""
    try:
        parameters = loads_json(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return parameters if isinstance(parameters, dict) else None


def trusted_documents() -> Middleware:
    """Route middleware for /graphql (after `http_caching()`, before `cached_responses()`)."""
    return Middleware(TrustedDocumentsMiddleware)
