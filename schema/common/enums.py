"""GraphQL enums of the domain's closed vocabularies, each the mirror of a model enum.

The values live in one place, the model enum (`kkr.platform.models.enums`); a GraphQL enum here declares,
per model member, its UPPER_CASE GraphQL name and its description, and its member's value *is* that model
member (`Comparator.AT_LEAST.value is model_enums.Comparator.at_least`).  `@mirrors(Model)` checks at import
that every model member has exactly one GraphQL member named after it, so a value added to a model enum and
forgotten here stops the schema from being built (`EnumMismatch`), instead of failing as a masked internal
error when a row carrying it is first read.  `to_graphql()` / `to_model()` convert in both directions.

The decorator serves any GraphQL mirror of a platform enum (the aggregates' and the fulfilment's, the
service error codes); `SortDirection` is GraphQL's own (`GRAPHQL_ONLY`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar, overload

import strawberry

from kkr.platform.models import enums as model_enums

E = TypeVar("E", bound=enum.Enum)

#: GraphQL enum -> the platform enum it mirrors (filled by `mirrors`).
MIRRORED: dict[type[enum.Enum], type[enum.Enum]] = {}


class EnumMismatch(TypeError):
    """A GraphQL enum does not mirror its platform enum member for member (raised at import)."""


def mirrors(model: type[enum.Enum]) -> Callable[[type[E]], type[E]]:
    """Class decorator (above `@strawberry.enum`): the GraphQL enum has one member per member of `model`,
    named `member.name.upper()`, whose value is that member; anything else raises `EnumMismatch`."""

    def check(graphql_enum: type[E]) -> type[E]:
        problems = [
            f"{m.name} = {m.value!r} is not a member of {model.__name__}"
            for m in graphql_enum
            if not isinstance(m.value, model)
        ]
        problems += [
            f"{m.name} should be named {m.value.name.upper()}"
            for m in graphql_enum
            if isinstance(m.value, model) and m.name != m.value.name.upper()
        ]
        covered = {m.value for m in graphql_enum}
        problems += [
            f"{model.__name__}.{m.name} has no GraphQL member {m.name.upper()}" for m in model if m not in covered
        ]
        if problems:
            raise EnumMismatch(f"GraphQL enum {graphql_enum.__name__}: {'; '.join(problems)}.")
        MIRRORED[graphql_enum] = model
        return graphql_enum

    return check


def described(member: enum.Enum, description: str) -> Any:
    """A GraphQL member mirroring the platform enum `member`, with its description."""
    return strawberry.enum_value(member, description=description)


M = model_enums


@mirrors(M.UrbanRural)
@strawberry.enum(description="By- or landkommune class (Bilag 1 of the framework agreement 2021-2023).")
class UrbanRural(enum.Enum):
    CITY = described(M.UrbanRural.city, "Bykommune.")
    RURAL = described(M.UrbanRural.rural, "Landkommune.")


@mirrors(M.CouncilRole)
@strawberry.enum(description="Role in a KKR or a hub board (formand, næstformand, medlem, sekretariat).")
class CouncilRole(enum.Enum):
    CHAIR = described(M.CouncilRole.chair, "Formand.")
    VICE_CHAIR = described(M.CouncilRole.vice_chair, "Næstformand.")
    MEMBER = described(M.CouncilRole.member, "Medlem.")
    SECRETARIAT = described(M.CouncilRole.secretariat, "Sekretariat.")


@mirrors(M.SegmentKind)
@strawberry.enum(description="What a canonical segment is (see `segments`).")
class SegmentKind(enum.Enum):
    COURSE_TYPE = described(M.SegmentKind.course_type, "A course type (forløbstype), e.g. handlingsplaner.")
    CUSTOMER_SEGMENT = described(
        M.SegmentKind.customer_segment, "A customer segment (kundesegment), e.g. vækstsegment."
    )
    COMBINED = described(
        M.SegmentKind.combined, "Several course types counted together, e.g. 'vækstplaner og handlingsplaner'."
    )


@mirrors(M.OfficeKind)
@strawberry.enum(description="Kind of business-hub office.")
class OfficeKind(enum.Enum):
    HEAD_OFFICE = described(M.OfficeKind.head_office, "Hovedsæde.")
    BRANCH = described(M.OfficeKind.branch, "Filial.")


@mirrors(M.ContractStatus)
@strawberry.enum(description="Life cycle of a result contract.")
class ContractStatus(enum.Enum):
    DRAFT = described(M.ContractStatus.draft, "Udkast.")
    ADOPTED = described(M.ContractStatus.adopted, "Godkendt (adopted by the KKR).")
    SIGNED = described(M.ContractStatus.signed, "Underskrevet.")
    REPORTED = described(M.ContractStatus.reported, "Afrapporteret (results reported).")


@mirrors(M.GoalCategory)
@strawberry.enum(description="Category of a contract goal.")
class GoalCategory(enum.Enum):
    NATIONAL = described(M.GoalCategory.national, "Nationalt mål, set by the framework agreement.")
    COMMON = described(M.GoalCategory.common, "Fælles indsatsmål, shared by the hubs.")
    LOCAL = described(M.GoalCategory.local, "Lokalt/regionalt mål of this KKR and hub.")


@mirrors(M.Unit)
@strawberry.enum(description="Unit of a target or result value.")
class Unit(enum.Enum):
    COUNT = described(M.Unit.count, "A number of things (antal).")
    PERCENT = described(M.Unit.percent, "Percent (80 means 80 %).")
    PERCENTAGE_POINTS = described(M.Unit.percentage_points, "Procentpoint.")
    NPS = described(M.Unit.nps, "Net Promoter Score.")
    DKK = described(M.Unit.dkk, "Danish kroner.")
    RATIO = described(M.Unit.ratio, "A ratio, e.g. return per krone.")
    DELIVERABLE = described(M.Unit.deliverable, "A deliverable described in text.")


@mirrors(M.Comparator)
@strawberry.enum(description="How a reported value is compared with a target value.")
class Comparator(enum.Enum):
    AT_LEAST = described(M.Comparator.at_least, "Met when the result is at least the target (mindst).")
    AT_MOST = described(M.Comparator.at_most, "Met when the result is at most the target (højst).")
    EXACTLY = described(M.Comparator.exactly, "Met when the result equals the target.")
    RANGE = described(M.Comparator.range, "Met when the result lies between value and valueMax.")


@mirrors(M.ClimateInitiativeKind)
@strawberry.enum(description="Kind of climate initiative.")
class ClimateInitiativeKind(enum.Enum):
    DK2020_CLIMATE_PLAN = described(M.ClimateInitiativeKind.dk2020_climate_plan, "DK2020 climate plan.")
    JOINT_CLIMATE_AMBITION = described(M.ClimateInitiativeKind.joint_climate_ambition, "Joint climate ambition.")
    CLIMATE_PARTNERSHIP_AGREEMENT = described(
        M.ClimateInitiativeKind.climate_partnership_agreement, "Klimasamarbejdsaftale."
    )
    NATURE_CLIMATE_PROGRAMME = described(
        M.ClimateInitiativeKind.nature_climate_programme, "Nature and climate programme."
    )
    OTHER = described(M.ClimateInitiativeKind.other, "Any other kind.")


@mirrors(M.InitiativeStatus)
@strawberry.enum(description="Status of a climate initiative.")
class InitiativeStatus(enum.Enum):
    PLANNED = described(M.InitiativeStatus.planned, "Planlagt.")
    ACTIVE = described(M.InitiativeStatus.active, "Igangværende.")
    COMPLETED = described(M.InitiativeStatus.completed, "Afsluttet.")


@mirrors(M.PartnershipKind)
@strawberry.enum(description="How two or more regions are linked.")
class PartnershipKind(enum.Enum):
    SHARED_GOAL = described(M.PartnershipKind.shared_goal, "A goal shared by two KKRs (fælles mål).")
    SHARED_SERVICE = described(M.PartnershipKind.shared_service, "A shared service, e.g. a traffic company.")
    JOINT_AGREEMENT = described(M.PartnershipKind.joint_agreement, "A joint agreement.")


@strawberry.enum(description="Sort direction.")
class SortDirection(enum.Enum):
    ASC = strawberry.enum_value("asc", description="Ascending (A to Å, oldest first, lowest first).")
    DESC = strawberry.enum_value("desc", description="Descending.")


#: GraphQL enums of this module that mirror no model enum.
GRAPHQL_ONLY: frozenset[type[enum.Enum]] = frozenset({SortDirection})


@overload
def to_graphql(graphql_enum: type[E], value: enum.Enum | str) -> E: ...
@overload
def to_graphql(graphql_enum: type[E], value: None) -> None: ...
@overload
def to_graphql(graphql_enum: type[E], value: enum.Enum | str | None) -> E | None: ...
def to_graphql(graphql_enum: type[E], value: enum.Enum | str | None) -> E | None:
    """The GraphQL member of a mirrored enum for a platform enum member, or its stored value."""
    if value is None:
        return None
    model = MIRRORED[graphql_enum]
    return graphql_enum(value if isinstance(value, model) else model(getattr(value, "value", value)))


@overload
def to_model(model_enum: type[E], value: enum.Enum) -> E: ...
@overload
def to_model(model_enum: type[E], value: None) -> None: ...
@overload
def to_model(model_enum: type[E], value: enum.Enum | None) -> E | None: ...
def to_model(model_enum: type[E], value: enum.Enum | None) -> E | None:
    """The platform enum member a GraphQL member mirrors (for filters and mutation inputs)."""
    if value is None:
        return None
    inner = value.value
    return inner if isinstance(inner, model_enum) else model_enum(getattr(inner, "value", inner))


__all__ = [
    "GRAPHQL_ONLY",
    "MIRRORED",
    "ClimateInitiativeKind",
    "Comparator",
    "ContractStatus",
    "CouncilRole",
    "EnumMismatch",
    "GoalCategory",
    "InitiativeStatus",
    "OfficeKind",
    "PartnershipKind",
    "SegmentKind",
    "SortDirection",
    "Unit",
    "UrbanRural",
    "described",
    "mirrors",
    "model_enums",
    "to_graphql",
    "to_model",
]
