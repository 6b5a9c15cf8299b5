"""Published contracts for everyone, anonymous callers included, when PUBLIC_CONTRACTS=true.

A deliberately small public projection: the contract and its goals.  The query
asks for published contracts only, in a transaction of its own
(`RequestContext.published_contracts_session`); the PUBLIC_CONTRACTS flag is set
in no other transaction, and row-level security (policies `public_read`,
migrations 0002 and 0004) gives it only published contracts and their goals.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from sqlalchemy import select

from kkr.platform.models import Goal, ResultContract

from ..access import requires
from ..common.database import session_lock, where_given
from ..common.enums import ContractStatus, GoalCategory, to_graphql
from ..common.fields import field
from ..contracts.versions import is_latest_published
from ..permissions import PublishedContractsRead


@requires(PublishedContractsRead)
@strawberry.type(description="A goal of a published contract.")
class PublishedGoal:
    code: str = strawberry.field(description="Code as printed, e.g. '5C'.")
    category: GoalCategory = strawberry.field(description="National, common or local.")
    title: str = strawberry.field(description="Title of the goal.")


@requires(PublishedContractsRead)
@strawberry.type(description="A published (adopted, signed or reported) result contract.")
class PublishedContract:
    region: str = strawberry.field(description="Slug of the region (tenant).")
    business_hub: str = strawberry.field(description="Slug of the business hub.")
    year: int = strawberry.field(description="Contract year.")
    version: int = strawberry.field(description="Version of the contract.")
    title: str = strawberry.field(description="Title as printed.")
    status: ContractStatus = strawberry.field(description="Adopted, signed or reported.")
    adopted_on: dt.date | None = strawberry.field(description="Date of adoption, if known.")
    signed_on: dt.date | None = strawberry.field(description="Date of signing, if known.")
    goals: list[PublishedGoal] = strawberry.field(description="The contract's goals in printed order.")


@strawberry.type
class PublicQuery:
    @field(
        description="Published result contracts (latest versions) of every region; open to anonymous callers "
        "when the server runs with PUBLIC_CONTRACTS=true, otherwise to regional staff.",
        permission_classes=[PublishedContractsRead],
    )
    async def published_contracts(
        self,
        info: strawberry.Info,
        year: Annotated[int | None, strawberry.argument(description="Only contracts of this year.")] = None,
    ) -> list[PublishedContract]:
        c = ResultContract
        statement = select(c).where(is_latest_published()).order_by(c.year, c.tenant_id, c.business_hub_slug)
        statement = where_given(statement, (c.year, year))
        async with session_lock(info.context):  # sibling fields share the request's sessions
            session = await info.context.published_contracts_session()
            contracts = (await session.scalars(statement)).all()
            goals = (
                await session.scalars(
                    select(Goal)
                    .where(Goal.contract_id.in_([row.id for row in contracts]))
                    .order_by(Goal.position, Goal.code)
                )
            ).all()
        by_contract: dict[tuple[str, object], list[PublishedGoal]] = {}
        for goal in goals:
            by_contract.setdefault((goal.tenant_id, goal.contract_id), []).append(
                PublishedGoal(code=goal.code, category=to_graphql(GoalCategory, goal.category), title=goal.title)
            )
        return [
            PublishedContract(
                region=row.tenant_id,
                business_hub=row.business_hub_slug,
                year=row.year,
                version=row.version,
                title=row.title,
                status=to_graphql(ContractStatus, row.status),
                adopted_on=row.adopted_on,
                signed_on=row.signed_on,
                goals=by_contract.get((row.tenant_id, row.id), []),
            )
            for row in contracts
        ]
