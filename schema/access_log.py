"""Writes every call made with benchmark:read or aggregates:read to the access log, before it runs.

If the entry cannot be written the call fails: cross-region reads are never unlogged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import GraphQLError, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension

from kkr.platform.auth.access_log import is_logged, record_access


def operation_name_of(query: str | None, provided: str | None) -> str | None:
    """The provided operation name, else the name of the document's only operation (if it has one)."""
    if provided or not query:
        return provided
    try:
        operations = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    except GraphQLError:
        return None
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None


class AccessLog(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context
        request = context.context
        if is_logged(request.identity):
            await record_access(
                request.db,
                request.identity,
                # The document QueryLimits parsed within the limits (a refused one: a placeholder).
                operation_name=context.operation_name
                if context.graphql_document is not None
                else operation_name_of(context.query, context.operation_name),
                document=context.query,
                variables=context.variables,
            )
        yield
