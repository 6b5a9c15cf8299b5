"""The access log of cross-region reads: every GraphQL call made with benchmark:read or aggregates:read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ARRAY, BigInteger, DateTime, Identity, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class AccessLogEntry(Base):
    """One call: who (client or subject), which operation and document, with which variables, when.

    The API role may only insert (it can neither read nor change the log).
    """

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    client: Mapped[str] = mapped_column(String(128), doc="The client id, or the subject of a person's token.")
    subject: Mapped[str] = mapped_column(String(256))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    operation_name: Mapped[str | None] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64))
    variables: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
