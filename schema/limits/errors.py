"""The error every refused limit answers with: a code naming the limit, the setting, its maximum and the
request's figure (docs/security.md, "Limits")."""

from __future__ import annotations

from graphql import GraphQLError

DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_ROOT_FIELDS = "TOO_MANY_ROOT_FIELDS"
TOO_MANY_REPEATED_FIELDS = "TOO_MANY_REPEATED_FIELDS"
TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
VARIABLES_TOO_LARGE = "VARIABLES_TOO_LARGE"
SEARCH_TOO_COMPLEX = "SEARCH_TOO_COMPLEX"
PAGE_TOO_LARGE = "PAGE_TOO_LARGE"


class LimitExceeded(GraphQLError):
    """A request over one of the query limits, refused before execution.

    `extensions` = {"code": <CODE>, "limit": <SETTING>, "max": <the setting's value>, "actual": <the request's
    figure, when known>}; the message names the limit and the setting."""

    def __init__(
        self, code: str, setting: str, maximum: int, actual: int | None, message: str, nodes: object = None
    ) -> None:
        extensions: dict[str, object] = {"code": code, "limit": setting, "max": maximum}
        if actual is not None:
            extensions["actual"] = actual
        super().__init__(message, nodes=nodes, extensions=extensions)  # type: ignore[arg-type]
