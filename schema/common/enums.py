"""GraphQL enums of the domain's closed vocabularies.

GraphQL values are UPPER_CASE; each member's Python value is the database value
of the model enum of the same name (`Comparator.AT_LEAST.value == "at_least"`),
so `to_graphql()` / `to_model()` convert in both directions.
"""

from __future__ import annotations

import enum
from typing import TypeVar

import strawberry

from kkr.platform.models import enums as model_enums

E = TypeVar("E", bound=enum.Enum)


@strawberry.enum(description="By- or landkommune class (Bilag 1 of the framework agreement 2021-2023).")
class UrbanRural(enum.Enum):
    CITY = strawberry.enum_value("city", description="Bykommune.")
    RURAL = strawberry.enum_value("rural", description="Landkommune.")


@strawberry.enum(description="Role in a KKR or a hub board (formand, næstformand, medlem, sekretariat).")
class CouncilRole(enum.Enum):
    CHAIR = strawberry.enum_value("chair", description="Formand.")
    VICE_CHAIR = strawberry.enum_value("vice_chair", description="Næstformand.")
    MEMBER = strawberry.enum_value("member", description="Medlem.")
    SECRETARIAT = strawberry.enum_value("secretariat", description="Sekretariat.")


@strawberry.enum(description="What a canonical segment is (see `segments`).")
class SegmentKind(enum.Enum):
    COURSE_TYPE = strawberry.enum_value("course_type", description="A course type (forløbstype), e.g. handlingsplaner.")
    CUSTOMER_SEGMENT = strawberry.enum_value(
        "customer_segment", description="A customer segment (kundesegment), e.g. vækstsegment."
    )
    COMBINED = strawberry.enum_value(
        "combined", description="Several course types counted together, e.g. 'vækstplaner og handlingsplaner'."
    )


@strawberry.enum(description="Kind of business-hub office.")
class OfficeKind(enum.Enum):
    HEAD_OFFICE = strawberry.enum_value("head_office", description="Hovedsæde.")
    BRANCH = strawberry.enum_value("branch", description="Filial.")


@strawberry.enum(description="Life cycle of a result contract.")
class ContractStatus(enum.Enum):
    DRAFT = strawberry.enum_value("draft", description="Udkast.")
    ADOPTED = strawberry.enum_value("adopted", description="Godkendt (adopted by the KKR).")
    SIGNED = strawberry.enum_value("signed", description="Underskrevet.")
    REPORTED = strawberry.enum_value("reported", description="Afrapporteret (results reported).")


@strawberry.enum(description="Category of a contract goal.")
class GoalCategory(enum.Enum):
    NATIONAL = strawberry.enum_value("national", description="Nationalt mål, set by the framework agreement.")
    COMMON = strawberry.enum_value("common", description="Fælles indsatsmål, shared by the hubs.")
    LOCAL = strawberry.enum_value("local", description="Lokalt/regionalt mål of this KKR and hub.")


@strawberry.enum(description="Unit of a target or result value.")
class Unit(enum.Enum):
    COUNT = strawberry.enum_value("count", description="A number of things (antal).")
    PERCENT = strawberry.enum_value("percent", description="Percent (80 means 80 %).")
    PERCENTAGE_POINTS = strawberry.enum_value("percentage_points", description="Procentpoint.")
    NPS = strawberry.enum_value("nps", description="Net Promoter Score.")
    DKK = strawberry.enum_value("dkk", description="Danish kroner.")
    RATIO = strawberry.enum_value("ratio", description="A ratio, e.g. return per krone.")
    DELIVERABLE = strawberry.enum_value("deliverable", description="A deliverable described in text.")


@strawberry.enum(description="How a reported value is compared with a target value.")
class Comparator(enum.Enum):
    AT_LEAST = strawberry.enum_value("at_least", description="Met when the result is at least the target (mindst).")
    AT_MOST = strawberry.enum_value("at_most", description="Met when the result is at most the target (højst).")
    EXACTLY = strawberry.enum_value("exactly", description="Met when the result equals the target.")
    RANGE = strawberry.enum_value("range", description="Met when the result lies between value and valueMax.")


@strawberry.enum(description="Kind of climate initiative.")
class ClimateInitiativeKind(enum.Enum):
    DK2020_CLIMATE_PLAN = strawberry.enum_value("dk2020_climate_plan", description="DK2020 climate plan.")
    JOINT_CLIMATE_AMBITION = strawberry.enum_value("joint_climate_ambition", description="Joint climate ambition.")
    CLIMATE_PARTNERSHIP_AGREEMENT = strawberry.enum_value(
        "climate_partnership_agreement", description="Klimasamarbejdsaftale."
    )
    NATURE_CLIMATE_PROGRAMME = strawberry.enum_value(
        "nature_climate_programme", description="Nature and climate programme."
    )
    OTHER = strawberry.enum_value("other", description="Any other kind.")


@strawberry.enum(description="Status of a climate initiative.")
class InitiativeStatus(enum.Enum):
    PLANNED = strawberry.enum_value("planned", description="Planlagt.")
    ACTIVE = strawberry.enum_value("active", description="Igangværende.")
    COMPLETED = strawberry.enum_value("completed", description="Afsluttet.")


@strawberry.enum(description="How two or more regions are linked.")
class PartnershipKind(enum.Enum):
    SHARED_GOAL = strawberry.enum_value("shared_goal", description="A goal shared by two KKRs (fælles mål).")
    SHARED_SERVICE = strawberry.enum_value("shared_service", description="A shared service, e.g. a traffic company.")
    JOINT_AGREEMENT = strawberry.enum_value("joint_agreement", description="A joint agreement.")


@strawberry.enum(description="Sort direction.")
class SortDirection(enum.Enum):
    ASC = strawberry.enum_value("asc", description="Ascending (A to Å, oldest first, lowest first).")
    DESC = strawberry.enum_value("desc", description="Descending.")


def to_graphql(graphql_enum: type[E], value: enum.Enum | str | None) -> E | None:
    """The GraphQL enum member for a model enum member (or its database value)."""
    if value is None:
        return None
    return graphql_enum(value.value if isinstance(value, enum.Enum) else value)


def to_model(model_enum: type[E], value: enum.Enum | None) -> E | None:
    """The model enum member for a GraphQL enum member (for filters and mutation inputs)."""
    if value is None:
        return None
    return model_enum(value.value)


__all__ = [
    "ClimateInitiativeKind",
    "Comparator",
    "ContractStatus",
    "CouncilRole",
    "GoalCategory",
    "InitiativeStatus",
    "OfficeKind",
    "PartnershipKind",
    "SegmentKind",
    "SortDirection",
    "Unit",
    "UrbanRural",
    "model_enums",
    "to_graphql",
    "to_model",
]
