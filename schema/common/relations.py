"""`to_one`: the field of a to-one relation, the row another column of this object points at.

Every such field is the same resolver: read the key off the object (`region_slug`, `contract_id`, ...),
look the row up through the request's `OneByKey` loader (one statement per kind of look-up, never one per
row: `kkr.schema.common.loaders`) and convert it with the target type's `from_row`; in a nullable field no
key, or no row the caller may see (row-level security), gives null.  This module writes it once:

    initiative = to_one(INITIATIVE_BY_ID, "initiative_id", ClimateInitiative, nullable=True, description="...")
    region = REGION.field("The region (KKR) that owns the initiative.")

A relation many types have (their region, business hub, municipality, partnership) is declared once as a
`ToOne` beside its loaders (`schema/geography/relations.py`, `schema/organisations/relations.py`) and each
type takes its field from it with its own description.

The target is the class itself when it is defined above the field, or `lazy_type(name, module)` when it
lives in another module (Strawberry's `strawberry.lazy`, for imports that would be circular) or further
down the same module (`__name__`).  A field declared non-null (`nullable=False`) reads a key that always
has a row: a row that is missing there is an internal error, never a silent null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import strawberry
from strawberry.types.field import StrawberryField
from strawberry.types.field import field as strawberry_field
from strawberry.types.lazy_type import LazyType

from .loaders import OneByKey


class FromRow(Protocol):
    """A GraphQL type that converts one row of its model (every read-side type has `from_row`)."""

    @classmethod
    def from_row(cls, row: Any) -> Any: ...


Target = type[FromRow] | LazyType[Any, Any]

#: the field metadata entry naming the attribute a `to_one` field reads its key from
TO_ONE_KEY = "to_one_key"


def lazy_type(type_name: str, module: str) -> LazyType[Any, Any]:
    """The type `type_name` of `module` (a full module name), found when the schema is built."""
    return LazyType(type_name, module)


def _resolved(target: Target) -> type[FromRow]:
    if isinstance(target, LazyType):
        resolved: type[FromRow] = target.resolve_type()
        return resolved
    return target


def to_one(loader: OneByKey, key: str, target: Target, *, description: str, nullable: bool = False) -> StrawberryField:
    """The field of the `target` row whose key (for `loader`) is this object's attribute `key`; null for no
    key or no visible row when `nullable`."""

    async def resolve(self: Any, info: strawberry.Info) -> Any:
        value = getattr(self, key)
        row = await loader.load(info, value)
        if row is None:
            if nullable:
                return None
            raise LookupError(f"{type(self).__name__}.{key}: no {loader.name} row for {value!r}")
        return _resolved(target).from_row(row)

    graphql_type: Any = target
    if nullable:
        graphql_type = graphql_type | None
    made: StrawberryField = strawberry_field(
        description=description, graphql_type=graphql_type, metadata={TO_ONE_KEY: key}
    )(resolve)
    return made


@dataclass(frozen=True)
class ToOne:
    """A to-one relation many types share, declared once: the loader, the attribute holding the key (the
    same in every type that has it) and the target type."""

    loader: OneByKey
    key: str
    target: Target

    def field(self, description: str, *, nullable: bool = False) -> StrawberryField:
        """The relation's field in one type (`to_one`)."""
        return to_one(self.loader, self.key, self.target, nullable=nullable, description=description)
