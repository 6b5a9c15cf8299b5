"""Text PostgreSQL cannot store is refused before the request runs: the NUL character (U+0000) and
unpaired surrogates (e.g. a JSON "\ud800"), which are no UTF-8.  The error names the variable or the
position of the literal, instead of the request failing in the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

from kkr.platform.text import PROBLEM, first_unstorable, unstorable


class _UnstorableLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[StringValueNode] = []

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if unstorable(node.value):
            self.found.append(node)


def _error(message: str, nodes: list[StringValueNode] | None = None) -> GraphQLError:
    return GraphQLError(message, nodes=nodes, extensions={"code": "BAD_USER_INPUT"})


class RejectUnstorableText(SchemaExtension):
    """Refuses a request whose variables or string literals hold text PostgreSQL cannot store."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        path = first_unstorable(context.variables or {})
        if path is not None:
            where = ".".join(str(part) for part in path)
            context.pre_execution_errors = [_error(f"Variable {where}: {PROBLEM}.")]
        elif context.graphql_document is not None:
            literals = _UnstorableLiterals()
            visit(context.graphql_document, literals)
            if literals.found:
                context.pre_execution_errors = [_error(f"A string literal is not storable: {PROBLEM}.", literals.found)]
        yield
