"""National reference figures and vocabularies, curated from the papers.

- goal lineages: one national goal's identity across framework agreements and
  contracts that print another number for it (KL's time series);
- the canonical vocabulary of course types and customer segments, with every
  printed spelling (`target.segment = segment_spelling.printed`);
- municipality figures (DUT key, payments to the business-hub system) and the
  totals the papers print, kept only to show discrepancies: region and hub
  totals are always computed from the municipalities.

Shared by every tenant (no tenant_id, no row-level security); the GraphQL
layer decides who sees rows.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Numeric, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Sourced
from .enums import SegmentKind, Unit


class GoalLineage(Sourced, Base):
    """One national goal's identity across framework agreements and renumbered contract goals."""

    __tablename__ = "goal_lineage"

    key: Mapped[str] = mapped_column(String(64), primary_key=True, doc="e.g. 'satisfaction-nps'.")
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))


class GoalLineageMember(Sourced, Base):
    """A national goal, or a contract goal by natural key (hub, contract year, printed code), in a lineage."""

    __tablename__ = "goal_lineage_member"
    __table_args__ = (
        CheckConstraint(
            "(national_goal_id IS NOT NULL AND business_hub_slug IS NULL AND contract_year IS NULL"
            " AND goal_code IS NULL) OR (national_goal_id IS NULL AND business_hub_slug IS NOT NULL"
            " AND contract_year IS NOT NULL AND goal_code IS NOT NULL)",
            name="one_member",
        ),
        Index("ix_goal_lineage_member_contract_goal", "business_hub_slug", "contract_year", "goal_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    lineage_key: Mapped[str] = mapped_column(ForeignKey("goal_lineage.key", ondelete="CASCADE"), index=True)
    national_goal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("national_goal.id", ondelete="CASCADE"), index=True
    )
    business_hub_slug: Mapped[str | None] = mapped_column(ForeignKey("business_hub.slug"))
    contract_year: Mapped[int | None] = mapped_column(SmallInteger)
    goal_code: Mapped[str | None] = mapped_column(String(16), doc="Goal code as printed in that contract.")
    indicator_name: Mapped[str | None] = mapped_column(
        Text, doc="Only this indicator of the goal belongs to the lineage; NULL = the whole goal."
    )


class Segment(Base):
    """A canonical course type (forløbstype) or customer segment."""

    __tablename__ = "segment"
    __table_args__ = (CheckConstraint(f"kind IN ({', '.join(repr(kind.value) for kind in SegmentKind)})", name="kind"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True, doc="e.g. 'action-plan'.")
    name: Mapped[str] = mapped_column(Text, doc="Danish canonical name, e.g. 'handlingsplaner'.")
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))


class SegmentSpelling(Sourced, Base):
    """A printed variant of a segment, exactly as stored in target.segment / national_target.segment."""

    __tablename__ = "segment_spelling"

    printed: Mapped[str] = mapped_column(Text, primary_key=True)
    segment_key: Mapped[str] = mapped_column(ForeignKey("segment.key", ondelete="CASCADE"), index=True)


#: The units a municipality measure may have (the column's check constraint; the importer checks the same).
MEASURE_UNITS: tuple[Unit, ...] = (Unit.dkk, Unit.percent, Unit.count)


class MunicipalityMeasure(Sourced, Base):
    """What kind of municipality figure exists (DUT key, payment to Væksthus, to the business hub)."""

    __tablename__ = "municipality_measure"
    __table_args__ = (CheckConstraint(f"unit IN ({', '.join(repr(u.value) for u in MEASURE_UNITS)})", name="unit"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    additive: Mapped[bool] = mapped_column(
        Boolean, server_default=text("true"), doc="Sums over municipalities make sense."
    )
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))


class MunicipalityFigure(Sourced, Base):
    """One figure of a municipality in a year, as printed (in the measure's unit)."""

    __tablename__ = "municipality_figure"
    __table_args__ = (Index("ix_municipality_figure_measure_year", "measure", "year"),)

    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.code"), primary_key=True)
    measure: Mapped[str] = mapped_column(ForeignKey("municipality_measure.key", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    printed: Mapped[str | None] = mapped_column(Text, doc="The figure exactly as printed, e.g. '1.402' (1.000 kr.).")
    recipient_hub_slug: Mapped[str | None] = mapped_column(ForeignKey("business_hub.slug"))


class PrintedTotal(Sourced, Base):
    """A total as printed in a paper, kept to show discrepancies; never used as data."""

    __tablename__ = "printed_total"
    __table_args__ = (Index("ix_printed_total_measure_year", "measure", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    measure: Mapped[str] = mapped_column(String(64), doc="A municipality_measure key or 'population'.")
    year: Mapped[int] = mapped_column(SmallInteger)
    region_slug: Mapped[str | None] = mapped_column(ForeignKey("region.slug"))
    business_hub_slug: Mapped[str | None] = mapped_column(ForeignKey("business_hub.slug"))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    printed: Mapped[str | None] = mapped_column(Text, doc="The total exactly as printed, e.g. '14,853'.")
