"""Operators' queries (`admin`): the registered OAuth2 clients (never their secrets).

Clients are registered and disabled with the command line (`kkr register-client`,
`kkr disable-client`) or the operators' mutations (`admin/mutations.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

import strawberry
from sqlalchemy import select

from kkr.platform.models import OAuthClient as OAuthClientModel

from ..access import requires
from ..common.database import scalars
from ..common.fields import field
from ..common.rows import copied
from ..permissions import Admin


@requires(Admin)
@strawberry.type(description="A machine client registered for the OAuth2 client-credentials grant.")
class OAuthClient:
    client_id: str = strawberry.field(description="The client id.")
    name: str = strawberry.field(description="Who the client is.")
    scopes: list[str] = strawberry.field(description="Scopes it may be granted.")
    tenants: list[str] = strawberry.field(description="Regions it may get region scopes for.")
    created_at: dt.datetime = strawberry.field(description="When it was registered.")
    expires_at: dt.datetime | None = strawberry.field(description="When it expires, if ever.")
    disabled_at: dt.datetime | None = strawberry.field(description="When it was disabled, if it was.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, scopes=list(row.scopes), tenants=list(row.tenants))


@strawberry.type
class AdminQuery:
    @field(description="Registered OAuth2 clients, by client id.", permission_classes=[Admin])
    async def oauth_clients(self, info: strawberry.Info) -> list[OAuthClient]:
        rows = await scalars(info.context, select(OAuthClientModel).order_by(OAuthClientModel.client_id))
        return [OAuthClient.from_row(r) for r in rows]
