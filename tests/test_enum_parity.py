"""Model enums and their GraphQL mirrors agree member for member, and a mismatch fails when the schema module
is imported (`EnumMismatch`), never as a masked internal error when a row carrying the new value is read."""

from __future__ import annotations

import enum
import inspect

import pytest
import strawberry

from kkr.platform.models import enums as model_enums
from kkr.platform.services import aggregates, errors, fulfilment
from kkr.schema.aggregates import types as aggregate_types
from kkr.schema.common import enums
from kkr.schema.common import errors as graphql_errors
from kkr.schema.common.enums import EnumMismatch, described, mirrors, to_graphql, to_model
from kkr.schema.contracts import targets
from kkr.schema.schema import schema

MODEL_ENUMS = [
    c
    for _, c in inspect.getmembers(model_enums, inspect.isclass)
    if issubclass(c, enum.Enum) and c.__module__ == model_enums.__name__
]
MIRROR_OF = {model: graphql for graphql, model in enums.MIRRORED.items()}

#: Platform enums mirrored in other schema modules (their GraphQL name, the platform enum).
OTHER_MIRRORS: list[tuple[type[enum.Enum], type[enum.Enum]]] = [
    (aggregate_types.AggregateFamily, aggregates.Family),
    (aggregate_types.AggregateDimension, aggregates.Dimension),
    (aggregate_types.AggregateMeasure, aggregates.Measure),
    (aggregate_types.AggregateSubtotals, aggregates.Subtotals),
    (targets.FulfilmentStatus, fulfilment.FulfilmentStatus),
    (graphql_errors.ErrorCode, errors.ErrorCode),
]


def test_every_model_enum_has_one_graphql_mirror() -> None:
    assert len(MODEL_ENUMS) >= 11
    assert set(MIRROR_OF) >= set(MODEL_ENUMS), {m.__name__ for m in MODEL_ENUMS} - {m.__name__ for m in MIRROR_OF}
    assert len(MIRROR_OF) == len(enums.MIRRORED)  # no model enum mirrored twice
    defined = [c for _, c in inspect.getmembers(enums, inspect.isclass) if c.__module__ == enums.__name__]
    graphql_enums = {c for c in defined if issubclass(c, enum.Enum)}
    assert graphql_enums == set(enums.MIRRORED) | enums.GRAPHQL_ONLY


@pytest.mark.parametrize("model", MODEL_ENUMS, ids=lambda m: m.__name__)
def test_every_value_converts_both_ways(model: type[enum.Enum]) -> None:
    graphql = MIRROR_OF[model]
    assert [g.name for g in graphql] == [m.name.upper() for m in model]
    for member in model:
        g = to_graphql(graphql, member)
        assert g is not None and g.name == member.name.upper()
        assert to_graphql(graphql, member.value) is g  # the stored value, as a raw SQL row carries it
        assert to_model(model, g) is member
    for g in graphql:
        assert to_graphql(graphql, to_model(model, g)) is g


@pytest.mark.parametrize("model", MODEL_ENUMS, ids=lambda m: m.__name__)
def test_the_published_schema_has_every_value(model: type[enum.Enum]) -> None:
    graphql = MIRROR_OF[model]
    published = schema._schema.get_type(graphql.__name__)
    assert published is not None and list(published.values) == [m.name.upper() for m in model]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("graphql", "platform"), OTHER_MIRRORS, ids=lambda e: e.__name__)
def test_other_mirrors_of_platform_enums_agree(graphql: type[enum.Enum], platform: type[enum.Enum]) -> None:
    assert [g.name for g in graphql] == [p.name.upper() for p in platform]
    assert [str(getattr(g.value, "value", g.value)) for g in graphql] == [str(p.value) for p in platform]


class Colour(str, enum.Enum):
    red = "red"
    green = "green"


def test_a_model_value_without_a_graphql_member_fails_at_import() -> None:
    with pytest.raises(EnumMismatch, match=r"Colour\.green has no GraphQL member GREEN"):

        @mirrors(Colour)
        @strawberry.enum
        class GraphQLColour(enum.Enum):
            RED = described(Colour.red, "Red.")


def test_a_misnamed_or_foreign_member_fails_at_import() -> None:
    with pytest.raises(EnumMismatch, match="ROUGE should be named RED"):

        @mirrors(Colour)
        @strawberry.enum
        class Misnamed(enum.Enum):
            ROUGE = described(Colour.red, "Red.")
            GREEN = described(Colour.green, "Green.")

    with pytest.raises(EnumMismatch, match="'red' is not a member of Colour"):

        @mirrors(Colour)
        @strawberry.enum
        class Plain(enum.Enum):
            RED = strawberry.enum_value("red")
            GREEN = described(Colour.green, "Green.")


def test_a_mirror_carries_model_members_through_a_request() -> None:
    """Out: a resolver may return the model member, the GraphQL member or the stored value; in: an argument
    arrives as the GraphQL member, whose value is the model member."""
    seen: list[model_enums.Comparator | None] = []

    @strawberry.type
    class Query:
        @strawberry.field
        def stored(self) -> list[enums.Comparator]:
            return [
                model_enums.Comparator.at_least,  # type: ignore[list-item]
                enums.Comparator.AT_MOST,
                "exactly",  # type: ignore[list-item]
            ]

        @strawberry.field
        def given(self, comparator: enums.Comparator) -> bool:
            seen.append(to_model(model_enums.Comparator, comparator))
            return comparator.value is model_enums.Comparator.range

    result = strawberry.Schema(query=Query).execute_sync("{ stored given(comparator: RANGE) }")
    assert result.errors is None
    assert result.data == {"stored": ["AT_LEAST", "AT_MOST", "EXACTLY"], "given": True}
    assert seen == [model_enums.Comparator.range]
