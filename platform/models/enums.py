"""Closed vocabularies of the domain model."""

from __future__ import annotations

import enum


class SegmentKind(str, enum.Enum):
    """What a canonical segment is: a course type (forløbstype), a customer segment, or several course types
    counted together."""

    course_type = "course_type"
    customer_segment = "customer_segment"
    combined = "combined"


class UrbanRural(str, enum.Enum):
    """By-/landkommune class from the framework agreement's appendix."""

    city = "city"
    rural = "rural"


class CouncilRole(str, enum.Enum):
    """Role in a KKR or a hub board (formand, næstformand, medlem)."""

    chair = "chair"
    vice_chair = "vice_chair"
    member = "member"
    secretariat = "secretariat"


class OfficeKind(str, enum.Enum):
    head_office = "head_office"
    branch = "branch"


class ContractStatus(str, enum.Enum):
    """Life cycle of a result contract (udkast, godkendt, underskrevet, afrapporteret)."""

    draft = "draft"
    adopted = "adopted"
    signed = "signed"
    reported = "reported"


class GoalCategory(str, enum.Enum):
    """National (nationale mål), common (fælles indsatsmål) or local/regional (lokale mål)."""

    national = "national"
    common = "common"
    local = "local"


class Unit(str, enum.Enum):
    count = "count"  # type: ignore[assignment]  # a member named like str.count: mypy sees the method
    percent = "percent"
    percentage_points = "percentage_points"
    nps = "nps"
    dkk = "dkk"
    ratio = "ratio"
    deliverable = "deliverable"


class Comparator(str, enum.Enum):
    at_least = "at_least"
    at_most = "at_most"
    exactly = "exactly"
    range = "range"


class ClimateInitiativeKind(str, enum.Enum):
    dk2020_climate_plan = "dk2020_climate_plan"
    joint_climate_ambition = "joint_climate_ambition"
    climate_partnership_agreement = "climate_partnership_agreement"
    nature_climate_programme = "nature_climate_programme"
    other = "other"


class InitiativeStatus(str, enum.Enum):
    planned = "planned"
    active = "active"
    completed = "completed"


class PartnershipKind(str, enum.Enum):
    """How two or more regions are linked (fælles mål, fælles trafikselskab, ...)."""

    shared_goal = "shared_goal"
    shared_service = "shared_service"
    joint_agreement = "joint_agreement"
