"""Text PostgreSQL can store: no NUL character (U+0000) and no unpaired surrogates (which are no UTF-8).

One rule for every way text comes in: GraphQL variables and literals
(`kkr.schema.text_input`), mutation inputs (`services.validation.Text`), curated
files (`importer.records`) and the access log, which keeps what it can of such text.
"""

from __future__ import annotations

from typing import Any

PROBLEM = "text may not contain the NUL character (U+0000) or unpaired surrogates"
REPLACEMENT = "\ufffd"


def unstorable(text: str) -> bool:
    """True when PostgreSQL cannot store `text`."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def first_unstorable(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path to the first unstorable string (or mapping key) inside a JSON-like `value`, or None."""
    if isinstance(value, str):
        return path if unstorable(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and unstorable(key):
            return (*path, key)
        found = first_unstorable(item, (*path, key))
        if found is not None:
            return found
    return None


def storable(value: Any) -> Any:
    """`value` with every unstorable character replaced by U+FFFD (for logs that must keep what they can)."""
    if isinstance(value, str):
        if not unstorable(value):
            return value
        return "".join(REPLACEMENT if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
