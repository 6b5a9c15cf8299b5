"""National reference data, shared by and readable for every tenant.

Regions, the municipality directory, the business-hub directory, framework
agreements with their national goals, published benchmark figures and the
cross-region partnerships (visible to their parties only).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Sourced, enum_column
from .enums import PartnershipKind, UrbanRural
from .targets import TargetFields


class Region(Base):
    """One of the five KKR regions; the tenant of all regional data."""

    __tablename__ = "region"

    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kkr_name: Mapped[str] = mapped_column(String(64), doc="Name of the council, e.g. 'KKR Sjælland'.")
    position: Mapped[int] = mapped_column(SmallInteger, doc="Conventional ordering of the regions.")


class SourceDocument(Base):
    """A paper curated figures come from (a seed file of KKR meeting papers)."""

    __tablename__ = "source_document"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    file: Mapped[str | None] = mapped_column(String(128), doc="Seed file the line numbers refer to.")
    region_slug: Mapped[str | None] = mapped_column(ForeignKey("region.slug"))
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class BusinessHub(Sourced, Base):
    """An erhvervshus: six hubs for five KKRs (Syddanmark has Fyn and Sydjylland)."""

    __tablename__ = "business_hub"

    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(16))
    region_slug: Mapped[str] = mapped_column(ForeignKey("region.slug"), index=True)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)


class Municipality(Sourced, Base):
    """A kommune, keyed by its kommunekode (names vary in spelling; codes do not)."""

    __tablename__ = "municipality"
    __table_args__ = (Index("ix_municipality_danish_name", text("kkr_danish_sort_key(name)")),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    region_slug: Mapped[str] = mapped_column(ForeignKey("region.slug"), index=True)
    business_hub_slug: Mapped[str] = mapped_column(ForeignKey("business_hub.slug"), index=True)
    urban_rural: Mapped[UrbanRural] = enum_column(UrbanRural)


class MunicipalityPopulation(Sourced, Base):
    """Population of a municipality in a year, as printed in a source."""

    __tablename__ = "municipality_population"

    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    population: Mapped[int] = mapped_column(Integer)
    share_pct: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), doc="Share of the region's population.")


class FrameworkAgreement(Sourced, Base):
    """A rammeaftale between Erhvervsministeriet and KL (e.g. 2021-2023)."""

    __tablename__ = "framework_agreement"

    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    parties: Mapped[str] = mapped_column(Text)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)


class NationalGoal(Sourced, Base):
    """A national goal (nationalt mål) set by a framework agreement, the same for every hub."""

    __tablename__ = "national_goal"
    __table_args__ = (UniqueConstraint("framework_agreement_slug", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    framework_agreement_slug: Mapped[str] = mapped_column(ForeignKey("framework_agreement.slug"))
    code: Mapped[str] = mapped_column(String(16), doc="Code as printed, e.g. '6' or '7.b'.")
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    measurement_method: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))


class NationalTarget(TargetFields, Sourced, Base):
    """A year- and segment-specific target of a national goal."""

    __tablename__ = "national_target"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    national_goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("national_goal.id", ondelete="CASCADE"), index=True)
    measure: Mapped[str] = mapped_column(Text, doc="What is measured (målepunkt).")


class BenchmarkObservation(Sourced, Base):
    """A published, comparable figure for one hub or region (e.g. awareness per hub, Sept 2020)."""

    __tablename__ = "benchmark_observation"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    indicator_key: Mapped[str] = mapped_column(String(64), index=True)
    indicator_name: Mapped[str] = mapped_column(Text)
    business_hub_slug: Mapped[str | None] = mapped_column(ForeignKey("business_hub.slug"))
    region_slug: Mapped[str | None] = mapped_column(ForeignKey("region.slug"))
    period_label: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit: Mapped[str] = mapped_column(String(32))


class Partnership(Sourced, Base):
    """An explicit link between regions (a goal shared by two KKRs, Movia serving two KKRs).

    Visible to its parties only (row-level security on `parties`).
    """

    __tablename__ = "partnership"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    kind: Mapped[PartnershipKind] = enum_column(PartnershipKind)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    parties: Mapped[list[str]] = mapped_column(ARRAY(Text), doc="Slugs of the participating regions.")
