"""The GraphQL schema: every domain's queries and mutations merged into one."""

from __future__ import annotations

import strawberry
from strawberry.extensions import SchemaExtension

from .geography.queries import GeographyQuery


class CloseSession(SchemaExtension):
    """Ends the request's read transaction when the operation is done."""

    async def on_operation(self):  # noqa: ANN201
        yield
        await self.execution_context.context.close()


@strawberry.type(description="Everything a client can read.")
class Query(GeographyQuery):
    pass


schema = strawberry.Schema(query=Query, extensions=[CloseSession])
