"""Errors as clients see them: every error carries `extensions.code`; a caller's mistake keeps its message,
anything unexpected is masked (docs/security.md, "Failures").

`present()` decides for each error of a result:

- errors meant for clients pass unchanged (GraphQL errors: validation, FORBIDDEN, bad arguments; refused
  mutations, `ServiceError`; bad values the schema itself reports, `InvalidInput`), given a code when they
  have none: BAD_REQUEST for request errors (syntax, validation, variables: no path), BAD_USER_INPUT for
  field errors;
- a malformed global id (Strawberry's `InvalidGlobalIDError`) becomes the one invalid-id error of
  `kkr.schema.common.nodes`, naming the argument;
- a statement PostgreSQL cancelled at STATEMENT_TIMEOUT_SECONDS is REQUEST_TIMEOUT (also the statements of the
  same request that then find the transaction aborted);
- a database that cannot be reached is SERVICE_UNAVAILABLE (the view answers 503, `kkr.platform.app`);
- anything else, a driver error above all, but also a stray `ValueError` from deep inside, could show SQL,
  parameters or internals: "Internal server error." with `extensions = {"code": "INTERNAL_SERVER_ERROR",
  "requestId": ...}`; the exception goes to the request's log line (`kkr.platform.request_log`).

`ClientErrors` applies it when the operation ends; the GraphQL view applies it once more to whatever
Strawberry answers (an exception outside the operation's extensions included) and reports the errors for
the log.  `Schema.process_errors` logs nothing: Strawberry's default writes a traceback for every error,
a caller's mistakes included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError, InvalidGlobalIDError
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from kkr.platform import failures
from kkr.platform.database import is_unreachable
from kkr.platform.services.errors import ServiceError

from .common.errors import InvalidInput
from .common.nodes import invalid_id, malformed_id_argument

CLIENT_ERRORS = (GraphQLError, ServiceError, InvalidInput, GlobalIDValueError)
BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, CLIENT_ERRORS)


def _aborted_transaction(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, asyncpg.exceptions.InFailedSQLTransactionError):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__
    return False


def _like(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class Presenter:
    """Presents the errors of one result (see the module docstring)."""

    def __init__(
        self,
        *,
        request_id: str | None,
        statement_timeout: float,
        schema: GraphQLSchema | None = None,
        variables: dict[str, Any] | None = None,
        report: dict[str, Any] | None = None,
        on_unavailable: Callable[[], None] | None = None,
    ) -> None:
        self.request_id = request_id
        self.statement_timeout = statement_timeout
        self.schema = schema
        self.variables = variables or {}
        #: The request's `scope["state"]`: the exceptions behind masked errors go to its "unexpected" (the log).
        self.report = report if report is not None else {}
        self.on_unavailable = on_unavailable

    def __call__(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        timed_out = any(failures.is_statement_timeout(e.original_error) for e in errors)
        return [self.one(e, timed_out=timed_out) for e in errors]

    def one(self, error: GraphQLError, *, timed_out: bool = False) -> GraphQLError:
        original = error.original_error
        code = (error.extensions or {}).get("code")
        if isinstance(original, InvalidGlobalIDError):
            argument = malformed_id_argument(error, self.schema, self.variables)
            return _like(error, invalid_id(argument).message, {"code": BAD_USER_INPUT})
        if original is None or isinstance(original, CLIENT_ERRORS):
            if code:
                return error
            if original is None and error.path is not None and error.message.startswith("Cannot return null"):
                return self._masked(error, RuntimeError(error.message))  # a resolver broke the schema's promise
            return _like(
                error,
                error.message,
                {**(error.extensions or {}), "code": BAD_REQUEST if error.path is None else BAD_USER_INPUT},
            )
        if failures.is_statement_timeout(original) or (timed_out and _aborted_transaction(original)):
            return _like(
                error,
                failures.statement_timeout_message(self.statement_timeout),
                {"code": failures.REQUEST_TIMEOUT, "limit": "STATEMENT_TIMEOUT_SECONDS", "max": self.statement_timeout},
            )
        if is_unreachable(original):
            if self.on_unavailable is not None:
                self.on_unavailable()
            return _like(error, failures.UNAVAILABLE_MESSAGE, {"code": failures.SERVICE_UNAVAILABLE})
        return self._masked(error, original)

    def _masked(self, error: GraphQLError, cause: BaseException) -> GraphQLError:
        self.report.setdefault("unexpected", []).append(cause)
        extensions: dict[str, Any] = {"code": failures.INTERNAL_SERVER_ERROR}
        if self.request_id:
            extensions["requestId"] = self.request_id
        return _like(error, failures.INTERNAL_MESSAGE, extensions)


def presenter_for(
    context: Any, schema: GraphQLSchema | None = None, variables: dict[str, Any] | None = None
) -> Presenter:
    """The presenter of a request context (`RequestContext`, or anything with its attributes)."""
    settings = getattr(context, "settings", None)
    request = getattr(context, "request", None)
    db = getattr(context, "db", None)
    return Presenter(
        request_id=getattr(context, "request_id", None),
        statement_timeout=getattr(settings, "statement_timeout_seconds", 0),
        schema=schema,
        variables=variables,
        report=request.scope.setdefault("state", {}) if request is not None else None,
        on_unavailable=getattr(db, "mark_unavailable", None),
    )


class ClientErrors(SchemaExtension):
    """Presents the operation's errors when it ends (see the module docstring)."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if hasattr(context.context, "operation_name"):
            context.context.operation_name = _operation_name(context)
        result = context.result
        if isinstance(result, (GraphQLExecutionResult, StrawberryExecutionResult)) and result.errors:
            present: Callable[[list[GraphQLError]], list[GraphQLError]] = presenter_for(
                context.context, context.schema._schema, context.variables
            )
            result.errors = present(result.errors)


def _operation_name(context: Any) -> str | None:
    if context.operation_name:
        return str(context.operation_name)
    document = context.graphql_document
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)] if document else []
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None


class Schema(strawberry.Schema):
    """Strawberry's schema without its per-error logging: one line per failed request instead
    (`kkr.platform.request_log`)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Nothing: the request's log line reports the errors."""
