"""Result contracts (resultatkontrakter) with their goals, indicators, targets and results."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Sourced, TenantOwned, Versioned, enum_column, tenant_fk
from .enums import ContractStatus, GoalCategory
from .targets import TargetFields


class ResultContract(TenantOwned, Versioned, Sourced, Base):
    """A yearly result contract between a KKR and its business hub; versions supersede each other."""

    __tablename__ = "result_contract"
    __table_args__ = (
        UniqueConstraint("tenant_id", "business_hub_slug", "year", "version"),
        tenant_fk("supersedes_id", "result_contract", ondelete=None),
    )

    business_hub_slug: Mapped[str] = mapped_column(ForeignKey("business_hub.slug"), index=True)
    framework_agreement_slug: Mapped[str | None] = mapped_column(ForeignKey("framework_agreement.slug"))
    year: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[ContractStatus] = enum_column(ContractStatus, server_default=ContractStatus.draft.value)
    version: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    published: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    adopted_on: Mapped[dt.date | None] = mapped_column(Date)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    fulfilment_rule: Mapped[str | None] = mapped_column(Text, doc="The contract's own fulfilment rule, as printed.")
    reported_fulfilment_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), doc="Overall fulfilment as printed.")
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR, Computed("to_tsvector('danish'::regconfig, replace(coalesce(title, ''), '/', ' '))", persisted=True)
    )


#: SQL: the contract aliased `c` is the latest visible version of its region, hub and year (migration 0002's
#: LATEST_VERSION word for word; schema/contracts/versions.py holds the same rule as a SQLAlchemy expression).
LATEST_VERSION_SQL = (
    "NOT EXISTS (SELECT 1 FROM result_contract n WHERE n.tenant_id = c.tenant_id"
    " AND n.business_hub_slug = c.business_hub_slug AND n.year = c.year AND n.version > c.version)"
)


class Goal(TenantOwned, Versioned, Sourced, Base):
    """A goal (mål) of a result contract: national, common (fælles) or local (lokal)."""

    __tablename__ = "goal"
    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "code"),
        tenant_fk("contract_id", "result_contract"),
        Index("ix_goal_search_vector", "search_vector", postgresql_using="gin"),
        # The parent key first: reads by contract carry no usable tenant condition (migration 0014).
        Index("ix_goal_contract_id_tenant_id", "contract_id", "tenant_id"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    code: Mapped[str] = mapped_column(String(16), doc="Code as printed: '5C' is a string.")
    category: Mapped[GoalCategory] = enum_column(GoalCategory)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    measurement_method: Mapped[str | None] = mapped_column(Text)
    data_source: Mapped[str | None] = mapped_column(Text)
    national_goal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("national_goal.id"))
    partnership_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partnership.id"))
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    reported_fulfilment_pct: Mapped[Decimal | None] = mapped_column(
        Numeric(5, 2), doc="Fulfilment as reported in the paper (e.g. the hub's proposal)."
    )
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('danish'::regconfig, replace(coalesce(title, '') || ' ' || coalesce(description, ''), '/', ' '))",
            persisted=True,
        ),
    )


class Indicator(TenantOwned, Versioned, Sourced, Base):
    """What a goal measures (målepunkt); it carries targets per period and segment."""

    __tablename__ = "indicator"
    # The index: from a goal to its indicators, the parent key first (loaders, fact table refreshes; migration 0014).
    __table_args__ = (tenant_fk("goal_id", "goal"), Index("ix_indicator_goal_id_tenant_id", "goal_id", "tenant_id"))

    goal_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))


class Target(TargetFields, TenantOwned, Versioned, Sourced, Base):
    """A target (måltal) of an indicator for one period and segment."""

    __tablename__ = "target"
    # The index: from an indicator to its targets (as for indicator, migration 0014).
    __table_args__ = (
        tenant_fk("indicator_id", "indicator"),
        Index("ix_target_indicator_id_tenant_id", "indicator_id", "tenant_id"),
    )

    indicator_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class Result(TenantOwned, Sourced, Base):
    """A reported result for a target.  Never updated: a revision is a new row."""

    __tablename__ = "result"
    __table_args__ = (
        UniqueConstraint("tenant_id", "target_id", "revision"),
        tenant_fk("target_id", "target"),
        # A target's results by revision, the target first (migration 0014).
        Index("ix_result_target_id_revision", "target_id", "revision"),
    )

    target_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    revision: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    value_text: Mapped[str | None] = mapped_column(Text, doc="The result as printed when it is not a plain number.")
    measured_at: Mapped[dt.date | None] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    recorded_by: Mapped[str | None] = mapped_column(String(128))
