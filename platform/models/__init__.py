"""SQLAlchemy models of the whole domain.  The schema itself is created only by Alembic."""

from .access_log import AccessLogEntry
from .audit import AuditEvent
from .base import Base
from .clients import OAuthClient
from .climate import ClimateInitiative, ClimateParticipant, ClimateTarget
from .contracts import Goal, Indicator, Result, ResultContract, Target
from .figures import (
    GoalLineage,
    GoalLineageMember,
    MunicipalityFigure,
    MunicipalityMeasure,
    PrintedTotal,
    Segment,
    SegmentSpelling,
)
from .growth import GrowthTeam, GrowthTeamMember
from .organisations import HubBoardMember, HubOffice, KkrMember
from .reference import (
    BenchmarkObservation,
    BusinessHub,
    FrameworkAgreement,
    Municipality,
    MunicipalityPopulation,
    NationalGoal,
    NationalTarget,
    Partnership,
    Region,
    SourceDocument,
)

#: Tables whose rows belong to one tenant; each gets row-level security on tenant_id.
TENANT_TABLES: tuple[str, ...] = tuple(
    m.__tablename__
    for m in (
        KkrMember,
        HubOffice,
        HubBoardMember,
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
        AuditEvent,
    )
)

__all__ = [
    "TENANT_TABLES",
    "AccessLogEntry",
    "AuditEvent",
    "Base",
    "BenchmarkObservation",
    "BusinessHub",
    "ClimateInitiative",
    "ClimateParticipant",
    "ClimateTarget",
    "FrameworkAgreement",
    "Goal",
    "GoalLineage",
    "GoalLineageMember",
    "GrowthTeam",
    "GrowthTeamMember",
    "HubBoardMember",
    "HubOffice",
    "Indicator",
    "KkrMember",
    "Municipality",
    "MunicipalityFigure",
    "MunicipalityMeasure",
    "MunicipalityPopulation",
    "NationalGoal",
    "NationalTarget",
    "OAuthClient",
    "Partnership",
    "PrintedTotal",
    "Region",
    "Result",
    "ResultContract",
    "Segment",
    "SegmentSpelling",
    "SourceDocument",
    "Target",
]
