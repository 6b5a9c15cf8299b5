"""Climate initiatives (DK2020, joint climate ambitions, partnerships) with participants and targets."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Computed, ForeignKey, Index, Numeric, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Sourced, TenantOwned, Versioned, enum_column, tenant_fk
from .enums import ClimateInitiativeKind, Comparator, InitiativeStatus


class ClimateInitiative(TenantOwned, Versioned, Sourced, Base):
    """A climate initiative of a region: a DK2020 plan, a joint ambition, a partnership, ..."""

    __tablename__ = "climate_initiative"
    __table_args__ = (Index("ix_climate_initiative_search_vector", "search_vector", postgresql_using="gin"),)

    kind: Mapped[ClimateInitiativeKind] = enum_column(ClimateInitiativeKind)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InitiativeStatus] = enum_column(InitiativeStatus, server_default=InitiativeStatus.active.value)
    budget_dkk: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    start_year: Mapped[int | None] = mapped_column(SmallInteger)
    end_year: Mapped[int | None] = mapped_column(SmallInteger)
    partnership_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partnership.id"))
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('danish'::regconfig, replace(coalesce(name, '') || ' ' || coalesce(description, ''), '/', ' '))",
            persisted=True,
        ),
    )


class ClimateParticipant(TenantOwned, Versioned, Sourced, Base):
    """A municipality, region or organisation taking part in a climate initiative."""

    __tablename__ = "climate_participant"
    __table_args__ = (tenant_fk("initiative_id", "climate_initiative"),)

    initiative_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"))
    organisation: Mapped[str | None] = mapped_column(Text, doc="Name when the participant is not a municipality.")
    role: Mapped[str | None] = mapped_column(String(128))


class ClimateTarget(TenantOwned, Versioned, Sourced, Base):
    """A numeric climate target, e.g. -70 % CO2e by 2030 against 1990."""

    __tablename__ = "climate_target"
    __table_args__ = (tenant_fk("initiative_id", "climate_initiative"),)

    initiative_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    description: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(64), doc="e.g. 'greenhouse_gas_reduction'.")
    comparator: Mapped[Comparator] = enum_column(Comparator, server_default=Comparator.at_least.value)
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    unit: Mapped[str] = mapped_column(String(32), doc="e.g. 'percent' or 'tonnes_co2e'.")
    target_year: Mapped[int | None] = mapped_column(SmallInteger)
    baseline_year: Mapped[int | None] = mapped_column(SmallInteger)
