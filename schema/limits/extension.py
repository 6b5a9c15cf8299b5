"""`QueryLimits`: the query limits as one Strawberry schema extension, first in the schema's list.

- on_operation, before anything reads the document: the variables' size, then the document's size and
  tokens while it is parsed once (`parse_document`; the document the HTTP layer parsed is reused).  A refused
  document is replaced by a placeholder operation, so Strawberry neither parses it nor runs it, and the
  refusal is answered as a request error at validation.
- on_validate, before any validation rule runs (the specified rules include OverlappingFieldsCanBeMerged,
  quadratic in a selection set's repeated fields): one walk measures depth, aliases, root fields, repeated
  fields, directives, page sizes, searches and the cost (`analysis.measure`, with the request's variables).
  The first limit passed is the request's error; validation and execution do not run.
- get_results: `extensions.cost = {"requested": <the cost>, "limit": MAX_COST}` in every response whose
  operation was measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSyntaxError,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from kkr.platform.settings import Settings, get_settings

from .analysis import Measures, measure
from .document import check_variables, parse_document
from .errors import QUERY_TOO_COSTLY, QUERY_TOO_DEEP, TOO_MANY_ALIASES, TOO_MANY_ROOT_FIELDS, LimitExceeded

#: Where the HTTP layer leaves the document it parsed: request.state.<this> = (query, document).
PARSED_DOCUMENT = "kkr_parsed_document"


def _placeholder(operation_name: str | None) -> DocumentNode:
    """A one-field query named like the requested operation: stands in for a refused document."""
    typename = FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=NameNode(value=operation_name) if operation_name else None,
        variable_definitions=(),
        directives=(),
        selection_set=SelectionSetNode(selections=(typename,)),
    )
    return DocumentNode(definitions=(operation,))


def _settings_of(context: Any) -> Settings:
    return getattr(context, "settings", None) or get_settings()


def _parsed_by_http(context: Any, query: str) -> DocumentNode | None:
    state = getattr(getattr(context, "request", None), "state", None)
    parsed = getattr(state, PARSED_DOCUMENT, None) if state is not None else None
    if parsed is not None and parsed[0] == query and isinstance(parsed[1], DocumentNode):
        return parsed[1]
    return None


def first_limit_passed(measures: Measures, settings: Settings) -> GraphQLError | None:
    """The error of the first limit the operation passes: aliases, root fields, depth, the problems found
    in the document (repeated fields, directives, page size, search), cost."""
    checks = (
        (measures.aliases, settings.max_aliases, TOO_MANY_ALIASES, "MAX_ALIASES", "aliases"),
        (measures.root_fields, settings.max_root_fields, TOO_MANY_ROOT_FIELDS, "MAX_ROOT_FIELDS", "root fields"),
        (measures.depth, settings.max_depth, QUERY_TOO_DEEP, "MAX_DEPTH", "levels of nested fields"),
    )
    for actual, limit, code, setting, what in checks:
        if actual > limit:
            return LimitExceeded(
                code,
                setting,
                limit,
                actual,
                f"The operation has {actual} {what}, more than the limit of {limit} (setting {setting}).",
            )
    if measures.problems:
        return measures.problems[0]
    if measures.cost > settings.max_cost:
        return LimitExceeded(
            QUERY_TOO_COSTLY,
            "MAX_COST",
            settings.max_cost,
            measures.cost,
            f"The operation's estimated cost is {measures.cost}, more than the limit of "
            f"{settings.max_cost} (setting MAX_COST): ask for smaller pages (first/last) or "
            "fewer nested lists.",
        )
    return None


class QueryLimits(SchemaExtension):
    """Refuses requests over the query limits before they are validated or run (module docstring)."""

    def __init__(self, *, execution_context: Any = None) -> None:
        self.refusal: GraphQLError | None = None
        self.cost: int | None = None
        self.max_cost: int | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        settings = _settings_of(context.context)
        context.parse_options["max_tokens"] = settings.max_tokens  # should Strawberry parse after all
        query = context.query
        if query is not None and context.graphql_document is None:
            try:
                check_variables(context.variables, settings)
                context.graphql_document = _parsed_by_http(context.context, query) or parse_document(query, settings)
            except LimitExceeded as refusal:
                self.refusal = refusal
                context.graphql_document = _placeholder(context.operation_name)
            except GraphQLSyntaxError:
                pass  # Strawberry parses again (within the limits checked) and reports the syntax error
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.refusal is not None:
            context.pre_execution_errors = [self.refusal]
        elif context.pre_execution_errors is None and context.graphql_document is not None:
            error = self._measure()
            if error is not None:
                context.pre_execution_errors = [error]
        yield

    def _measure(self) -> GraphQLError | None:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document is not None else None
        if document is None or operation is None:
            return None  # no such operation: Strawberry reports it
        settings = _settings_of(context.context)
        try:
            measures = measure(context.schema._schema, document, operation, context.variables, settings)
        except RecursionError:  # fragments spreading each other deeper than Python's stack
            return LimitExceeded(
                QUERY_TOO_DEEP,
                "MAX_DEPTH",
                settings.max_depth,
                None,
                "The operation's fragments are nested too deeply, beyond the limit of "
                f"{settings.max_depth} levels (setting MAX_DEPTH).",
            )
        self.cost, self.max_cost = measures.cost, settings.max_cost
        return first_limit_passed(measures, settings)

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.max_cost}}
