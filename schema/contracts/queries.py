"""Queries of the contracts domain: framework agreements (public), result contracts and their goals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import strawberry
from sqlalchemy import and_, or_, select
from strawberry import relay

from kkr.platform.models import FrameworkAgreement as FrameworkAgreementModel
from kkr.platform.models import Goal as GoalModel
from kkr.platform.models import ResultContract as ResultContractModel
from kkr.platform.models import enums as model_enums
from kkr.platform.tenant_criteria import CROSS_TENANT_OPTIONS

from ..common.connection import Connection, QueryNodes, connection
from ..common.database import scalars, where_given
from ..common.enums import ContractStatus, GoalCategory, to_model
from ..common.fields import field
from ..common.nodes import invalid_id, parse_uuid, typed_id
from ..common.text import SEARCH_SYNTAX, matches_search, searched, wants_search
from ..permissions import RegionalRead, SharedRead
from .loaders import AGREEMENT_BY_SLUG, GOALS_BY_CONTRACT
from .types import FrameworkAgreement, Goal, ResultContract
from .versions import is_latest_version

C = ResultContractModel


def contract_filters(
    *,
    region: str | None,
    business_hub: str | None,
    year: int | None,
    year_from: int | None,
    year_to: int | None,
    status: ContractStatus | None,
    all_versions: bool,
) -> list[Any]:
    conditions: list[Any] = []
    if region is not None:
        conditions.append(C.tenant_id == region)
    if business_hub is not None:
        conditions.append(C.business_hub_slug == business_hub)
    if year is not None:
        conditions.append(C.year == year)
    if year_from is not None:
        conditions.append(C.year >= year_from)
    if year_to is not None:
        conditions.append(C.year <= year_to)
    if status is not None:
        conditions.append(C.status == to_model(model_enums.ContractStatus, status))
    if not all_versions:
        conditions.append(is_latest_version())
    return conditions


def uuid_of(gid: relay.GlobalID, expected: str, argument: str) -> Any:
    """The row id of a global id of type `expected` (UUID-keyed), else the invalid-id error naming `argument`."""
    row_id = parse_uuid(typed_id(gid, expected, argument))
    if row_id is None:
        raise invalid_id(argument)
    return row_id


def contract_id_of(contract: relay.GlobalID) -> Any:
    return uuid_of(contract, "ResultContract", "contract")


@strawberry.type
class ContractsQuery:
    @field(
        description="A framework agreement (rammeaftale) by its slug, e.g. '2021-2023'.",
        permission_classes=[SharedRead],
    )
    async def framework_agreement(
        self,
        info: strawberry.Info,
        slug: Annotated[str, strawberry.argument(description="Slug of the agreement, e.g. '2021-2023'.")],
    ) -> FrameworkAgreement | None:
        row = await AGREEMENT_BY_SLUG.load(info, slug)
        return FrameworkAgreement.from_row(row) if row is not None else None

    @connection(
        Connection[FrameworkAgreement],
        description="The framework agreements, newest first.",
        permission_classes=[SharedRead],
    )
    async def framework_agreements(self, info: strawberry.Info) -> Iterable[FrameworkAgreement]:
        a = FrameworkAgreementModel
        return QueryNodes(select(a).order_by(a.valid_from.desc(), a.slug), FrameworkAgreement.from_row)

    @connection(
        Connection[ResultContract],
        description="Result contracts (resultatkontrakter) of the reader's region(s), newest year first;"
        " the latest version of each hub and year unless allVersions is true.",
        permission_classes=[RegionalRead],
    )
    async def result_contracts(
        self,
        info: strawberry.Info,
        region: Annotated[str | None, strawberry.argument(description="Only this region's contracts (slug).")] = None,
        business_hub: Annotated[
            str | None, strawberry.argument(description="Only contracts with this hub (slug).")
        ] = None,
        year: Annotated[int | None, strawberry.argument(description="Only this contract year.")] = None,
        year_from: Annotated[
            int | None, strawberry.argument(description="Only contract years from this year on.")
        ] = None,
        year_to: Annotated[int | None, strawberry.argument(description="Only contract years up to this year.")] = None,
        status: Annotated[
            ContractStatus | None, strawberry.argument(description="Only contracts in this status.")
        ] = None,
        search: Annotated[str | None, strawberry.argument(description=f"Words in the title ({SEARCH_SYNTAX}).")] = None,
        all_versions: Annotated[bool, strawberry.argument(description="Include superseded versions.")] = False,
    ) -> Iterable[ResultContract]:
        conditions = contract_filters(
            region=region,
            business_hub=business_hub,
            year=year,
            year_from=year_from,
            year_to=year_to,
            status=status,
            all_versions=all_versions,
        )
        if wants_search(search):
            conditions.append(matches_search(C.search_vector, search))
        statement = select(C).where(*conditions).order_by(C.year.desc(), C.business_hub_slug, C.version.desc(), C.id)
        return QueryNodes(statement, ResultContract.from_row)

    @field(
        description="A result contract by business hub and year (and region): the latest version unless a version"
        " is given.",
        permission_classes=[RegionalRead],
    )
    async def result_contract(
        self,
        info: strawberry.Info,
        business_hub: Annotated[str, strawberry.argument(description="Slug of the business hub, e.g. 'sjaelland'.")],
        year: Annotated[int, strawberry.argument(description="Contract year.")],
        region: Annotated[str | None, strawberry.argument(description="Slug of the region (KKR).")] = None,
        version: Annotated[int | None, strawberry.argument(description="A specific version (default: latest).")] = None,
    ) -> ResultContract | None:
        statement = where_given(
            select(C).where(C.business_hub_slug == business_hub, C.year == year), (C.tenant_id, region)
        )
        statement = statement.where(C.version == version if version is not None else is_latest_version())
        rows = await scalars(info.context, statement.order_by(C.version.desc(), C.tenant_id).limit(1))
        return ResultContract.from_row(rows[0]) if rows else None

    @field(
        description="A goal by its contract's id and its code as printed (e.g. '5C').",
        permission_classes=[RegionalRead],
    )
    async def goal(
        self,
        info: strawberry.Info,
        contract: Annotated[relay.GlobalID, strawberry.argument(description="Global id of the result contract.")],
        code: Annotated[str, strawberry.argument(description="The goal's code as printed.")],
    ) -> Goal | None:
        rows = await GOALS_BY_CONTRACT.load(info, contract_id_of(contract))
        return next((Goal.from_row(r) for r in rows if r.code == code), None)

    @connection(
        Connection[Goal],
        description="Goals (mål) of the reader's region(s) and goals shared with them: best search match first,"
        " otherwise newest contract first and in printed order.",
        permission_classes=[RegionalRead],
    )
    async def goals(
        self,
        info: strawberry.Info,
        search: Annotated[
            str | None, strawberry.argument(description=f"Words in title or description ({SEARCH_SYNTAX}).")
        ] = None,
        category: Annotated[GoalCategory | None, strawberry.argument(description="Only this category.")] = None,
        region: Annotated[str | None, strawberry.argument(description="Only this region's goals (slug).")] = None,
        business_hub: Annotated[
            str | None, strawberry.argument(description="Only goals of this hub's contracts.")
        ] = None,
        year: Annotated[int | None, strawberry.argument(description="Only goals of this contract year.")] = None,
        national_goal: Annotated[
            relay.GlobalID | None, strawberry.argument(description="Only goals implementing this national goal (id).")
        ] = None,
        all_versions: Annotated[
            bool, strawberry.argument(description="Include goals of superseded contract versions.")
        ] = False,
    ) -> Iterable[Goal]:
        g = GoalModel
        statement = select(g).outerjoin(C, and_(C.tenant_id == g.tenant_id, C.id == g.contract_id))
        statement = where_given(
            statement,
            (g.tenant_id, region),
            (g.category, to_model(model_enums.GoalCategory, category)),
            (C.business_hub_slug, business_hub),
            (C.year, year),
        )
        if national_goal is not None:
            statement = statement.where(g.national_goal_id == uuid_of(national_goal, "NationalGoal", "nationalGoal"))
        if not all_versions:
            statement = statement.where(or_(C.id.is_(None), is_latest_version()))
        order = [C.year.desc().nulls_last(), C.business_hub_slug, g.position, g.code, g.id]
        statement = searched(statement, g.search_vector, search, order)
        # goals shared with the reader through a partnership are another region's (kkr.platform.tenant_criteria)
        return QueryNodes(statement.execution_options(**CROSS_TENANT_OPTIONS), Goal.from_row)
