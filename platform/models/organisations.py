"""The people around a region: KKR members, hub offices (filialer) and hub boards."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Sourced, TenantOwned, Versioned, enum_column
from .enums import CouncilRole, OfficeKind


class KkrMember(TenantOwned, Versioned, Sourced, Base):
    """A member of a KKR (formand, næstformand, medlem) or its secretariat, for a period."""

    __tablename__ = "kkr_member"

    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[CouncilRole] = enum_column(CouncilRole)
    title: Mapped[str | None] = mapped_column(Text, doc="Title as printed, e.g. 'borgmester i Solrød Kommune'.")
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"))
    party: Mapped[str | None] = mapped_column(String(16))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


class HubOffice(TenantOwned, Versioned, Sourced, Base):
    """A business hub's head office (hovedsæde) or branch (filial)."""

    __tablename__ = "hub_office"

    business_hub_slug: Mapped[str] = mapped_column(ForeignKey("business_hub.slug"), index=True)
    kind: Mapped[OfficeKind] = enum_column(OfficeKind)
    town: Mapped[str] = mapped_column(String(64))
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.code"))


class HubBoardMember(TenantOwned, Versioned, Sourced, Base):
    """A member of a business hub's board (bestyrelse)."""

    __tablename__ = "hub_board_member"

    business_hub_slug: Mapped[str] = mapped_column(ForeignKey("business_hub.slug"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[CouncilRole] = enum_column(CouncilRole)
    organisation: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
