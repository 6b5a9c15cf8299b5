"""The limits checked before a document is parsed or while it is parsed: its size, its tokens, and the
size of the request's variables.  `parse_document` is the one parser of request documents: the HTTP layer
(platform/graphql_http.py) parses with it and hands the document on to Strawberry (`QueryLimits`).

Parsed documents are remembered per process (`document_cache_chars` characters of text, least recently used
go first), keyed by the text and the limits it was parsed within, so a repeated document is parsed once.
The same DocumentNode is then shared by every request that sends that text: nothing may change it
(graphql-core's nodes hold tuples; no code here assigns to a node)."""

from __future__ import annotations

import json
import threading
from typing import Any

from cachetools import LRUCache
from graphql import DocumentNode, GraphQLSyntaxError
from graphql.language.parser import Parser, nested_too_deeply_error

from kkr.platform.settings import Settings

from .errors import DOCUMENT_TOO_LARGE, TOO_MANY_TOKENS, VARIABLES_TOO_LARGE, LimitExceeded


class DocumentCache:
    """Least recently used documents, bounded by the characters of their text; safe to share between
    threads (a test's server runs in a thread of the test process)."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self._entries: LRUCache[Any, tuple[int, DocumentNode]] = LRUCache(max_chars, getsizeof=lambda v: v[0])
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any) -> DocumentNode | None:
        with self._lock:
            found = self._entries.get(key)
        return found[1] if found is not None else None

    def keep(self, key: Any, text: str, document: DocumentNode) -> None:
        """Remember `document` under `key`, counted as `text`'s length (a text longer than the cache: not kept)."""
        if len(text) <= self.max_chars:
            with self._lock:
                self._entries[key] = (len(text) or 1, document)


_parsed: DocumentCache | None = None


def document_cache(settings: Settings) -> DocumentCache | None:
    """This process's document cache (sized by the first settings that ask), None when turned off."""
    global _parsed
    if settings.document_cache_chars <= 0:
        return None
    if _parsed is None:
        _parsed = DocumentCache(settings.document_cache_chars)
    return _parsed


def parse_document(query: str, settings: Settings) -> DocumentNode:
    """`query` parsed, or LimitExceeded when it is longer than MAX_DOCUMENT_CHARS (refused before parsing) or
    has more than MAX_TOKENS tokens (parsing stops at the first one over: graphql-core's `max_tokens`, which
    counts comments too); GraphQLSyntaxError for other syntax errors.  Only parsed documents are remembered."""
    cache = document_cache(settings)
    key = (query, settings.max_document_chars, settings.max_tokens)
    found = cache.get(key) if cache is not None else None
    if found is not None:
        return found
    document = _parse(query, settings)
    if cache is not None:
        cache.keep(key, query, document)
    return document


def _parse(query: str, settings: Settings) -> DocumentNode:
    limit = settings.max_document_chars
    if len(query) > limit:
        raise LimitExceeded(
            DOCUMENT_TOO_LARGE,
            "MAX_DOCUMENT_CHARS",
            limit,
            len(query),
            f"The document is {len(query)} characters long, longer than the limit of {limit} "
            "(setting MAX_DOCUMENT_CHARS).",
        )
    parser = Parser(query, max_tokens=settings.max_tokens)
    try:
        return parser.parse_document()
    except GraphQLSyntaxError as error:
        # graphql-core's own words: its lexer may stop inside a run of comments, before the parser counted them.
        if error.message.startswith(f"Syntax Error: Document contains more than {settings.max_tokens} tokens."):
            raise LimitExceeded(
                TOO_MANY_TOKENS,
                "MAX_TOKENS",
                settings.max_tokens,
                None,
                f"The document has more than {settings.max_tokens} tokens, the limit (setting "
                "MAX_TOKENS); parsing stopped there.",
            ) from None
        raise
    except RecursionError:
        pass
    raise nested_too_deeply_error(parser)


def variables_size(variables: dict[str, Any] | None) -> int:
    """Bytes of `variables` as compact JSON (UTF-8)."""
    if not variables:
        return 0
    return len(json.dumps(variables, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))


def check_variables(variables: dict[str, Any] | None, settings: Settings) -> None:
    """LimitExceeded when `variables` are larger than MAX_VARIABLES_BYTES."""
    size = variables_size(variables)
    limit = settings.max_variables_bytes
    if size > limit:
        raise LimitExceeded(
            VARIABLES_TOO_LARGE,
            "MAX_VARIABLES_BYTES",
            limit,
            size,
            f"The variables are {size} bytes of JSON, larger than the limit of {limit} bytes "
            "(setting MAX_VARIABLES_BYTES).",
        )
