"""Text PostgreSQL cannot store is refused before the request runs: the NUL character (U+0000) and
unpaired surrogates (e.g. a JSON "\ud800"), which are no UTF-8.  The error names the variable or the
position of the literal, instead of the request failing in the database."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension

NUL = "\x00"
PROBLEM = "text may not contain the NUL character (U+0000) or unpaired surrogates"


def unstorable(text: str) -> bool:
    if NUL in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def nul_path(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The path to the first unstorable string inside `value`, or None."""
    if isinstance(value, str):
        return path if unstorable(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and unstorable(key):
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
        if unstorable(node.value):
            self.found.append(node)


def _error(message: str, nodes: list[StringValueNode] | None = None) -> GraphQLError:
    return GraphQLError(message, nodes=nodes, extensions={"code": "BAD_USER_INPUT"})


class RejectNulCharacters(SchemaExtension):
    def on_validate(self):  # noqa: ANN201
        context = self.execution_context
        path = nul_path(context.variables or {}, ())
        if path is not None:
            where = ".".join(str(part) for part in path)
            context.pre_execution_errors = [_error(f"Variable {where}: {PROBLEM}.")]
        elif context.graphql_document is not None:
            literals = _NulLiterals()
            visit(context.graphql_document, literals)
            if literals.found:
                context.pre_execution_errors = [
                    _error(f"A string literal is not storable: {PROBLEM}.", literals.found)
                ]
        yield
