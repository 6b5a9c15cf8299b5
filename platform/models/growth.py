"""Regional growth teams (vækstteams) and their members."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ARRAY, Computed, Date, Index, SmallInteger, String, Text, text
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Sourced, TenantOwned, Versioned, tenant_fk


class GrowthTeam(TenantOwned, Versioned, Sourced, Base):
    """A vækstteam set up with a mandate (kommissorium) for a region or island."""

    __tablename__ = "growth_team"
    __table_args__ = (Index("ix_growth_team_search_vector", "search_vector", postgresql_using="gin"),)

    name: Mapped[str] = mapped_column(Text)
    geography: Mapped[str] = mapped_column(String(64), doc="Region or island the team covers, e.g. 'Bornholm'.")
    mandate: Mapped[str | None] = mapped_column(Text)
    focus_areas: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    deadline_label: Mapped[str | None] = mapped_column(String(64), doc="Deadline as printed, e.g. 'maj 2021'.")
    recommendations: Mapped[str | None] = mapped_column(Text)
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('danish'::regconfig, replace(coalesce(name, '') || ' ' || coalesce(mandate, ''), '/', ' '))",
            persisted=True,
        ),
    )


class GrowthTeamMember(TenantOwned, Versioned, Sourced, Base):
    """A member of a growth team with role and organisation."""

    __tablename__ = "growth_team_member"
    __table_args__ = (tenant_fk("growth_team_id", "growth_team"),)

    growth_team_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(64), doc="Role as printed, e.g. 'Formand' or 'Medlem'.")
    organisation: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
