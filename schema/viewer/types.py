"""Who the caller is, as the platform sees its token (`viewer`)."""

from __future__ import annotations

import strawberry

from kkr.platform.auth.identity import Identity


@strawberry.type(
    description="The caller as the platform sees its bearer token: who it is and what it may use. "
    "Without a token the caller is anonymous and has no scopes."
)
class Viewer:
    subject: str = strawberry.field(
        description="The token's subject (`sub`): the person at the identity provider or the machine client; "
        "`anonymous` without a token."
    )
    client_id: str | None = strawberry.field(
        description="The registered machine client (OAuth2 client credentials) the token was issued to; "
        "null for people, anonymous callers and other tokens."
    )
    scopes: list[str] = strawberry.field(
        description="The token's scopes, sorted (e.g. `region:sjaelland:write`, `benchmark:read`); "
        "empty when anonymous."
    )
    readable_regions: list[str] = strawberry.field(
        description="Slugs of the regions whose data the caller may read (`region:<slug>:read` or "
        "`region:<slug>:write`), sorted."
    )
    writable_regions: list[str] = strawberry.field(
        description="Slugs of the regions whose data the caller may change (`region:<slug>:write`), sorted."
    )
    is_anonymous: bool = strawberry.field(description="True when the request carried no bearer token.")

    @classmethod
    def of(cls, identity: Identity) -> Viewer:
        """The viewer for a verified identity."""
        return cls(
            subject=identity.subject,
            client_id=identity.client_id,
            scopes=sorted(identity.scopes),
            readable_regions=sorted(identity.readable_regions),
            writable_regions=sorted(identity.writable_regions),
            is_anonymous=identity.is_anonymous,
        )
