"""GraphQL over HTTP (the GraphQL Foundation's spec) on top of Strawberry's ASGI view.

Strawberry already parses GET and POST requests; this mixin adds what it lacks:

- content negotiation: `application/graphql-response+json` when the client
  accepts it (at least as much as `application/json`), `application/json` for
  legacy clients, `*/*` or no Accept header; 406 when neither is acceptable;
- status codes: with `application/graphql-response+json` a request error
  (syntax, validation, variable coercion: no `data` entry) is 400, a response
  with `data` (even null after a field error) is 200; with `application/json`
  every well-formed request gets 200;
- request errors carry no `data` entry (GraphQL spec, "Response");
- a POST body must be `application/json` (415 otherwise);
- GET is for queries only: a mutation via GET is 405 with `Allow: POST`;
- a document with several operations needs `operationName` (a request error).
"""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.strip():
            ranges.append((media.strip().lower(), quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> tuple[float, int]:
    """Quality of `media_type` by the most specific matching range, and how specific that was (2 exact, 0 */*)."""
    kind = media_type.split("/")[0]
    best: tuple[int, float] | None = None
    for media, quality in ranges:
        specificity = 2 if media == media_type else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        if specificity >= 0 and (best is None or specificity > best[0]):
            best = (specificity, quality)
    return (best[1], best[0]) if best else (0.0, -1)


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header, or None when neither JSON type is acceptable."""
    if not accept or not accept.strip():
        return JSON
    ranges = _accept_ranges(accept)
    graphql_q, graphql_specific = _quality(ranges, GRAPHQL_RESPONSE_JSON)
    json_q, _ = _quality(ranges, JSON)
    if graphql_q <= 0 and json_q <= 0:
        return None
    if graphql_q > json_q or (graphql_q == json_q and graphql_specific == 2):
        return GRAPHQL_RESPONSE_JSON
    return JSON


def is_request_error(result: ExecutionResult) -> bool:
    """Raised before execution (parse, validation, variables): the response has no `data` entry."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)


def _error_response(status: int, message: str, media_type: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status, headers=headers,
                        media_type=_content_type(media_type))


def _content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type == GRAPHQL_RESPONSE_JSON else media_type


async def _request_document(request: Request) -> tuple[str | None, str | None]:
    """The query and operationName of a GET or JSON POST request (None when absent or unreadable)."""
    if request.method == "GET":
        return request.query_params.get("query"), request.query_params.get("operationName")
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    query, name = body.get("query"), body.get("operationName")
    return (query if isinstance(query, str) else None), (name if isinstance(name, str) else None)


def _operations(query: str) -> list[OperationDefinitionNode] | None:
    try:
        document = parse(query)
    except GraphQLError:
        return None  # Strawberry reports the syntax error
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


class GraphQLOverHTTP:
    """Mix into Strawberry's ASGI view (before it); see the module docstring."""

    async def refusal(self, request: Request) -> Response | None:
        """The response to a request refused before execution, or None to go on."""
        accept = request.headers.get("accept")
        if request.method == "GET" and "text/html" in (accept or "") and getattr(self, "graphql_ide", None):
            return None  # GraphiQL's page
        media_type = negotiate(accept)
        if media_type is None:
            return PlainTextResponse(
                f"Not Acceptable: this endpoint responds with {GRAPHQL_RESPONSE_JSON} or {JSON}.", status_code=406
            )
        if request.method == "POST":
            content_type, _ = parse_content_type(request.headers.get("content-type") or "")
            if content_type != JSON:
                return _error_response(415, f"Unsupported Media Type: send the request body as {JSON}.", media_type,
                                       {"Accept-Post": JSON})
        if request.method not in ("GET", "POST"):
            return None
        query, operation_name = await _request_document(request)
        operations = _operations(query) if query else None
        if not operations:
            return None
        if operation_name is None and len(operations) > 1:
            status = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200
            return _error_response(status, "Must provide operationName if the document contains several operations.",
                                   media_type)
        chosen = [op for op in operations if operation_name is None or (op.name and op.name.value == operation_name)]
        if request.method == "GET" and chosen and chosen[0].operation is not OperationType.QUERY:
            return _error_response(
                405, f"Method Not Allowed: a {chosen[0].operation.value} must be sent with POST.", media_type,
                {"Allow": "POST"},
            )
        return None

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, Request) and request.scope.get("type") == "http":
            refused = await self.refusal(request)
            if refused is not None:
                return refused
        return await super().run(request, context, root_value)  # type: ignore[misc]

    async def get_sub_response(self, request: Request) -> Response:
        sub_response = await super().get_sub_response(request)  # type: ignore[misc]
        sub_response.graphql_media_type = negotiate(request.headers.get("accept")) or JSON  # type: ignore[attr-defined]
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> dict[str, Any]:
        processed = await super().process_result(request, result)  # type: ignore[misc]
        if is_request_error(result):
            processed.pop("data", None)
        return processed

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)  # type: ignore[misc]
        media_type = getattr(sub_response, "graphql_media_type", JSON)
        response.headers["content-type"] = _content_type(media_type)
        if media_type == GRAPHQL_RESPONSE_JSON and isinstance(response_data, dict) and "data" not in response_data:
            response.status_code = 400
        return response
