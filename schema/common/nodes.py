"""Relay `Node` helpers: resolving global IDs to rows through the request's DataLoaders, and the one
answer to an id that is not valid.

A global id is **well-formed** when it is the base64 of `<Type>:<key>`, `<Type>` a GraphQL name and `<key>`
non-empty text without NUL.  Anything else (not base64, no `:`, a NUL, ...) is refused with one
BAD_USER_INPUT error, `Argument '<name>' is not a valid id.`  What a well-formed id answers:

- `node(id:)` / `nodes(ids:)`: the object, or null when its type is not in the caller's schema (an unknown
  type name and the name of a type hidden from the caller alike: the answer cannot tell them apart) or its
  row does not exist or is not visible to the caller (row-level security);
- an argument that expects one type (`goal(contract:)`, `goals(nationalGoal:)`): an id of another type,
  known, hidden or unknown, or with a key that type cannot have, is the same invalid-id error; mutation
  inputs answer likewise with one payload message per expected type (`errors.decode_id`).

The read side's shared base types: `LoadedNode` (a Node whose ids are resolved through one `OneByKey` loader,
declared per type as `node_loader`), `AuditedNode` (adds `history`) and `EditableNode` (adds `rowVersion`).
Rows become objects with `rows.copied` (same-named attributes, enums converted, `source` from the source
columns): the two bases with a UUID key copy `id=str(row.id)`, `row_id=row.id` and the rest by name, so a
subclass writes a `from_row` only for what differs (e.g. `region_slug=row.tenant_id`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, Self

import strawberry
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_nullable_type,
    value_from_ast_untyped,
)
from sqlalchemy import Uuid
from strawberry import relay
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from ..audit.types import HISTORY_DESCRIPTION, AuditEvent, history_of
from ..permissions import RegionalRead
from .connection import Connection, bad_input, connection
from .errors import InvalidInput
from .loaders import OneByKey
from .rows import copied


def invalid_id(argument: str) -> GraphQLError:
    """The error for every id that is not valid where it is sent (see the module docstring)."""
    return bad_input(f"Argument '{argument}' is not a valid id.")


def is_well_formed(gid: relay.GlobalID) -> bool:
    """A type name that can be a GraphQL name and a non-empty key PostgreSQL can store."""
    name = gid.type_name
    return (
        bool(name)
        and (name[0].isalpha() or name[0] == "_")
        and name.replace("_", "a").isalnum()
        and name.isascii()
        and bool(gid.node_id)
        and "\x00" not in gid.node_id
    )


def typed_id(gid: relay.GlobalID, expected: str, argument: str) -> str:
    """The key of `gid` when it is a well-formed id of type `expected`, else the invalid-id error."""
    if gid.type_name != expected or not is_well_formed(gid):
        raise invalid_id(argument)
    return gid.node_id


def _is_id_type(graphql_type: Any) -> bool:
    return isinstance(graphql_type, GraphQLScalarType) and graphql_type.name == "ID"


def _undecodable(value: Any, graphql_type: Any, path: str) -> Iterator[str]:
    """Paths (`ids[2]`, `input.contractId`) of the id values inside `value` that are no global ids at all."""
    graphql_type = get_nullable_type(graphql_type)
    if isinstance(graphql_type, GraphQLList):
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            yield from _undecodable(item, graphql_type.of_type, f"{path}[{index}]")
    elif isinstance(graphql_type, GraphQLInputObjectType) and isinstance(value, dict):
        for name, field in graphql_type.fields.items():
            if name in value:
                yield from _undecodable(value[name], field.type, f"{path}.{name}")
    elif _is_id_type(graphql_type) and isinstance(value, str):
        try:
            relay.GlobalID.from_id(value)
        except ValueError:
            yield path


def malformed_id_argument(error: GraphQLError, schema: GraphQLSchema | None, variables: dict[str, Any]) -> str:
    """The argument (and path inside it) of the field that `error` reports whose id could not be decoded;
    "id" when it cannot be told."""
    node = error.nodes[0] if error.nodes else None
    if schema is None or not isinstance(node, FieldNode):
        return "id"
    name = node.name.value
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)) or name not in graphql_type.fields:
            continue
        definitions = graphql_type.fields[name].args
        for argument in node.arguments or ():
            definition = definitions.get(argument.name.value)
            if definition is not None:
                value = value_from_ast_untyped(argument.value, variables)
                for path in _undecodable(value, definition.type, argument.name.value):
                    return path
    return "id"


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def resolve_nodes(
    info: strawberry.Info,
    node_ids: Iterable[str],
    loader: OneByKey,
    convert: Callable[[Any], Any],
    *,
    uuid_keys: bool = False,
    required: bool = False,
) -> list[Any]:
    """The objects for `node_ids` in order; None for ids that do not exist or are not visible (row-level security)."""
    ids = list(node_ids)
    keys = [parse_uuid(i) for i in ids] if uuid_keys else ids
    rows = await loader.load_nodes(info, [k for k in keys if k is not None])
    found = iter(rows)
    result: list[Any] = []
    for key in keys:
        row = next(found) if key is not None else None
        result.append(convert(row) if row is not None else None)
    if required and any(r is None for r in result):
        missing = [i for i, r in zip(ids, result, strict=True) if r is None]
        raise InvalidInput(f"No node with id(s) {', '.join(missing)}")
    return result


@strawberry.type
class LoadedNode(relay.Node):
    """A Node whose rows one `OneByKey` loader finds by key (`node_loader`, declared by each subclass), and
    which `from_row` converts; ids are UUIDs when the loader's column is one, else slugs or codes."""

    node_loader: ClassVar[OneByKey]

    @classmethod
    def from_row(cls, row: Any) -> Self:  # pragma: no cover - a type keyed otherwise than by UUID states its id
        raise NotImplementedError(f"{cls.__name__}.from_row: state the id, e.g. copied(cls, row, id=row.slug)")

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        uuid_keys = isinstance(cls.node_loader.column.type, Uuid)
        return await resolve_nodes(
            info, node_ids, cls.node_loader, cls.from_row, uuid_keys=uuid_keys, required=required
        )


async def _history(self: AuditedNode | EditableNode, info: strawberry.Info) -> list[AuditEvent]:
    return await history_of(info, self.row_id)


def _history_field() -> StrawberryField:
    """The `history` connection of an audited row (its audit events, regional staff only)."""
    # AuditEvent is no Node: relay.Connection's type variable is bound to Node for type checkers only.
    events: Any = Connection[AuditEvent]  # type: ignore[type-var]
    return connection(events | None, description=HISTORY_DESCRIPTION, permission_classes=[RegionalRead])(_history)


@strawberry.type
class AuditedNode(LoadedNode):
    """A Node of an audited table (UUID `row_id`) that is never edited (a result): its change history."""

    row_id: strawberry.Private[uuid.UUID]
    history = _history_field()

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id)


@strawberry.type
class EditableNode(LoadedNode):
    """A Node editors change through mutations: optimistic concurrency by `rowVersion`, and its change history."""

    row_id: strawberry.Private[uuid.UUID]
    row_version: int = strawberry.field(description="Version for optimistic concurrency (send it back when editing).")
    history = _history_field()

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id), row_id=row.id)


class AtMostOnePage(FieldExtension):
    """Refuses `nodes(ids:)` with more ids than the maximum page size (`settings.max_page_size`)."""

    def _check(self, info: strawberry.Info, ids: list[Any]) -> None:
        limit = info.context.settings.max_page_size
        if len(ids) > limit:
            raise bad_input(f"Argument 'ids' has {len(ids)} ids, above the maximum page size of {limit}.")

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        self._check(info, kwargs.get("ids") or [])
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        self._check(info, kwargs.get("ids") or [])
        return await next_(source, info, **kwargs)
