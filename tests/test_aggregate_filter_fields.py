"""The aggregate filter's fields are the service's filter fields (platform/services/aggregates.FILTER_FIELDS),
one dimension each: a dimension added to one side only fails here, not as a filter silently ignored."""

from __future__ import annotations

from graphql import GraphQLInputObjectType

from kkr.platform.services import aggregates as service
from kkr.schema.aggregates.queries import _FILTER_DIMENSIONS
from kkr.schema.schema import schema


def test_the_filter_input_has_one_field_per_service_filter_field() -> None:
    filter_type = schema._schema.type_map["AggregateFilter"]
    assert isinstance(filter_type, GraphQLInputObjectType)
    assert set(filter_type.fields) == set(service.FILTER_FIELDS.values())


def test_each_filter_field_filters_its_dimension() -> None:
    assert _FILTER_DIMENSIONS["goal_categories"] is service.Dimension.GOAL_CATEGORY
    assert set(_FILTER_DIMENSIONS.values()) == set(service.FILTER_FIELDS)
    assert len(_FILTER_DIMENSIONS) == len(service.FILTER_FIELDS)
