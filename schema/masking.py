"""Unexpected errors reach clients as "Internal server error." only; the details stay in the server log.

Errors meant for clients pass unchanged: GraphQL errors (validation, FORBIDDEN,
bad arguments), refused mutations (`ServiceError`) and bad values the schema
itself reports (`InvalidInput`, Strawberry's malformed global ids).  Anything
else, a database or driver error above all, but also a stray `ValueError` from
deep inside, could show SQL, parameters or internals, and is masked.  Strawberry logs
every error with its traceback before the mask applies.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.relay.types import GlobalIDValueError

from kkr.platform.services.errors import ServiceError

from .common.errors import InvalidInput

CLIENT_ERRORS = (GraphQLError, ServiceError, InvalidInput, GlobalIDValueError)


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, CLIENT_ERRORS)


def mask_unexpected_errors() -> MaskErrors:
    """A fresh extension per request (Strawberry calls this factory)."""
    return MaskErrors(should_mask_error=is_unexpected, error_message="Internal server error.")
