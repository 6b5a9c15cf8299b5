"""Reading rows into Strawberry types: "same name, same value", stated once.

`copied(cls, row, **overrides)` builds a `cls` from an ORM row: every init field of the Strawberry
dataclass (its GraphQL fields with a value and its `strawberry.Private` fields) not given in `overrides` takes
the row's attribute of the same name; a field whose GraphQL type is a mirrored enum converts the model member
(`to_graphql`), and a `source: Source` field takes `source_of(row)`.  A type's `from_row` therefore states only
what differs (ids, `region_slug=row.tenant_id`, computed values); `CopiedFromRow` gives a non-node type a
`from_row` that is `copied` alone (the shared node bases in `nodes.py` do the same).

The per-class plan (which fields, which enum, which source) is worked out once, at a class's first row, and
kept; a row without an attribute the plan needs fails with `RowMismatch`, naming the type and the field.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any, Self, TypeVar, cast

from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition

from .enums import to_graphql

T = TypeVar("T")

#: A field's value from a row.
Reader = Callable[[Any], Any]


class RowMismatch(AttributeError):
    """A row lacks an attribute its type copies (a renamed column, or a row of the wrong table)."""


def _missing(cls: type, name: str, row: Any) -> RowMismatch:
    return RowMismatch(
        f"{cls.__name__}.from_row: the row {type(row).__name__} has no attribute {name!r}"
        f" (give {name}= as an override, or rename the field)."
    )


def _graphql_enum(field_type: Any) -> type[enum.Enum] | None:
    """The GraphQL enum a (possibly optional) Strawberry field type is, if it is one."""
    while isinstance(field_type, StrawberryOptional):
        field_type = field_type.of_type
    if isinstance(field_type, StrawberryEnumDefinition):
        return cast("type[enum.Enum]", field_type.wrapped_cls)
    return None


def _reader(cls: type, name: str, field_type: Any) -> Reader:
    from .source import Source, source_of  # source.py's own types are copied too

    if name == "source" and field_type is Source:
        return source_of
    graphql_enum = _graphql_enum(field_type)

    def plain(row: Any) -> Any:
        try:
            return getattr(row, name)
        except AttributeError:
            raise _missing(cls, name, row) from None

    if graphql_enum is None:
        return plain

    def converted(row: Any) -> Any:
        return to_graphql(graphql_enum, plain(row))

    return converted


_PLANS: dict[type, tuple[tuple[str, Reader], ...]] = {}


def _plan(cls: type) -> tuple[tuple[str, Reader], ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        definition = getattr(cls, "__strawberry_definition__", None)
        graphql_fields = {f.python_name: f for f in definition.fields} if definition is not None else {}
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        # A Private field is no GraphQL field (no type to look at): it is copied as it is.
        plan = tuple(
            (name, _reader(cls, name, graphql_fields[name].type if name in graphql_fields else None)) for name in names
        )
        _PLANS[cls] = plan
    return plan


def copied(cls: type[T], row: Any, /, **overrides: Any) -> T:
    """A `cls` from `row`: the `overrides` as given, every other init field from the row's same-named
    attribute (enums converted, `source` from the source columns)."""
    values = dict(overrides)
    for name, read in _plan(cls):
        if name not in values:
            values[name] = read(row)
    return cls(**values)


class CopiedFromRow:
    """Mixin for a Strawberry type whose rows are copied field by field (`copied` without overrides)."""

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row)
