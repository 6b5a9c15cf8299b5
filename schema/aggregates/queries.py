"""The ministries' aggregate query (`aggregates:read`, also open to KL's `benchmark:read`).

`aggregate` computes one table in the database (platform/services/aggregates.py, function
`kkr_aggregate` of migration 0009): grouping, subtotals, filters and the statistical disclosure control
all run in PostgreSQL, and the caller's transaction sees no row of the contract tables.  The HTTP
exports /aggregates.csv and /aggregates.json call the same service.
"""

from __future__ import annotations

import enum
from typing import Annotated, TypeVar

import strawberry
from strawberry.utils.str_converters import to_snake_case

from kkr.platform.services import aggregates as service

from ..common.connection import bad_input
from ..common.database import session_lock
from ..common.fields import field
from ..permissions import AggregatesRead
from .legacy import LegacyAggregatesQuery
from .types import (
    AggregateCell,
    AggregateCoordinate,
    AggregateDimension,
    AggregateFamily,
    AggregateFilter,
    AggregateMeasure,
    AggregateSubtotals,
    AggregateTable,
    DisclosureRules,
    DominanceRule,
    SuppressionReason,
)

#: AggregateFilter's fields (Python names) and the dimension each filters: the service's FILTER_FIELDS
#: (dimension -> GraphQL field name, which its errors name) read the other way round.
_FILTER_DIMENSIONS = {to_snake_case(name): dimension for dimension, name in service.FILTER_FIELDS.items()}


def _filter_values(value: object) -> str:
    # GraphQL enums (UrbanRural, GoalCategory) carry the model member, whose value is the stored text
    # (str() of a str-enum member would be "GoalCategory.national").
    while isinstance(value, enum.Enum):
        value = value.value
    return str(value)


M = TypeVar("M", bound=enum.Enum)


def _service(service_enum: type[M], member: enum.Enum) -> M:
    """The service's member that a GraphQL member of the aggregates carries as its value."""
    return service_enum(member.value)


def request_of(
    family: AggregateFamily,
    measures: list[AggregateMeasure] | None,
    group_by: list[AggregateDimension],
    filter: AggregateFilter | None,
    subtotals: AggregateSubtotals,
) -> service.AggregateRequest:
    filters: dict[service.Dimension, tuple[str, ...]] = {}
    if filter is not None:
        for name, dimension in _FILTER_DIMENSIONS.items():
            values = getattr(filter, name)
            if values is not None:
                filters[dimension] = tuple(_filter_values(v) for v in values)
    return service.AggregateRequest(
        family=_service(service.Family, family),
        group_by=tuple(_service(service.Dimension, d) for d in group_by),
        measures=tuple(_service(service.Measure, m) for m in measures)
        if measures is not None
        else tuple(service.Measure),
        subtotals=_service(service.Subtotals, subtotals),
        filter=filters,
    )


def table_of(table: service.AggregateTable) -> AggregateTable:
    request = table.request
    dimensions = [AggregateDimension(d) for d in request.group_by]
    return AggregateTable(
        family=AggregateFamily(request.family),
        group_by=dimensions,
        measures=[AggregateMeasure(m) for m in request.measures],
        contributor=service.CONTRIBUTORS[request.family],
        rules=DisclosureRules(
            min_contributors=table.rules.min_contributors,
            dominance=[DominanceRule(n=n, k=k) for n, k in table.rules.dominance],
            protection_percent=table.rules.protection_pct,
        ),
        cells=[
            AggregateCell(
                coordinates=[
                    AggregateCoordinate(dimension=d, value=v, total=t)
                    for d, v, t in zip(dimensions, c.values, c.totals, strict=True)
                ],
                contributors=c.contributors,
                count=c.count,
                sum=c.sum,
                mean=c.mean,
                median=c.median,
                min=c.min,
                max=c.max,
                suppressed=c.suppressed,
                reason=SuppressionReason(c.reason) if c.reason else None,
                order_statistics_withheld=c.order_statistics_withheld,
            )
            for c in table.cells
        ],
    )


@strawberry.type
class AggregatesQuery(LegacyAggregatesQuery):
    @field(
        description="One aggregate table of a figure family: measures grouped by dimensions with subtotals and "
        "grand total, filtered, all computed in the database with statistical disclosure control "
        "(cells of few contributors or dominated sums are suppressed, and enough other cells that "
        "none can be recovered).  The same table is exported at /aggregates.csv and "
        "/aggregates.json (JSON-stat 2.0) with these arguments as query parameters.",
        permission_classes=[AggregatesRead],
    )
    async def aggregate(
        self,
        info: strawberry.Info,
        family: Annotated[AggregateFamily, strawberry.argument(description="The figures to aggregate.")],
        group_by: Annotated[
            list[AggregateDimension] | None,
            strawberry.argument(
                description="Dimensions to group by, in order (ROLLUP follows it); at most 6; "
                "none for the grand total only."
            ),
        ] = None,
        measures: Annotated[
            list[AggregateMeasure] | None,
            strawberry.argument(description="Measures to compute (default: all)."),
        ] = None,
        filter: Annotated[AggregateFilter | None, strawberry.argument(description="Only these figures.")] = None,
        subtotals: Annotated[
            AggregateSubtotals, strawberry.argument(description="Subtotals to return (default ROLLUP).")
        ] = AggregateSubtotals.ROLLUP,
    ) -> AggregateTable:
        request = request_of(family, measures, list(group_by or []), filter, subtotals)
        rules = service.DisclosureRules.from_settings(info.context.settings)
        try:
            async with session_lock(info.context):
                session = await info.context.session()
                table = await service.run_aggregate(session, request, rules)
        except service.AggregateInputError as exc:
            raise bad_input(str(exc)) from None
        return table_of(table)
