"""KL's benchmarking across regions (`benchmark:read`): the comparable figures of published contracts.

Comparable means: the latest version of an adopted, signed or reported and
published contract, and a national or common goal (never a local one).  The
query says so explicitly, and row-level security (policies `benchmark_read`,
migration 0002) gives a `benchmark:read` transaction no other contract rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, and_, select
from sqlalchemy.dialects.postgresql import distinct_on

from kkr.platform.models import Goal, Indicator, NationalGoal, Result, ResultContract, Target
from kkr.platform.models import enums as model_enums
from kkr.platform.models.figures import Segment, SegmentSpelling

from ..access import requires
from ..common.connection import bad_input
from ..common.database import execute, where_given
from ..common.enums import Comparator, ContractStatus, GoalCategory, Unit, to_graphql, to_model
from ..common.fields import field
from ..contracts.versions import is_latest_published
from ..permissions import BenchmarkRead

MAX_FIGURES = 2000


@requires(BenchmarkRead)
@strawberry.type(
    description="One target of a comparable goal in one region's published contract, with its latest reported result."
)
class ComparableFigure:
    region: str = strawberry.field(description="Slug of the region (tenant).")
    business_hub: str = strawberry.field(description="Slug of the business hub.")
    contract_year: int = strawberry.field(description="Year of the result contract.")
    contract_status: ContractStatus = strawberry.field(description="Status of the contract.")
    goal_category: GoalCategory = strawberry.field(description="National or common (never local).")
    goal_code: str = strawberry.field(description="Code of the goal in its contract, as printed.")
    goal_title: str = strawberry.field(description="Title of the goal.")
    framework_agreement: str | None = strawberry.field(description="The national goal's framework agreement.")
    national_goal_code: str | None = strawberry.field(description="Code of the national goal it implements.")
    indicator: str = strawberry.field(description="What is measured (målepunkt).")
    period: str = strawberry.field(description="Period label of the target, e.g. '2020'.")
    segment: str | None = strawberry.field(description="Customer segment or course type, if any, as printed.")
    segment_key: str | None = strawberry.field(
        description="Key of the canonical segment of the printed one (see "
        "`segments`); null when none is printed or not mapped."
    )
    segment_name: str | None = strawberry.field(
        description="Danish canonical name of the segment, e.g. 'handlingsplaner'."
    )
    unit: Unit = strawberry.field(description="Unit of target and result.")
    comparator: Comparator = strawberry.field(description="How the result is compared with the target.")
    target_value: Decimal | None = strawberry.field(description="The target (lower bound of a range).")
    target_text: str | None = strawberry.field(description="The target as printed when it is not a number.")
    result_value: Decimal | None = strawberry.field(description="Latest reported result, if any.")
    result_text: str | None = strawberry.field(description="The result as printed when it is not a number.")


def comparable_figures_statement(
    *,
    year: int | None,
    category: GoalCategory | None,
    framework_agreement: str | None,
    national_goal_code: str | None,
    segment: str | None = None,
) -> Select[*tuple[Any, ...]]:
    c, g, i, t, ng = ResultContract, Goal, Indicator, Target, NationalGoal
    latest = (
        select(Result.tenant_id, Result.target_id, Result.value, Result.value_text)
        .ext(distinct_on(Result.tenant_id, Result.target_id))
        .order_by(Result.tenant_id, Result.target_id, Result.revision.desc())
        .subquery()
    )
    statement = (
        select(
            c.tenant_id,
            c.business_hub_slug,
            c.year,
            c.status,
            g.category,
            g.code,
            g.title,
            ng.framework_agreement_slug,
            ng.code.label("national_goal_code"),
            i.name,
            t.period_label,
            t.segment,
            t.unit,
            t.comparator,
            t.value,
            t.value_text,
            latest.c.value.label("result_value"),
            latest.c.value_text.label("result_text"),
            Segment.key.label("segment_key"),
            Segment.name.label("segment_name"),
        )
        .join(g, and_(g.tenant_id == c.tenant_id, g.contract_id == c.id))
        .join(i, and_(i.tenant_id == g.tenant_id, i.goal_id == g.id))
        .join(t, and_(t.tenant_id == i.tenant_id, t.indicator_id == i.id))
        .outerjoin(latest, and_(latest.c.tenant_id == t.tenant_id, latest.c.target_id == t.id))
        .outerjoin(ng, ng.id == g.national_goal_id)
        .outerjoin(SegmentSpelling, SegmentSpelling.printed == t.segment)
        .outerjoin(Segment, Segment.key == SegmentSpelling.segment_key)
        .where(
            is_latest_published(c),
            g.category != model_enums.GoalCategory.local,
        )
        .order_by(
            c.year,
            ng.framework_agreement_slug,
            ng.code,
            g.category,
            g.code,
            i.position,
            t.period_label,
            t.segment,
            c.tenant_id,
        )
        .limit(MAX_FIGURES + 1)
    )
    return where_given(
        statement,
        (c.year, year),
        (g.category, to_model(model_enums.GoalCategory, category)),
        (ng.framework_agreement_slug, framework_agreement),
        (ng.code, national_goal_code),
        (Segment.key, segment),
    )


@strawberry.type
class ComparisonsQuery:
    @field(
        description="Comparable goals, targets and results of the published contracts of every region "
        f"(national and common goals only; at most {MAX_FIGURES} figures: narrow with the filters), "
        "as a flat list; benchmarkComparison and benchmarkSeries rank, line up and normalise them.",
        permission_classes=[BenchmarkRead],
    )
    async def comparable_figures(
        self,
        info: strawberry.Info,
        year: Annotated[int | None, strawberry.argument(description="Only contracts of this year.")] = None,
        category: Annotated[
            GoalCategory | None, strawberry.argument(description="Only national or only common goals.")
        ] = None,
        framework_agreement: Annotated[
            str | None, strawberry.argument(description="Only goals of this framework agreement's national goals.")
        ] = None,
        national_goal_code: Annotated[
            str | None, strawberry.argument(description="Only goals implementing this national goal (code).")
        ] = None,
        segment: Annotated[
            str | None,
            strawberry.argument(
                description="Only targets of this canonical segment (a key of "
                "`segments`, e.g. 'action-plan'), whatever its spelling."
            ),
        ] = None,
    ) -> list[ComparableFigure]:
        if category is GoalCategory.LOCAL:
            raise bad_input("Local goals are not comparable across regions.")
        rows = (
            await execute(
                info.context,
                comparable_figures_statement(
                    year=year,
                    category=category,
                    framework_agreement=framework_agreement,
                    national_goal_code=national_goal_code,
                    segment=segment,
                ),
            )
        ).all()
        if len(rows) > MAX_FIGURES:
            raise bad_input(f"More than {MAX_FIGURES} figures match; narrow the query (year, category, ...).")
        return [
            ComparableFigure(
                region=r.tenant_id,
                business_hub=r.business_hub_slug,
                contract_year=r.year,
                contract_status=to_graphql(ContractStatus, r.status),
                goal_category=to_graphql(GoalCategory, r.category),
                goal_code=r.code,
                goal_title=r.title,
                framework_agreement=r.framework_agreement_slug,
                national_goal_code=r.national_goal_code,
                indicator=r.name,
                period=r.period_label,
                segment=r.segment,
                segment_key=r.segment_key,
                segment_name=r.segment_name,
                unit=to_graphql(Unit, r.unit),
                comparator=to_graphql(Comparator, r.comparator),
                target_value=r.value,
                target_text=r.value_text,
                result_value=r.result_value,
                result_text=r.result_text,
            )
            for r in rows
        ]
