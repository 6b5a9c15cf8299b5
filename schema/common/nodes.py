"""Relay `Node` helpers: resolving global IDs to rows through the request's DataLoaders."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension

from .connection import bad_input
from .errors import InvalidInput
from .loaders import OneByKey


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def resolve_nodes(
    info: strawberry.Info,
    node_ids: Iterable[str],
    loader: OneByKey,
    convert: Callable[[Any], Any],
    *,
    uuid_keys: bool = False,
    required: bool = False,
) -> list[Any]:
    """The objects for `node_ids` in order; None for ids that do not exist or are not visible (row-level security)."""
    ids = list(node_ids)
    keys = [parse_uuid(i) for i in ids] if uuid_keys else ids
    rows = await loader.load_many(info, [k for k in keys if k is not None])
    found = iter(rows)
    result: list[Any] = []
    for key in keys:
        row = next(found) if key is not None else None
        result.append(convert(row) if row is not None else None)
    if required and any(r is None for r in result):
        missing = [i for i, r in zip(ids, result, strict=True) if r is None]
        raise InvalidInput(f"No node with id(s) {', '.join(missing)}")
    return result


class AtMostOnePage(FieldExtension):
    """Refuses `nodes(ids:)` with more ids than the maximum page size (`settings.max_page_size`)."""

    def _check(self, info: strawberry.Info, ids: list[Any]) -> None:
        limit = info.context.settings.max_page_size
        if len(ids) > limit:
            raise bad_input(f"Argument 'ids' has {len(ids)} ids, above the maximum page size of {limit}.")

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        self._check(info, kwargs.get("ids") or [])
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        self._check(info, kwargs.get("ids") or [])
        return await next_(source, info, **kwargs)
