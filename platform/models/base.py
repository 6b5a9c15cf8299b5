"""Declarative base, naming conventions and the column mixins every table shares."""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import Enum, ForeignKey, Integer, MetaData, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def enum_column(enum_type: type[enum.Enum], **kwargs: Any) -> Any:
    """A text column restricted to the enum's values (no native PG enum: easy to evolve)."""
    return mapped_column(
        Enum(
            enum_type,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda members: [m.value for m in members],
            name=enum_type.__name__.lower(),
        ),
        **kwargs,
    )


class TenantOwned:
    """Rows owned by one region (tenant).

    The primary key is (tenant_id, id) and foreign keys between tenant-owned
    tables carry tenant_id, so the schema can be distributed by tenant (Citus)
    without change.  Row-level security on tenant_id is set up by the migrations.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:
        return mapped_column(String(32), ForeignKey("region.slug"), primary_key=True)

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


class Versioned:
    """Optimistic concurrency: every UPDATE bumps row_version and checks the old one."""

    row_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.row_version}


class Sourced:
    """Provenance of a curated figure: the source document and where in it."""

    @declared_attr
    def source_document_key(cls) -> Mapped[str | None]:
        return mapped_column(String(64), ForeignKey("source_document.key"), nullable=True)

    source_locator: Mapped[str | None] = mapped_column(
        String(64), nullable=True, doc="Page or line range in the source document, e.g. 'L1447-1453'."
    )
    note: Mapped[str | None] = mapped_column(
        Text, nullable=True, doc="Curator's note, e.g. a discrepancy in the source that was kept as printed."
    )


def tenant_fk(column: str, table: str, ondelete: str | None = "CASCADE") -> Any:
    """A foreign key to another tenant-owned table, including tenant_id."""
    from sqlalchemy import ForeignKeyConstraint

    return ForeignKeyConstraint(["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], ondelete=ondelete)
