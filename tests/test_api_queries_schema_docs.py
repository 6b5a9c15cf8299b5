"""The SDL is the front-ends' documentation: every type, field, argument and enum value has a description."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from kkr.schema.schema import schema


def undocumented() -> list[str]:
    missing = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not graphql_type.description:
            missing.append(f"type {name}")
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"field {name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"argument {name}.{field_name}({arg_name})")
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [f"enum value {name}.{v}" for v, value in graphql_type.values.items() if not value.description]
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    assert undocumented() == []


def test_every_entity_is_a_relay_node() -> None:
    node = schema._schema.type_map["Node"]
    assert isinstance(node, GraphQLInterfaceType)
    implementations = {t.name for t in schema._schema.get_possible_types(node)}
    assert implementations >= {
        "Region",
        "Municipality",
        "BusinessHub",
        "HubOffice",
        "HubBoardMember",
        "KkrMember",
        "Partnership",
        "FrameworkAgreement",
        "NationalGoal",
        "NationalTarget",
        "ResultContract",
        "Goal",
        "Indicator",
        "Target",
        "Result",
        "GrowthTeam",
        "GrowthTeamMember",
        "ClimateInitiative",
        "ClimateParticipant",
        "ClimateTarget",
        "BenchmarkObservation",
    }


def test_every_list_of_entities_is_a_connection_with_total_count() -> None:
    node = schema._schema.type_map["Node"]
    assert isinstance(node, GraphQLInterfaceType)
    node_types = set(schema._schema.get_possible_types(node))
    plain_lists = []
    for type_name, graphql_type in schema._schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            item = get_named_type(field.type)
            if is_list_type(get_nullable_type(field.type)) and (item in node_types or item.name == "Node"):
                plain_lists.append(f"{type_name}.{field_name}")
    connection_nodes = {f"{name}.nodes" for name in schema._schema.type_map if name.endswith("Connection")}
    # Closed lists of the five regions are not paginated; `nodes(ids:)` returns what was asked for.
    assert sorted(set(plain_lists) - connection_nodes) == ["Partnership.parties", "Query.nodes", "Query.regions"]
    for name, graphql_type in schema._schema.type_map.items():
        if name.endswith("Connection") and isinstance(graphql_type, GraphQLObjectType):
            assert {"totalCount", "pageInfo", "edges", "nodes"} <= set(graphql_type.fields), name
