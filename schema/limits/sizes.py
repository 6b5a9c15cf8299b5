"""How many items a list field is assumed to return, for the query cost (IBM's "GraphQL Cost Directives":
`@listSize(assumedSize:, slicingArguments:, sizedFields:)`, declared here instead of in the SDL).

The cost of an operation is the number of fields it may resolve: every field costs 1, and the selection
below a list is counted once per item.  How many items:

- a connection (a field with `first`/`last`, Relay): the smaller of `first` and `last` when either is given
  (a literal or a variable, else the variable's default), otherwise its assumed size below; its `edges` and
  `nodes` (the sized fields) repeat per item, `totalCount` and `pageInfo` do not;
- `nodes(ids:)`: the number of ids;
- any other list: its assumed size below.

An assumed size is how many items a list holds for one parent in real data (the curated data of two
regions, 2019-2021: its counts are in the comments), rounded up for all five regions and a few years more.
Down a hierarchy (a contract's goals, their indicators, their targets) sizes multiply, and the largest
counts never meet in one contract: there a size is a generous typical count, not the maximum (the maximum
page size at each level would estimate the dashboard at 100^4 targets).  Lists a query can fan out through
again and again, in a cycle (a region's municipalities, whose region has municipalities, ...), are sized at
their maximum, so a cycle's cost grows as fast as its work.  A list that outgrows its size makes estimates
low, not requests fail; explicit `first`/`last` are always taken at their word.
Without an entry, a connection counts the whole page it may return without `first`/`last` (the maximum
page size, `MAX_PAGE_SIZE`) and any other list `DEFAULT_LIST_SIZE`.  Lists of scalars and enums count as
one field whatever their length.

Introspection (`__schema`, `__type`) is counted the same way, with sizes taken from the full schema itself:
the number of types, and the average number of fields, arguments, input fields, enum values, interfaces and
possible types per type (`introspection_sizes`), so GraphiQL's introspection query costs about the number
of fields its answer has, and nesting `fields { type { fields ... } }` grows as fast as the answer would.
"""

from __future__ import annotations

import math
from functools import lru_cache

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

#: "Type.field" -> assumed number of items for one parent (see the module docstring).
ASSUMED_SIZES: dict[str, int] = {
    # The five regions and the few parties of a partnership.
    "Query.regions": 5,
    "Partnership.parties": 5,
    # Geography: a region or a hub covers at most 29 municipalities (Hovedstaden); a figure per measure and year.
    "Region.municipalities": 30,
    "BusinessHub.municipalities": 30,
    "Municipality.population": 20,
    "Municipality.figures": 20,
    "Region.figureTotals": 20,
    "BusinessHub.figureTotals": 20,
    "Query.municipalityMeasures": 20,
    # Organisations: a region has one or two hubs (2 in the data), a hub a few offices (3) and board members (4);
    # a KKR has a member or two per municipality.
    "Region.businessHubs": 5,
    "Region.kkrMembers": 60,
    "BusinessHub.offices": 10,
    "BusinessHub.boardMembers": 10,
    # Contracts: one per hub and year (4 per region in the data); a contract's goals (at most 22), a goal's
    # indicators (3 on average, at most 9), an indicator's targets (1.1, at most 5), a target's results (1).
    "Region.resultContracts": 10,
    "BusinessHub.resultContracts": 10,
    "FrameworkAgreement.nationalGoals": 10,
    "NationalGoal.targets": 10,
    "NationalGoal.contractGoals": 30,
    "ResultContract.goals": 25,
    "Goal.indicators": 5,
    "Indicator.targets": 3,
    "Target.results": 3,
    "PublishedContract.goals": 25,
    # Growth teams (2 per region, 10 members) and climate initiatives (8 per region, 17 participants, 3 targets).
    "Region.growthTeams": 5,
    "Region.climateInitiatives": 20,
    "GrowthTeam.members": 20,
    "ClimateInitiative.participants": 30,
    "ClimateInitiative.targets": 5,
    # KL's comparisons: a few measures, one figure per hub, region or municipality area compared.
    "BenchmarkComparison.measures": 10,
    "BenchmarkComparison.notReported": 10,
    "ComparisonMeasure.nationalTargets": 5,
    "ComparisonMeasure.figures": 30,
    "ComparisonMeasure.notReported": 10,
    "BenchmarkSeries.points": 50,
    # Aggregates: a cell's coordinates are its grouping dimensions; two dominance rules.
    "AggregateCell.coordinates": 3,
    "DisclosureRules.dominance": 3,
}

#: The changes of one row in its audit trail (`history` of every editable type).
HISTORY_SIZE = 10

#: A mutation payload's `errors`.
PAYLOAD_ERRORS_SIZE = 5

#: Any other list of objects without an entry.
DEFAULT_LIST_SIZE = 100

#: A connection's fields that repeat per item (IBM's `sizedFields`).
SIZED_FIELDS = frozenset({"edges", "nodes"})

#: The slicing arguments of connections.
SLICING_ARGUMENTS = ("first", "last")


def assumed_size(
    type_name: str, field_name: str, is_connection: bool, max_page_size: int, introspection: dict[str, int]
) -> int:
    """Items assumed for `type_name.field_name` when no slicing argument says (see the module docstring)."""
    coordinate = f"{type_name}.{field_name}"
    if coordinate in introspection:
        return introspection[coordinate]
    if coordinate in ASSUMED_SIZES:
        return ASSUMED_SIZES[coordinate]
    if field_name == "history":
        return HISTORY_SIZE
    if field_name == "errors" and type_name.endswith("Payload"):
        return PAYLOAD_ERRORS_SIZE
    return max_page_size if is_connection else DEFAULT_LIST_SIZE


@lru_cache(maxsize=4)
def introspection_sizes(schema: GraphQLSchema) -> dict[str, int]:
    """The introspection lists' sizes for `schema`: its number of types and directives, and the average
    number of fields, arguments, ... per type (rounded up, at least 1)."""
    types = list(schema.type_map.values())
    composite = [t for t in types if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))]
    fields = [f for t in composite for f in t.fields.values()]
    inputs = [t for t in types if isinstance(t, GraphQLInputObjectType)]
    enums = [t for t in types if isinstance(t, GraphQLEnumType)]

    def per(count: int, parents: int) -> int:
        return max(1, math.ceil(count / max(parents, 1)))

    field_args = per(sum(len(f.args) for f in fields), len(fields))
    return {
        "__Schema.types": len(types),
        "__Schema.directives": len(schema.directives),
        "__Type.fields": per(len(fields), len(types)),
        "__Type.inputFields": per(sum(len(t.fields) for t in inputs), len(types)),
        "__Type.enumValues": per(sum(len(t.values) for t in enums), len(types)),
        "__Type.interfaces": per(sum(len(t.interfaces) for t in composite), len(types)),
        "__Type.possibleTypes": per(
            sum(len(schema.get_possible_types(t)) for t in composite if isinstance(t, GraphQLInterfaceType)), len(types)
        ),
        "__Field.args": field_args,
        "__Directive.args": per(sum(len(d.args) for d in schema.directives), len(schema.directives)),
    }
