"""The caller's tenants in the SQL of every read: `tenant_id IN (...)` on each tenant-owned entity.

Row-level security filters every read by tenant already, but its filter is not in the statement's text, so
a distributed database (Citus, `docs/scale-out.md`, caveat 1) cannot tell which shard a query needs.  One
`do_orm_execute` hook adds `with_loader_criteria(model, tenant_id IN (...))` for the tenant-owned models
(`TENANT_MODELS`) to every ORM SELECT of a session whose `info` holds the tenants: `restrict(session, ...)`,
called by `RequestContext` when it opens a read session for an own-region caller (`tenants_to_filter`).  It
is a second layer of tenancy in the API too; row-level security stays the guard.

Not restricted, as they read across regions by design: KL's benchmarking and the ministries' aggregates
(their flags), anonymous published contracts (PUBLIC_CONTRACTS) and partner reads.  A statement that may find
rows shared with the caller through a partnership (`partner_read`: a partner's goal with its indicators,
targets and results, a climate initiative) is marked `CROSS_TENANT`: the `goals` and `climateInitiatives`
lists, and node look-ups of those types for ids not among the caller's own rows
(`kkr.schema.common.loaders.OneByKey.load_nodes`).  A row such a statement returns from another tenant adds
that tenant to the session's set, so the look-ups below a shared goal (its indicators, their targets) find
the partner's rows; a request that meets no shared row names its own tenants only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.query import QueryContext

from .auth.identity import AGGREGATES_READ, BENCHMARK_READ, PUBLIC_CONTRACTS
from .database import TenantContext
from .models import AuditEvent, ClimateInitiative, Goal, Indicator, Result, Target
from .models.base import TenantOwned

#: `session.info` key: the set of tenants (mutable: partner tenants join it) the session's reads name.
INFO_KEY = "tenant_criteria"
#: Execution option of a statement that may read rows shared through a partnership: not restricted.
CROSS_TENANT = "cross_tenant"
#: The options to pass to `.execution_options(**...)`.
CROSS_TENANT_OPTIONS: Mapping[str, Any] = MappingProxyType({CROSS_TENANT: True})
#: Flags whose row-level-security policies read across tenants by design.
_CROSS_TENANT_FLAGS = frozenset({BENCHMARK_READ, AGGREGATES_READ, PUBLIC_CONTRACTS})
#: The tenant-owned models (`models.TENANT_TABLES`): `TenantOwned` and the audit trail, keyed otherwise.
TENANT_MODELS: tuple[type[Any], ...] = (TenantOwned, AuditEvent)
#: Models with a `partner_read` policy (migrations 0001 and 0004).
PARTNER_READABLE: frozenset[type[Any]] = frozenset({Goal, Indicator, Target, Result, ClimateInitiative})


def tenants_to_filter(ctx: TenantContext) -> frozenset[str] | None:
    """The tenants a read transaction with `ctx` names in its SQL, or None for one not to restrict (no
    region, or a flag that reads across regions)."""
    if not ctx.read_tenants or ctx.flags & _CROSS_TENANT_FLAGS:
        return None
    return ctx.read_tenants


def restrict(session: Any, tenants: Iterable[str] | None) -> None:
    """Let every ORM read of `session` (an `AsyncSession` or a `Session`) name `tenants`; None: no filter."""
    if tenants is not None:
        sync = getattr(session, "sync_session", session)
        sync.info[INFO_KEY] = set(tenants)


def cross_tenant(model: object) -> Mapping[str, Any]:
    """The execution options of a look-up of `model` that may find a partner's row (none for other models)."""
    return CROSS_TENANT_OPTIONS if model in PARTNER_READABLE else MappingProxyType({})


@event.listens_for(Session, "do_orm_execute")
def _add_tenant_criteria(state: ORMExecuteState) -> None:
    tenants = state.session.info.get(INFO_KEY)
    if tenants is None or not state.is_select or state.execution_options.get(CROSS_TENANT, False):
        return
    named = tuple(sorted(tenants))
    state.statement = state.statement.options(
        *(
            with_loader_criteria(model, lambda cls: cls.tenant_id.in_(named), include_aliases=True)
            for model in TENANT_MODELS
        )
    )


@event.listens_for(TenantOwned, "load", propagate=True)
def _remember_partner_tenant(target: Any, context: QueryContext) -> None:
    """A row outside the session's tenants came from a `CROSS_TENANT` read (a partner's shared row): its
    tenant joins the set, so the rows below it can be read too."""
    tenants = context.session.info.get(INFO_KEY) if context.session is not None else None
    if tenants is not None:
        tenants.add(target.tenant_id)
