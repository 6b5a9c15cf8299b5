"""Danish ordering and full-text search in SQL.

`kkr_danish_sort_key(name)` (migrations/tenancy.py) is the Danish collation on
every server (Æ, Ø, Å after Z; "Aa" as "Å"); the name itself breaks ties.
Search uses the generated `search_vector` columns, built with the 'danish'
text-search configuration, and `websearch_to_tsquery` (quotes, OR, -word).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeGuard, TypeVarTuple

from sqlalchemy import ColumnElement, Select, func, literal_column

Ts = TypeVarTuple("Ts")

DANISH: ColumnElement[Any] = literal_column("'danish'::regconfig")

#: How search arguments are documented in the SDL.
SEARCH_SYNTAX = 'Danish stemming; web-search syntax: "a phrase", OR, -word'


def danish_sort_key(column: Any) -> ColumnElement[Any]:
    """Order by Danish alphabetical order of `column`."""
    return func.kkr_danish_sort_key(column)


def wants_search(search: str | None) -> TypeGuard[str]:
    """A search argument filters only when it holds more than white space ("" and "  " mean: no filter)."""
    return bool(search and not search.isspace())


def _search_query(query: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(DANISH, query)


def matches_search(search_vector: Any, query: str) -> ColumnElement[bool]:
    """`search_vector` matches the user's search text (web-search syntax, Danish stemming)."""
    matches: ColumnElement[bool] = search_vector.op("@@")(_search_query(query))
    return matches


def search_rank(search_vector: Any, query: str) -> ColumnElement[Any]:
    """How well `search_vector` matches the search text (higher is better)."""
    return func.ts_rank(search_vector, _search_query(query))


def searched(statement: Select[*Ts], search_vector: Any, search: str | None, order: Sequence[Any]) -> Select[*Ts]:
    """`statement` in `order`; when `search` filters (`wants_search`), only the matches, best match first."""
    if not wants_search(search):
        return statement.order_by(*order)
    return statement.where(matches_search(search_vector, search)).order_by(
        search_rank(search_vector, search).desc(), *order
    )


def contains_text(column: Any, query: str) -> ColumnElement[bool]:
    """Case-insensitive substring match, for short names without a search vector (e.g. municipalities)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    contained: ColumnElement[bool] = column.ilike(f"%{escaped}%")
    return contained
