"""PostgreSQL text cannot hold the NUL character (U+0000): a request carrying one is refused before it runs,
with an error naming the variable or the position of the literal, instead of failing in the database."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

NUL = "\x00"


def nul_path(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The path to the first string containing NUL inside `value`, or None."""
    if isinstance(value, str):
        return path if NUL in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and NUL in key:
            return (*path, key)
        found = nul_path(item, (*path, key))
        if found is not None:
            return found
    return None


class _NulLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[StringValueNode] = []

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if NUL in node.value:
            self.found.append(node)


def _error(message: str, nodes: list[StringValueNode] | None = None) -> GraphQLError:
    return GraphQLError(message, nodes=nodes, extensions={"code": "BAD_USER_INPUT"})


class RejectNulCharacters(SchemaExtension):
    def on_validate(self):  # noqa: ANN201
        context = self.execution_context
        path = nul_path(context.variables or {}, ())
        if path is not None:
            where = ".".join(str(part) for part in path)
            context.pre_execution_errors = [_error(f"Variable {where}: text may not contain the NUL character (U+0000).")]
        elif context.graphql_document is not None:
            literals = _NulLiterals()
            visit(context.graphql_document, literals)
            if literals.found:
                context.pre_execution_errors = [
                    _error("A string literal contains the NUL character (U+0000), which text may not.", literals.found)
                ]
        yield
