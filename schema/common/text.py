"""Danish ordering and full-text search in SQL.

`kkr_danish_sort_key(name)` (migrations/tenancy.py) is the Danish collation on
every server (Æ, Ø, Å after Z; "Aa" as "Å"); the name itself breaks ties.
Search uses the generated `search_vector` columns, built with the 'danish'
text-search configuration, and `websearch_to_tsquery` (quotes, OR, -word).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, literal_column

DANISH = literal_column("'danish'::regconfig")

#: How search arguments are documented in the SDL.
SEARCH_SYNTAX = 'Danish stemming; web-search syntax: "a phrase", OR, -word'


def danish_sort_key(column: Any) -> ColumnElement[Any]:
    """Order by Danish alphabetical order of `column`."""
    return func.kkr_danish_sort_key(column)


def wants_search(search: str | None) -> bool:
    """A search argument filters only when it holds more than white space ("" and "  " mean: no filter)."""
    return bool(search and not search.isspace())


def matches_search(search_vector: Any, query: str) -> ColumnElement[bool]:
    """`search_vector` matches the user's search text (web-search syntax, Danish stemming)."""
    return search_vector.op("@@")(func.websearch_to_tsquery(DANISH, query))


def contains_text(column: Any, query: str) -> ColumnElement[bool]:
    """Case-insensitive substring match, for short names without a search vector (e.g. municipalities)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%")
