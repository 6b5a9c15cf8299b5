"""Development tokens for the dashboard's demo roles: `POST /dev/token {"role": ...}` and `GET /dev/roles`.

Only in development (ENVIRONMENT=development): production registers neither route, so both answer 404.  The
token is made as `kkr mint-token` makes its tokens (`mint_development_token`: the platform's signing key),
for the scopes of the chosen role.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from ..settings import Settings
from .keys import load_signing_keys
from .tokens import issue_token

#: How long a demo token lives (seconds).
LIFETIME = 8 * 3600


@dataclass(frozen=True)
class DemoRole:
    role: str
    label: str
    subject: str
    scopes: tuple[str, ...]


DEMO_ROLES: tuple[DemoRole, ...] = (
    DemoRole("sjaelland-editor", "Redaktør, KKR Sjælland", "demo:redaktoer@sjaelland", ("region:sjaelland:write",)),
    DemoRole("nordjylland-reader", "Læser, KKR Nordjylland", "demo:laeser@nordjylland", ("region:nordjylland:read",)),
    DemoRole("kl", "KL (benchmark)", "demo:kl", ("benchmark:read",)),
    DemoRole("ministry", "Ministerium (aggregater)", "demo:ministerium", ("aggregates:read",)),
)
ROLES = {role.role: role for role in DEMO_ROLES}

_NO_STORE = {"Cache-Control": "no-store"}


class NoSigningKey(RuntimeError):
    """The platform has no signing key (development always has one: it is generated)."""


def mint_development_token(settings: Settings, *, subject: str, scopes: Iterable[str], lifetime: int) -> str:
    """A platform token for development (`kkr mint-token`, the demo roles), signed with the platform's key."""
    keys = load_signing_keys(settings)
    if keys is None:  # pragma: no cover - development always has a signing key
        raise NoSigningKey("no signing key configured")
    return issue_token(
        keys,
        issuer=settings.token_issuer,
        audience=settings.auth_audience,
        subject=subject,
        scopes=scopes,
        lifetime=lifetime,
    )


def dev_token_routes(settings: Settings) -> list[BaseRoute]:
    """`GET /dev/roles` and `POST /dev/token`, in development only."""
    if not settings.is_development:
        return []

    async def roles(request: Request) -> JSONResponse:
        return JSONResponse(
            {"roles": [{"role": r.role, "label": r.label, "scopes": list(r.scopes)} for r in DEMO_ROLES]},
            headers=_NO_STORE,
        )

    async def token(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        name = body.get("role") if isinstance(body, dict) else None
        role = ROLES.get(name) if isinstance(name, str) else None
        if role is None:
            return JSONResponse(
                {"error": "bad_request", "message": f"Unknown role; one of {', '.join(ROLES)}."},
                status_code=400,
                headers=_NO_STORE,
            )
        return JSONResponse(
            {
                "token": mint_development_token(settings, subject=role.subject, scopes=role.scopes, lifetime=LIFETIME),
                "role": role.role,
                "scopes": list(role.scopes),
            },
            headers=_NO_STORE,
        )

    return [Route("/dev/roles", roles, methods=["GET"]), Route("/dev/token", token, methods=["POST"])]
