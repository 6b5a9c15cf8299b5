"""`to_one` fields (kkr.schema.common.relations): each reads its key from an attribute its type has, and
the resolver answers null for no key or no row when nullable, an error when not."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from kkr.schema.common.loaders import OneByKey
from kkr.schema.common.relations import TO_ONE_KEY, lazy_type, to_one
from kkr.schema.geography.loaders import REGION_BY_SLUG
from kkr.schema.schema import schema


def _to_one_fields() -> list[tuple[type, str, str]]:
    found = []
    for graphql_type in schema._schema.type_map.values():
        definition = getattr(graphql_type, "extensions", {}).get("strawberry-definition")
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            if TO_ONE_KEY in (field.metadata or {}):
                found.append((definition.origin, field.python_name, field.metadata[TO_ONE_KEY]))
    return found


def test_every_to_one_field_reads_an_attribute_of_its_type() -> None:
    fields = _to_one_fields()
    assert len(fields) >= 25  # region, businessHub, municipality, contract, goal, ... of every domain
    for origin, name, key in fields:
        attributes = {f.name for f in dataclasses.fields(origin)}
        assert key in attributes, f"{origin.__name__}.{name} reads {key!r}, which {origin.__name__} does not have"


@dataclasses.dataclass(frozen=True)
class _Loader(OneByKey):
    """A loader answering from a dict instead of the database."""

    rows: dict[str, Any] = dataclasses.field(default_factory=dict)

    async def load(self, info: strawberry.Info, key: Any) -> Any:
        return None if key is None else self.rows.get(key)


class _Converted:
    @classmethod
    def from_row(cls, row: Any) -> Any:
        return ("converted", row)


async def _resolve(field: Any, source: Any) -> Any:
    return await field.base_resolver.wrapped_func(source, None)


async def test_nullable_gives_null_for_no_key_and_no_row_and_converts_a_row() -> None:
    field = to_one(_Loader(REGION_BY_SLUG.column, {"a": "row-a"}), "slug", _Converted, nullable=True, description="d")
    assert await _resolve(field, SimpleNamespace(slug="a")) == ("converted", "row-a")
    assert await _resolve(field, SimpleNamespace(slug="b")) is None
    assert await _resolve(field, SimpleNamespace(slug=None)) is None


async def test_non_null_refuses_a_missing_row() -> None:
    field = to_one(_Loader(REGION_BY_SLUG.column), "slug", _Converted, description="d")
    with pytest.raises(LookupError, match="slug"):
        await _resolve(field, SimpleNamespace(slug="b"))


async def test_a_lazy_type_is_found_when_resolved() -> None:
    field = to_one(
        _Loader(REGION_BY_SLUG.column, {"a": "row-a"}), "slug", lazy_type("_Converted", __name__), description="d"
    )
    assert await _resolve(field, SimpleNamespace(slug="a")) == ("converted", "row-a")
