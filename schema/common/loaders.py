"""Per-request DataLoaders: one SQL statement per kind of look-up and nesting level, never one per row.

A loader is declared once per domain (`OneByKey(Municipality.code)`,
`ManyByKey(HubOffice.business_hub_slug, order_by=...)`) and instantiated lazily
per request in `info.context.loaders`, so nothing is cached across requests
or tenants.

A loader's futures are shared: two fields asking for the same key await one future.  Strawberry's
`DataLoader` hands that future out as it is, so when graphql-core cancels one of the fields (a sibling
failed, its result is discarded) the shared future is cancelled with it and the other field, which nobody
cancelled, meets a `CancelledError`.  `SharedLoader` hands out shielded futures instead: cancelling a
caller cancels only its wait.

A `ManyByKey` may prime `OneByKey` loaders of the same rows (`primes=`): the hubs of a region read once
serve every later look-up of a hub by its slug in the same request, with no second statement.

Every look-up names the caller's tenants in its SQL (`kkr.platform.tenant_criteria`), which include a
partner's once a row it shares with the caller has been read, so the children of a shared row are found.
Two kinds of look-up may meet a shared row first and are not restricted: a `ManyByKey` with
`partner_rows=True` (its key is no tenant-owned parent), and a node look-up by global id
(`OneByKey.load_nodes`) of a type a partner may read, for the ids not found among the caller's own rows.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, any_, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, aliased
from strawberry.dataloader import DataLoader

from kkr.platform.tenant_criteria import cross_tenant, tenants_to_filter

from .database import scalars


class SharedLoader(DataLoader[Any, Any]):
    """A DataLoader whose callers each await a shielded copy of the shared future (see the module docstring)."""

    def load(self, key: Any) -> asyncio.Future[Any]:
        return asyncio.shield(super().load(key))  # `load_many` loads each key through this


def request_loader(info: strawberry.Info, name: str, batch: Callable[[Any, list[Any]], Any]) -> DataLoader[Any, Any]:
    """The request's DataLoader called `name`, created on first use with `batch(context, keys)`."""
    return context_loader(info.context, name, batch)


def context_loader(context: Any, name: str, batch: Callable[[Any, list[Any]], Any]) -> DataLoader[Any, Any]:
    """`request_loader` by the request's context."""
    loaders = context.loaders
    loader = loaders.get(name)
    if loader is None:

        async def load_fn(keys: list[Any]) -> list[Any]:
            rows: list[Any] = await batch(context, keys)
            return rows

        loader = loaders[name] = SharedLoader(load_fn=load_fn)
    assert isinstance(loader, DataLoader)
    return loader


def _name(column: InstrumentedAttribute[Any]) -> str:
    return f"{column.class_.__tablename__}.{column.key}"


def _among(column: InstrumentedAttribute[Any], keys: list[Hashable]) -> ColumnElement[bool]:
    """`column = ANY($1)` with the keys as one array parameter: one statement text whatever the number of
    keys, so the connection's prepared statement (and PostgreSQL's plan of it) is reused across requests
    instead of planning an `IN ($1, ..., $n)` of every length anew (the policies make planning costly)."""
    return column == any_(bindparam("keys", keys, type_=ARRAY(column.type)))


@dataclass(frozen=True)
class OneByKey:
    """Rows looked up by a unique column (a primary or natural key); missing or invisible rows are None."""

    column: InstrumentedAttribute[Any]

    @property
    def name(self) -> str:
        return f"one:{_name(self.column)}"

    async def _batch(self, context: Any, keys: list[Hashable], options: Mapping[str, Any] | None = None) -> list[Any]:
        model = self.column.class_
        statement = select(model).where(_among(self.column, keys))
        rows = await scalars(context, statement.execution_options(**options) if options else statement)
        by_key = {getattr(row, self.column.key): row for row in rows}
        return [by_key.get(key) for key in keys]

    async def load(self, info: strawberry.Info, key: Hashable | None) -> Any:
        if key is None:
            return None
        return await request_loader(info, self.name, self._batch).load(key)

    def prime(self, context: Any, rows: Sequence[Any]) -> None:
        """Remember `rows` (read by another loader) as this request's answers for their keys."""
        loader = context_loader(context, self.name, self._batch)
        for row in rows:
            loader.prime(getattr(row, self.column.key), row)

    async def load_many(self, info: strawberry.Info, keys: Sequence[Hashable]) -> list[Any]:
        return list(await request_loader(info, self.name, self._batch).load_many(list(keys)))

    async def load_nodes(self, info: strawberry.Info, keys: Sequence[Hashable]) -> list[Any]:
        """`load_many` for node look-ups by global id; a key not found among the caller's own rows is looked up
        once more without the tenant criteria when a partner may read rows of the type (module docstring)."""
        rows = await self.load_many(info, keys)
        options = cross_tenant(self.column.class_)
        missing = [key for key, row in zip(keys, rows, strict=True) if row is None]
        if not options or not missing or tenants_to_filter(info.context.tenant) is None:
            return rows
        batch = functools.partial(self._batch, options=options)
        found = iter(await request_loader(info, f"node:{self.name}", batch).load_many(missing))
        return [row if row is not None else next(found) for row in rows]


@dataclass(frozen=True)
class ManyByKey:
    """Child rows grouped by a parent key (e.g. the offices of each hub), in a fixed order."""

    column: InstrumentedAttribute[Any]
    order_by: tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...] = field(default=())
    #: look-ups of the same rows by a unique key, answered from this loader's rows (module docstring)
    primes: tuple[OneByKey, ...] = field(default=())
    #: only the child rows meeting these conditions (e.g. the latest contract versions), named by `variant`
    where: tuple[ColumnElement[bool], ...] = field(default=())
    variant: str = ""
    #: the key is no tenant-owned parent (a tenant, a national goal), so rows shared with the caller through a
    #: partnership may be among the children: not restricted to the caller's tenants (module docstring)
    partner_rows: bool = False

    @property
    def name(self) -> str:
        return f"many:{_name(self.column)}" + (f":{self.variant}" if self.variant else "")

    async def _batch(self, context: Any, keys: list[Hashable]) -> list[list[Any]]:
        model = self.column.class_
        statement = select(model).where(_among(self.column, keys), *self.where).order_by(*self.order_by)
        if self.partner_rows:
            statement = statement.execution_options(**cross_tenant(model))
        rows = await scalars(context, statement)
        groups: dict[Hashable, list[Any]] = defaultdict(list)
        for row in rows:
            groups[getattr(row, self.column.key)].append(row)
        for one in self.primes:
            one.prime(context, rows)
        return [groups.get(key, []) for key in keys]

    async def load(self, info: strawberry.Info, key: Hashable | None) -> list[Any]:
        if key is None:
            return []
        rows: list[Any] = await request_loader(info, self.name, self._batch).load(key)
        return rows

    async def load_many(self, info: strawberry.Info, keys: Sequence[Hashable]) -> list[list[Any]]:
        """The children of every key, in the order of `keys` (one batch for all)."""
        return list(await request_loader(info, self.name, self._batch).load_many(list(keys)))


@dataclass(frozen=True)
class LastByKey:
    """The last child row of each parent key in `order_by` (e.g. a target's latest result), or None: one
    row per key from PostgreSQL (a LATERAL ... LIMIT 1 per key), not every child row.  `order_by` is the children's order of
    the matching `ManyByKey`, so "the last of the list" and this loader never disagree."""

    column: InstrumentedAttribute[Any]
    order_by: tuple[InstrumentedAttribute[Any], ...]

    @property
    def name(self) -> str:
        return f"last:{_name(self.column)}"

    async def _batch(self, context: Any, keys: list[Hashable]) -> list[Any]:
        model = self.column.class_
        # per key, the first row in reverse order (LIMIT 1 down an index on the key), not all its rows
        given = func.unnest(bindparam("keys", keys, type_=ARRAY(self.column.type))).table_valued("key")
        given = given.render_derived(name="given")
        last = (
            select(model)
            .where(self.column == given.c.key)
            .order_by(*(c.desc() for c in self.order_by))
            .limit(1)
            .lateral("last")
        )
        statement = select(aliased(model, last)).select_from(given).join(last, true())
        by_key = {getattr(row, self.column.key): row for row in await scalars(context, statement)}
        return [by_key.get(key) for key in keys]

    async def load(self, info: strawberry.Info, key: Hashable | None) -> Any:
        if key is None:
            return None
        return await request_loader(info, self.name, self._batch).load(key)

    async def load_many(self, info: strawberry.Info, keys: Sequence[Hashable]) -> list[Any]:
        return list(await request_loader(info, self.name, self._batch).load_many(list(keys)))
