"""The GraphQL schema: every domain's queries merged into `Query`, and `Mutation` from `mutations.py`
(the write side's module, which merges each domain's `mutations.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import strawberry
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from .access import check_access_declared
from .access_log import AccessLog
from .admin.queries import AdminQuery
from .aggregates.queries import AggregatesQuery
from .audit.queries import AuditQuery
from .audit.types import AuditEvent
from .benchmarks.comparisons import ComparisonsQuery
from .benchmarks.kl_queries import KlBenchmarksQuery
from .benchmarks.queries import BenchmarksQuery
from .benchmarks.types import BenchmarkObservation
from .climate.queries import ClimateQuery
from .climate.types import ClimateInitiative, ClimateParticipant, ClimateTarget
from .common.bounds import bound_int_arguments
from .common.nodes import AtMostOnePage
from .common.scalars import SCALAR_MAP
from .contracts.queries import ContractsQuery
from .contracts.types import (
    FrameworkAgreement,
    Goal,
    Indicator,
    NationalGoal,
    NationalTarget,
    Result,
    ResultContract,
    Target,
)
from .geography.queries import GeographyQuery
from .geography.types import Municipality, Region
from .growth.queries import GrowthQuery
from .growth.types import GrowthTeam, GrowthTeamMember
from .limits import QueryLimits
from .masking import ClientErrors, Schema
from .mutations import Mutation
from .organisations.queries import OrganisationsQuery
from .organisations.types import BusinessHub, HubBoardMember, HubOffice, KkrMember, Partnership
from .permissions import SharedRead
from .public.queries import PublicQuery
from .text_input import RejectUnstorableText
from .viewer.queries import ViewerQuery
from .visibility import CallerVisibility, VisibleNodeTypes


class CloseSession(SchemaExtension):
    """Ends the request's read transaction when the operation is done (the GraphQL view closes it again,
    in any case, when the HTTP request ends)."""

    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.execution_context.context.close()


@strawberry.type(description="Everything a client can read.")
class Query(
    GeographyQuery,
    OrganisationsQuery,
    ContractsQuery,
    GrowthQuery,
    ClimateQuery,
    BenchmarksQuery,
    AuditQuery,
    ComparisonsQuery,
    KlBenchmarksQuery,
    AggregatesQuery,
    PublicQuery,
    AdminQuery,
    ViewerQuery,
):
    # Global ids: each caller resolves only the Node types of its own schema (VisibleNodeTypes), and row-level
    # security answers null for rows outside its reach (KL: drafts, local goals).
    node: relay.Node | None = relay.node(
        description="Any object by its global id (null when it does not exist or is not visible to the caller; a "
        "malformed id is a BAD_USER_INPUT error).",
        permission_classes=[SharedRead],
        extensions=[VisibleNodeTypes()],
    )
    nodes: list[relay.Node | None] = relay.node(
        description="Objects by their global ids, in order (null for ids that do not exist or are not visible; "
        "a malformed id is a BAD_USER_INPUT error); "
        "at most the maximum page size (100 by default) at a time.",
        permission_classes=[SharedRead],
        extensions=[AtMostOnePage(), VisibleNodeTypes()],
    )


#: Every type implementing Node, so that `node(id:)` can resolve each of them.
NODE_TYPES: list[type] = [
    Region,
    Municipality,
    BusinessHub,
    HubOffice,
    HubBoardMember,
    KkrMember,
    Partnership,
    FrameworkAgreement,
    NationalGoal,
    NationalTarget,
    ResultContract,
    Goal,
    Indicator,
    Target,
    Result,
    GrowthTeam,
    GrowthTeamMember,
    ClimateInitiative,
    ClimateParticipant,
    ClimateTarget,
    BenchmarkObservation,
]


def build_schema(query: type = Query, mutation: type = Mutation) -> Schema:
    """The schema of these root types; refused (`AccessNotDeclared`) while a root field declares no access."""
    check_access_declared(query, mutation)  # deny by default
    built = Schema(
        query=query,
        mutation=mutation,
        types=[*NODE_TYPES, AuditEvent],
        # QueryLimits first: it parses the document within the limits before anything else reads it, and
        # refuses requests over a limit before any validation rule runs (CallerVisibility validates).
        extensions=[QueryLimits, CloseSession, AccessLog, RejectUnstorableText, CallerVisibility, ClientErrors],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )
    bound_int_arguments(built._schema)
    return built


schema = build_schema()
