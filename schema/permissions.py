"""Strawberry permission classes: who may use which part of the schema.

Every refusal is a GraphQL error with `extensions.code = "FORBIDDEN"`, never
silently empty data.  Row-level security in PostgreSQL enforces the same
tenancy underneath, so a resolver bug cannot leak another region's rows.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.permission import BasePermission

from kkr.platform.auth.identity import ADMIN, AGGREGATES_READ, BENCHMARK_READ, Identity


def identity_of(info: strawberry.Info) -> Identity:
    return info.context.identity


class _ScopePermission(BasePermission):
    error_extensions = {"code": "FORBIDDEN"}

    def allows(self, identity: Identity) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return self.allows(identity_of(info))


class RegionalRead(_ScopePermission):
    """A region's staff: any `region:<slug>:read` or `region:<slug>:write` scope."""

    message = "FORBIDDEN: this field needs a region:<slug>:read scope."

    def allows(self, identity: Identity) -> bool:
        return bool(identity.readable_regions)


class RegionalWrite(_ScopePermission):
    """A region's editors: any `region:<slug>:write` scope (the service checks the region itself)."""

    message = "FORBIDDEN: this operation needs a region:<slug>:write scope."

    def allows(self, identity: Identity) -> bool:
        return bool(identity.writable_regions)


class BenchmarkRead(_ScopePermission):
    """KL's cross-region benchmarking: `benchmark:read`."""

    message = "FORBIDDEN: this field needs the benchmark:read scope."

    def allows(self, identity: Identity) -> bool:
        return identity.has(BENCHMARK_READ)


class AggregatesRead(_ScopePermission):
    """Ministries' aggregates (also open to KL's benchmarking): `aggregates:read` or `benchmark:read`."""

    message = "FORBIDDEN: this field needs the aggregates:read scope."

    def allows(self, identity: Identity) -> bool:
        return identity.has(AGGREGATES_READ) or identity.has(BENCHMARK_READ)


class Admin(_ScopePermission):
    """Platform operators: `admin`."""

    message = "FORBIDDEN: this operation needs the admin scope."

    def allows(self, identity: Identity) -> bool:
        return identity.has(ADMIN)
