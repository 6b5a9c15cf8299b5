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
- a request that is not a well-formed GraphQL-over-HTTP request (a body that
  is not JSON, a JSON array: batching is not supported, no `query`,
  `variables`/`extensions` that are not objects, JSON nested deeper than
  `max_json_depth`, ...) is 400 with a JSON `errors` body naming the problem,
  whatever the negotiated media type (bodies over the size limit are refused
  before, by `request_limits.RequestLimits`);
- GET is for queries only: a mutation via GET is 405 with `Allow: POST`
  (also from a browser, `Accept: text/html`, when the URL carries a `query`);
- a document with several operations needs `operationName`, and an
  `operationName` must name one of them (request errors);
- the document is parsed once, within the query limits on its size and tokens (`kkr.schema.limits`), and
  handed on to Strawberry.

JSON is read and written with orjson (`loads_json`, `dumps_json`); whatever orjson refuses (NaN, lone
surrogates, a BOM, another encoding than UTF-8, nesting beyond its limit) goes to
the standard library's `json`, as do documents with a long run of digits (orjson reads an integer beyond 64 bits as a float), so
what is accepted, how it is read, and every error message, is as with `json` alone.
"""

from __future__ import annotations

import json
import re
import weakref
from typing import TYPE_CHECKING, Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.websockets import WebSocket
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from kkr.schema.limits import PARSED_DOCUMENT, parse_document

from .request_limits import json_too_deep

if TYPE_CHECKING:
    from strawberry.asgi import GraphQL

    from .context import RequestContext
    from .settings import Settings

    #: What the mixin is mixed into (for the type checker; at run time the mixin's base is `object`).
    _View = GraphQL[RequestContext, None]
else:
    _View = object

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
#: Where `trusted_documents` leaves a request's trusted document, parsed with the manifest (`scope["state"]`).
TRUSTED_DOCUMENT = "trusted_document"
JSON = "application/json"


#: A run of digits that may be an integer beyond 64 bits, which orjson would read as a float.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def loads_json(data: str | bytes) -> Any:
    """`json.loads(data)`, faster (orjson) where orjson agrees with it (module docstring)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _LONG_DIGITS.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def dumps_json(data: Any) -> bytes:
    """Compact JSON in UTF-8 (orjson); what orjson cannot encode (integers beyond 64 bits) by `json`."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


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
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or ())


def _error_response(
    status: int, message: str, media_type: str, headers: dict[str, str] | None = None, code: str | None = None
) -> Response:
    error: dict[str, Any] = {"message": message}
    if code:
        error["extensions"] = {"code": code}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers, media_type=_content_type(media_type))


def _content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type == GRAPHQL_RESPONSE_JSON else media_type


class MalformedRequest(ValueError):
    """Not a well-formed GraphQL-over-HTTP request; the message says why (400 with any media type)."""


EXAMPLE = 'send {"query": "...", "variables": {...}, "operationName": "..."}'


def _too_deep(what: str, max_depth: int) -> MalformedRequest:
    return MalformedRequest(
        f"{what} nests arrays and objects more than {max_depth} levels deep (the limit, "
        "setting MAX_JSON_DEPTH); send flatter variables."
    )


def _json_parameter(name: str, text: str | None, max_depth: int) -> Any:
    """A GET parameter that carries JSON (`variables`, `extensions`); absent is null.

    Its value counts as level 2, as inside a POST body."""
    if text is None:
        return None
    try:
        value = loads_json(text)
    except RecursionError:
        raise _too_deep(f"The `{name}` parameter", max_depth) from None
    except ValueError as exc:
        raise MalformedRequest(f"The `{name}` parameter is not valid JSON ({exc}); send a JSON object.") from exc
    if isinstance(value, (dict, list)) and json_too_deep(value, max_depth, depth=2):
        raise _too_deep(f"The `{name}` parameter", max_depth)
    return value


async def _request_parameters(request: Request, max_depth: int) -> dict[str, Any]:
    """The GraphQL request parameters of a GET (query string) or JSON POST request.

    Raises MalformedRequest when the request is not well-formed (GraphQL over HTTP, "Request Parameters"),
    also when its JSON nests more than `max_depth` levels (the body object is level 1)."""
    if request.method == "GET":
        params = request.query_params
        parameters: dict[str, Any] = {
            "query": params.get("query"),
            "operationName": params.get("operationName"),
            "variables": _json_parameter("variables", params.get("variables"), max_depth),
            "extensions": _json_parameter("extensions", params.get("extensions"), max_depth),
        }
    else:
        try:
            body = loads_json(await request.body())
        except RecursionError:  # deeper than the parser's recursion limit (about 1,000 levels)
            raise _too_deep("The request body", max_depth) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedRequest(f"The request body is not valid JSON ({exc}); {EXAMPLE}.") from exc
        if isinstance(body, (dict, list)) and json_too_deep(body, max_depth):
            raise _too_deep("The request body", max_depth)
        if isinstance(body, list):
            raise MalformedRequest(
                "Batching is not supported: send one GraphQL request (a JSON object, not an array) per HTTP request."
            )
        if not isinstance(body, dict):
            raise MalformedRequest(f"The request body must be a JSON object: {EXAMPLE}.")
        parameters = body
    query = parameters.get("query")
    if query is None or query == "":
        raise MalformedRequest(
            "The request has no `query` (the GraphQL document): "
            + ("add a `query` parameter to the URL." if request.method == "GET" else EXAMPLE + ".")
        )
    if not isinstance(query, str):
        raise MalformedRequest("`query` must be a string (the GraphQL document).")
    for name in ("variables", "extensions"):
        value = parameters.get(name)
        if value is not None and not isinstance(value, dict):
            raise MalformedRequest(f"`{name}` must be a JSON object (or null), not {json.dumps(value)[:40]}.")
    operation_name = parameters.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise MalformedRequest("`operationName` must be a string (or null).")
    return parameters


def _operations(request: Request, query: str, settings: Any) -> list[OperationDefinitionNode] | None:
    """The document's operations, parsed within the query limits (size, tokens) once: the document is left in
    `request.state` for Strawberry (schema/limits, `QueryLimits`), which reports a refused or unparsable one.
    A trusted document (`trusted_documents`) comes parsed already."""
    trusted = request.scope.get("state", {}).get(TRUSTED_DOCUMENT)
    try:
        document = (
            trusted.document if trusted is not None and trusted.text == query else parse_document(query, settings)
        )
    except GraphQLError:
        return None  # a syntax error or a limit passed: GraphQL reports it
    setattr(request.state, PARSED_DOCUMENT, (query, document))
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


#: The media type negotiated for each sub-response (Strawberry hands `create_response` the sub-response only).
_MEDIA_TYPES: weakref.WeakKeyDictionary[Response, str] = weakref.WeakKeyDictionary()


class GraphQLOverHTTP(_View):
    """Mix into Strawberry's ASGI view (before it); see the module docstring."""

    settings: Settings

    async def refusal(self, request: Request) -> Response | None:
        """The response to a request refused before execution, or None to go on."""
        accept = request.headers.get("accept")
        browser = request.method == "GET" and "text/html" in (accept or "") and bool(self.graphql_ide)
        if browser and "query" not in request.query_params:
            return None  # GraphiQL's page
        # A browser opening a URL with a query gets JSON, as before; other clients must accept it.
        media_type = negotiate(accept) or (JSON if browser else None)
        if media_type is None:
            return PlainTextResponse(
                f"Not Acceptable: this endpoint responds with {GRAPHQL_RESPONSE_JSON} or {JSON}.", status_code=406
            )
        if request.method == "POST":
            content_type, _ = parse_content_type(request.headers.get("content-type") or "")
            if content_type != JSON:
                return _error_response(
                    415, f"Unsupported Media Type: send the request body as {JSON}.", media_type, {"Accept-Post": JSON}
                )
        if request.method not in ("GET", "POST"):
            return None
        try:
            parameters = await _request_parameters(request, self.settings.max_json_depth)
        except MalformedRequest as exc:
            return _error_response(400, str(exc), media_type, code="BAD_REQUEST")
        operation_name = parameters.get("operationName")
        operations = _operations(request, parameters["query"], self.settings)
        if not operations:
            return None  # a syntax error or no operation: GraphQL reports it
        # From here on the HTTP request is well-formed: a GraphQL request error is 200 with application/json.
        request_error = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200
        if operation_name is None and len(operations) > 1:
            return _error_response(
                request_error,
                "Must provide operationName if the document contains several operations.",
                media_type,
                code="BAD_REQUEST",
            )
        chosen = [op for op in operations if operation_name is None or (op.name and op.name.value == operation_name)]
        if not chosen:
            names = ", ".join(f'"{op.name.value}"' for op in operations if op.name) or "only an unnamed operation"
            return _error_response(
                request_error,
                f'Unknown operation named "{operation_name}": the document defines {names}.',
                media_type,
                code="BAD_REQUEST",
            )
        request.state.graphql_operation = chosen[0]
        if request.method == "GET" and chosen[0].operation is not OperationType.QUERY:
            return _error_response(
                405,
                f"Method Not Allowed: a {chosen[0].operation.value} must be sent with POST.",
                media_type,
                {"Allow": "POST"},
            )
        return None

    def decode_json(self, data: str | bytes) -> object:
        return loads_json(data)

    def encode_json(self, data: object) -> bytes:
        return dumps_json(data)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, Request) and request.scope.get("type") == "http":
            refused = await self.refusal(request)
            if refused is not None:
                return refused
        return await super().run(request, context, root_value)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        _MEDIA_TYPES[sub_response] = negotiate(request.headers.get("accept")) or JSON
        return sub_response

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if is_request_error(result):
            processed.pop("data", None)
        return processed

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = _MEDIA_TYPES.get(sub_response, JSON)
        response.headers["content-type"] = _content_type(media_type)
        if media_type == GRAPHQL_RESPONSE_JSON and isinstance(response_data, dict) and "data" not in response_data:
            response.status_code = 400
        return response
