"""Relay cursor connections with `totalCount`, paginated in SQL or in memory.

Every list field is declared with Strawberry's `relay.connection` decorator and
`Connection[Node]`; the resolver returns either

- a Python list (children from a DataLoader, already filtered): paginated in memory, or
- `QueryNodes(statement, convert)`: paginated in SQL with OFFSET/LIMIT, and
  `totalCount` counted only when it is selected.

Cursors are opaque offsets ("arrayconnection:<n>" in base64, as Strawberry's
`ListConnection`).  `first`/`last` above `settings.max_page_size` is refused
with a clear error instead of being silently capped: before execution by the
query limits (`kkr.schema.limits`, PAGE_TOO_LARGE, literals and variables alike),
and here again for any path that bypasses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import strawberry
from graphql import GraphQLError
from sqlalchemy import Select, func, select
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.relay.fields import ConnectionExtension
from strawberry.relay.types import NodeType
from strawberry.relay.utils import from_base64, to_base64
from strawberry.types.field import StrawberryField
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from .database import scalar, scalars
from .fields import field

CURSOR_PREFIX = "arrayconnection"
T = TypeVar("T")


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


#: Cursors encode an offset; anything beyond this is no cursor this API handed out (and would overflow SQL).
MAX_OFFSET = 2**31


def offset_cursor(offset: int) -> str:
    return to_base64(CURSOR_PREFIX, offset)


def cursor_offset(cursor: str, argument: str) -> int:
    try:
        prefix, value = from_base64(cursor)
        offset = int(value)
    except ValueError:
        raise bad_input(f"Argument '{argument}' is not a valid cursor.") from None
    if prefix != CURSOR_PREFIX or not 0 <= offset < MAX_OFFSET:
        raise bad_input(f"Argument '{argument}' is not a valid cursor.")
    return offset


@dataclass(frozen=True)
class PageRequest:
    """The pagination arguments of one connection field, validated."""

    first: int | None
    after: int | None
    last: int | None
    before: int | None
    max_page_size: int

    @classmethod
    def from_arguments(
        cls, info: strawberry.Info, *, first: int | None, after: str | None, last: int | None, before: str | None
    ) -> PageRequest:
        max_page_size = info.context.settings.max_page_size
        for name, value in (("first", first), ("last", last)):
            if value is not None and value < 0:
                raise bad_input(f"Argument '{name}' must be a non-negative integer.")
            if value is not None and value > max_page_size:
                raise bad_input(
                    f"Argument '{name}' is {value}, above the maximum page size of {max_page_size}:"
                    f" page through the list with the 'after' or 'before' cursors."
                )
        return cls(
            first=first,
            after=cursor_offset(after, "after") if after else None,
            last=last,
            before=cursor_offset(before, "before") if before else None,
            max_page_size=max_page_size,
        )

    @property
    def needs_total(self) -> bool:
        """`last` without `before` counts from the end of the list, so the total is needed."""
        return self.last is not None and self.before is None

    def window(self, total: int | None) -> tuple[int, int]:
        """[start, end) of the requested page; `total` is required when `needs_total`.

        Without `first` and `last` a page is at most `max_page_size` long.
        """
        start = self.after + 1 if self.after is not None else 0
        end = self.before if self.before is not None else total
        if self.first is not None:
            end = start + self.first if end is None else min(end, start + self.first)
        if self.last is not None:
            assert end is not None
            start = max(start, end - self.last)
        if end is None:
            end = start + self.max_page_size
        if self.first is None and self.last is None:
            end = min(end, start + self.max_page_size)
        return start, max(start, end)


@dataclass
class QueryNodes(Iterable[T], Generic[T]):
    """A SELECT of model rows to paginate in SQL; `convert` makes each row a GraphQL object.

    The statement must have a total, deterministic ORDER BY (end with a key column).
    """

    statement: Select[Any]
    convert: Callable[[Any], T]

    def __iter__(self) -> Iterator[T]:  # pragma: no cover - guards against misuse
        raise TypeError("QueryNodes is paginated by Connection.resolve_connection, not iterated")


def _selects(selections: Sequence[Any], name: str) -> bool:
    for selection in selections:
        if isinstance(selection, (InlineFragment, FragmentSpread)):
            if _selects(selection.selections, name):
                return True
        elif isinstance(selection, SelectedField) and selection.name == name:
            return True
    return False


def selects_field(info: strawberry.Info, name: str) -> bool:
    """Whether the current field's selection asks for `name` (directly or in a fragment)."""
    return any(_selects(field.selections, name) for field in info.selected_fields)


@strawberry.type(description="A page of a list (Relay cursor connection) with the size of the whole list.")
class Connection(relay.Connection[NodeType]):
    total_count: int = strawberry.field(description="Number of items in the whole list (all pages), after filtering.")

    @field(description="The items of this page (shortcut for edges { node }).")
    def nodes(self) -> list[NodeType]:
        return [edge.node for edge in self.edges]

    @classmethod
    def build(cls, items: Sequence[Any], start: int, total: int | None, has_next: bool) -> Connection[Any]:
        edges = [relay.Edge(cursor=offset_cursor(start + i), node=node) for i, node in enumerate(items)]
        page_info = relay.PageInfo(
            has_previous_page=start > 0,
            has_next_page=has_next,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        # None only when totalCount is not selected (counting is skipped then), so it is never sent as null
        return cls(edges=edges, page_info=page_info, total_count=cast(int, total))

    @classmethod
    def resolve_connection(  # type: ignore[override]
        cls,
        nodes: Iterable[Any],
        *,
        info: strawberry.Info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        **kwargs: Any,
    ) -> Any:
        page = PageRequest.from_arguments(info, first=first, after=after, last=last, before=before)
        if isinstance(nodes, QueryNodes):
            return cls._resolve_query(nodes, page, info)
        items = list(nodes)
        start, end = page.window(len(items))
        return cls.build(items[start:end], start, len(items), end < len(items))

    @classmethod
    async def _resolve_query(cls, nodes: QueryNodes[Any], page: PageRequest, info: strawberry.Info) -> Any:
        total = None
        if page.needs_total or selects_field(info, "totalCount"):
            counted = select(func.count()).select_from(nodes.statement.order_by(None).subquery())
            counted = counted.execution_options(**nodes.statement.get_execution_options())  # e.g. cross-tenant
            total = await scalar(info.context, counted)
        start, end = page.window(total)
        rows = list(await scalars(info.context, nodes.statement.offset(start).limit(end - start + 1)))
        has_next = len(rows) > end - start or (total is not None and end < total)
        return cls.build([nodes.convert(row) for row in rows[: end - start]], start, total, has_next)


_ARGUMENT_DESCRIPTIONS = {
    "first": "Return the first n items (at most the maximum page size, 100 by default).",
    "after": "Return the items after this cursor (an edge's cursor or pageInfo.endCursor).",
    "last": "Return the last n items (at most the maximum page size, 100 by default).",
    "before": "Return the items before this cursor (an edge's cursor or pageInfo.startCursor).",
}


class PageArguments(ConnectionExtension):
    """Strawberry's connection arguments with accurate descriptions."""

    def apply(self, field: StrawberryField) -> None:
        super().apply(field)
        for argument in field.arguments:
            if argument.python_name in _ARGUMENT_DESCRIPTIONS:
                argument.description = _ARGUMENT_DESCRIPTIONS[argument.python_name]


def connection(
    graphql_type: Any, *, description: str, permission_classes: list[type[BasePermission]] | None = None
) -> StrawberryField:
    """A Relay connection field (first/after/last/before); the decorated resolver returns a list or `QueryNodes`."""
    field: StrawberryField = relay.connection(
        graphql_type, description=description, permission_classes=permission_classes
    )
    field.extensions = [PageArguments() if isinstance(e, ConnectionExtension) else e for e in field.extensions]
    return field
