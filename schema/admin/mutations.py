"""Operators' mutations (`admin`): register and disable machine clients.

The same validation as `kkr register-client` (`platform/auth/clients.py`); the API role
writes clients only through the SECURITY DEFINER functions of migration 0006, which
refuse any transaction without the `admin` flag.  A refused registration writes nothing
and reports one `MutationError` per problem; the secret is returned this once only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types.field import StrawberryField

from kkr.platform.auth import clients
from kkr.platform.auth.identity import Identity
from kkr.platform.services.validation import Given, Input

from ..common.errors import MutationError
from ..common.inputs import parameter
from ..common.mutations import run_service
from ..permissions import Admin
from .queries import OAuthClient

R = TypeVar("R")
#: The client registry (`platform/auth/clients.py`) checks these values itself, as for `kkr register-client`.
AS_SENT = Given()


@strawberry.input(description="A new machine client for the OAuth2 client-credentials grant.")
class RegisterClientInput:
    client_id: str = parameter(Given(required=True), "The client id: 3-64 characters of a-z, 0-9, '.', '_' and '-'.")
    name: str = parameter(Given(required=True), "Who the client is, e.g. 'Erhvervsministeriet, dataportal'.")
    scopes: list[str] = parameter(
        Given(required=True),
        "Scopes it may be granted (at least one): aggregates:read, benchmark:read, admin,"
        " region:<slug>:read or region:<slug>:write for one of its tenants.",
    )
    tenants: list[str] | None = parameter(AS_SENT, "Regions (slugs) it may get region scopes for; none by default.")
    expires_at: dt.datetime | None = parameter(AS_SENT, "When it expires (in the future); never by default.")


@strawberry.input(description="The machine client to disable.")
class DisableClientInput:
    client_id: str = parameter(Given(required=True), "The client id.")


@strawberry.type(description="The outcome of registering a machine client.")
class RegisterClientPayload:
    client: OAuthClient | None = strawberry.field(
        description="The client as registered (null when the registration was refused)."
    )
    client_secret: str | None = strawberry.field(
        description="The client's secret, shown only this once (only its hash is stored); null when refused."
    )
    errors: list[MutationError] = strawberry.field(description="Why the registration was refused; empty on success.")


@strawberry.type(description="The outcome of disabling a machine client.")
class DisableClientPayload:
    client: OAuthClient | None = strawberry.field(
        description="The client as disabled (null when the mutation was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the mutation was refused; empty on success.")


async def _register(session: Any, identity: Identity, data: Input) -> clients.Registration:
    return await clients.register_client(
        session,
        data.get("client_id"),
        name=data.get("name"),
        scopes=data.get("scopes"),
        tenants=data.get("tenants") or (),
        expires_at=data.get("expires_at"),
    )


async def _disable(session: Any, identity: Identity, data: Input) -> Any:
    return await clients.disable_client(session, data.get("client_id"))


def admin_mutation(
    description: str,
) -> Callable[[Callable[..., Awaitable[R]]], StrawberryField]:
    """A mutation field for platform operators (needs the admin scope)."""

    def field(resolver: Callable[..., Awaitable[R]]) -> StrawberryField:
        return strawberry.mutation(resolver, description=description, permission_classes=[Admin])

    return field


@strawberry.type(description="Operators' changes: machine clients.")
class AdminMutation:
    @admin_mutation("Register a machine client (OAuth2 client credentials); returns its secret this once.")
    async def register_client(
        self,
        info: strawberry.Info,
        input: Annotated[RegisterClientInput, strawberry.argument(description="The new client.")],
    ) -> RegisterClientPayload:
        registration, errors = await run_service(info, _register, input, "OAuthClient")
        if registration is None:
            return RegisterClientPayload(client=None, client_secret=None, errors=errors)
        return RegisterClientPayload(
            client=OAuthClient.from_row(registration.client), client_secret=registration.secret, errors=[]
        )

    @admin_mutation("Disable a machine client: its tokens are refused from the next request on.")
    async def disable_client(
        self,
        info: strawberry.Info,
        input: Annotated[DisableClientInput, strawberry.argument(description="The client to disable.")],
    ) -> DisableClientPayload:
        row, errors = await run_service(info, _disable, input, "OAuthClient")
        return DisableClientPayload(client=OAuthClient.from_row(row) if row is not None else None, errors=errors)
