"""Machine clients (ministries, KL) registered for the OAuth2 client-credentials grant."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ARRAY, DateTime, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class OAuthClient(Base):
    """A registered client: its hashed secret, the scopes and tenants it may be granted, and its state.

    Written by operators (`kkr register-client`, `kkr disable-client`, as the owner);
    the API role may only read it, to authenticate clients and to check them on every token use.
    """

    __tablename__ = "oauth_client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(Text, doc="scrypt$N$r$p$salt$hash (base64), never the secret.")
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    tenants: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=text("'{}'"), doc="Regions whose region:<slug>:* scopes it may be granted."
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(128))
