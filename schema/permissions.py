"""Strawberry permission classes: who may use which part of the schema.

Each class decides from the verified identity (and the settings) alone, via
`allows()`, so the same rule decides what is in the caller's schema
(schema/visibility.py): a field a class refuses is unknown to that caller, its
documents asking for it fail validation, and introspection does not show it.
Executed, the classes are the second line of defence: a refusal is a GraphQL
error with `extensions.code = "FORBIDDEN"`, never silently empty data.
Row-level security in PostgreSQL enforces the same tenancy underneath, so a
resolver bug cannot leak another region's rows.  How a field or type declares
them, and the deny-by-default rule, is `schema/access.py`.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLErrorExtensions
from strawberry.permission import BasePermission

from kkr.platform.auth.identity import ADMIN, AGGREGATES_READ, BENCHMARK_READ, Identity
from kkr.platform.settings import Settings


def identity_of(info: strawberry.Info) -> Identity:
    identity: Identity = info.context.identity
    return identity


class ScopePermission(BasePermission):
    """A permission that depends only on the caller's identity and the settings."""

    error_extensions: GraphQLErrorExtensions | None = {"code": "FORBIDDEN"}  # noqa: RUF012 - as BasePermission declares it

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:  # pragma: no cover
        raise NotImplementedError

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return self.allows(identity_of(info), getattr(info.context, "settings", None))


class RegionalRead(ScopePermission):
    """A region's staff: any `region:<slug>:read` or `region:<slug>:write` scope."""

    message = "FORBIDDEN: this field needs a region:<slug>:read scope."

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:
        return bool(identity.readable_regions)


class RegionalWrite(ScopePermission):
    """A region's editors: any `region:<slug>:write` scope (the service checks the region itself)."""

    message = "FORBIDDEN: this operation needs a region:<slug>:write scope."

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:
        return bool(identity.writable_regions)


class BenchmarkRead(ScopePermission):
    """KL's cross-region benchmarking: `benchmark:read`."""

    message = "FORBIDDEN: this field needs the benchmark:read scope."

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:
        return identity.has(BENCHMARK_READ)


class SharedRead(ScopePermission):
    """Shared reference data (regions, hubs, municipalities, framework agreements) and published comparable
    figures (benchmark observations): regional staff and KL, not ministries (aggregates only) or anonymous."""

    message = "FORBIDDEN: this field needs a region:<slug>:read or the benchmark:read scope."

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:
        return bool(identity.readable_regions) or identity.has(BENCHMARK_READ)


class AggregatesRead(ScopePermission):
    """Ministries' aggregates (also open to KL's benchmarking): `aggregates:read` or `benchmark:read`."""

    message = "FORBIDDEN: this field needs the aggregates:read scope."

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:
        return identity.has(AGGREGATES_READ) or identity.has(BENCHMARK_READ)


class PublishedContractsRead(ScopePermission):
    """Published (adopted, signed, reported) contracts: regional staff, and everyone (anonymous included)
    when the PUBLIC_CONTRACTS setting is on.  Row-level security keeps unpublished contracts out."""

    message = "FORBIDDEN: published contracts are not public on this server; this field needs a region scope."

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:
        return bool(identity.readable_regions) or bool(settings is not None and settings.public_contracts)


class Admin(ScopePermission):
    """Platform operators: `admin`."""

    message = "FORBIDDEN: this operation needs the admin scope."

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:
        return identity.has(ADMIN)


class Everyone(ScopePermission):
    """Every caller, anonymous included: for fields that only describe the caller itself (`viewer`).
    Root fields must declare a class (deny by default, schema/access.py): this one says "everyone" on purpose."""

    message = "FORBIDDEN"  # never refused

    def allows(self, identity: Identity, settings: Settings | None = None) -> bool:
        return True
