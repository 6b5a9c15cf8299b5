"""Who is calling: the identity a verified token (or its absence) stands for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..database import TenantContext

REGION_SCOPE = re.compile(r"^region:(?P<slug>[a-z0-9-]+):(?P<access>read|write)$")

BENCHMARK_READ = "benchmark:read"
AGGREGATES_READ = "aggregates:read"
ADMIN = "admin"
#: Row-level-security flag (not a scope) for published contracts when the PUBLIC_CONTRACTS setting is on.
PUBLIC_CONTRACTS = "public:contracts"


@dataclass(frozen=True)
class Identity:
    """A verified caller: a person from the identity provider or a registered machine client.

    Scopes: `region:<slug>:read`, `region:<slug>:write` (write implies read),
    `benchmark:read` (KL), `aggregates:read` (ministries), `admin` (operators).
    """

    subject: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.subject == "anonymous"

    def _regions(self, *accesses: str) -> frozenset[str]:
        found = set()
        for scope in self.scopes:
            match = REGION_SCOPE.match(scope)
            if match and match["access"] in accesses:
                found.add(match["slug"])
        return frozenset(found)

    @property
    def readable_regions(self) -> frozenset[str]:
        return self._regions("read", "write")

    @property
    def writable_regions(self) -> frozenset[str]:
        return self._regions("write")

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def tenant_context(self) -> TenantContext:
        """The row-level-security context for this identity's transactions.

        Never includes the PUBLIC_CONTRACTS flag: only the published-contracts query opens a
        transaction of its own with it (`RequestContext.published_contracts_session`).  The `admin`
        flag lets the transaction call the client-management functions (migration 0006); no
        row-level-security policy keys on it."""
        flags = {f for f in (BENCHMARK_READ, AGGREGATES_READ, ADMIN) if f in self.scopes}
        return TenantContext(
            read_tenants=self.readable_regions,
            write_tenants=self.writable_regions,
            actor=self.client_id or self.subject,
            flags=frozenset(flags),
        )


ANONYMOUS = Identity(subject="anonymous")
