"""The first aggregates for ministries, kept for existing clients (deprecated: use `aggregate`).

No field here returns an individual row.  The figures come from SECURITY
DEFINER functions in the database (migration 0002) that only return aggregates
and suppress every cell of fewer than three contracts or hubs there, so a
ministry's token cannot read a single contract row even through a resolver bug.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry
from sqlalchemy import text

from ..access import requires
from ..common.database import execute
from ..common.enums import ContractStatus, Unit, to_graphql
from ..common.fields import field
from ..permissions import AggregatesRead

#: Smallest cell reported (the database functions apply the same rule).
MIN_CELL = 3


@requires(AggregatesRead)
@strawberry.type(
    description="How many result contracts (latest versions) are in one status in one year, across "
    f"all regions; suppressed (null) when fewer than {MIN_CELL}."
)
class ContractStatusCount:
    year: int = strawberry.field(description="Contract year.")
    status: ContractStatus = strawberry.field(description="Status of the contracts counted.")
    contracts: int | None = strawberry.field(description=f"Number of contracts; null when fewer than {MIN_CELL}.")
    suppressed: bool = strawberry.field(description=f"True when the cell has fewer than {MIN_CELL} contracts.")


@requires(AggregatesRead)
@strawberry.type(
    description="Reported results of one national goal measure (agreement, goal, period, unit, "
    "segment) across the hubs with published contracts: each hub's latest results "
    f"averaged first, then the average and median over hubs; suppressed when fewer than "
    f"{MIN_CELL} hubs reported."
)
class NationalGoalResultAggregate:
    framework_agreement: str = strawberry.field(description="Slug of the framework agreement, e.g. '2019-2020'.")
    national_goal_code: str = strawberry.field(description="Code of the national goal as printed, e.g. '1'.")
    national_goal_title: str = strawberry.field(description="Title of the national goal.")
    period: str = strawberry.field(description="Period label of the targets, e.g. '2020'.")
    unit: Unit = strawberry.field(description="Unit of the results.")
    segment: str | None = strawberry.field(description="Customer segment or course type, if any.")
    hubs: int = strawberry.field(description="Number of hubs that reported a numeric result.")
    average: Decimal | None = strawberry.field(description=f"Mean over hubs; null when fewer than {MIN_CELL} hubs.")
    median: Decimal | None = strawberry.field(description=f"Median over hubs; null when fewer than {MIN_CELL} hubs.")
    suppressed: bool = strawberry.field(description=f"True when fewer than {MIN_CELL} hubs reported.")


@strawberry.type
class LegacyAggregatesQuery:
    @field(
        description="Result contracts per year and status across all regions (small cells suppressed).",
        permission_classes=[AggregatesRead],
        deprecation_reason="Use `aggregate`: it has subtotals, filters and full disclosure control.",
    )
    async def contract_status_counts(
        self,
        info: strawberry.Info,
        year: Annotated[int | None, strawberry.argument(description="Only this contract year.")] = None,
    ) -> list[ContractStatusCount]:
        rows = await execute(
            info.context,
            text("SELECT * FROM kkr_contract_status_counts() WHERE CAST(:year AS integer) IS NULL OR year = :year"),
            {"year": year},
        )
        return [
            ContractStatusCount(
                year=r.year, status=to_graphql(ContractStatus, r.status), contracts=r.contracts, suppressed=r.suppressed
            )
            for r in rows
        ]

    @field(
        description="Average and median reported result per national goal measure across hubs (small cells "
        "suppressed).",
        permission_classes=[AggregatesRead],
        deprecation_reason="Use `aggregate(family: CONTRACT_RESULTS, groupBy: [LINEAGE, PERIOD, UNIT, SEGMENT])`.",
    )
    async def national_goal_results(
        self,
        info: strawberry.Info,
        framework_agreement: Annotated[
            str | None, strawberry.argument(description="Only this framework agreement (slug).")
        ] = None,
    ) -> list[NationalGoalResultAggregate]:
        rows = await execute(
            info.context,
            text(
                "SELECT * FROM kkr_national_goal_results()"
                " WHERE CAST(:agreement AS text) IS NULL OR framework_agreement_slug = :agreement"
            ),
            {"agreement": framework_agreement},
        )
        return [
            NationalGoalResultAggregate(
                framework_agreement=r.framework_agreement_slug,
                national_goal_code=r.national_goal_code,
                national_goal_title=r.national_goal_title,
                period=r.period_label,
                unit=to_graphql(Unit, r.unit),
                segment=r.segment,
                hubs=r.hubs,
                average=r.average,
                median=r.median,
                suppressed=r.suppressed,
            )
            for r in rows
        ]
