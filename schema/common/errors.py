"""The errors a client gets: `InvalidInput` for an unusable argument, `MutationError` in a payload.

A mutation is refused as a whole: its transaction is rolled back and the payload carries the
object as null and one `MutationError` per problem, each naming the input field by its path
(e.g. ["input", "targets", 0, "value"]), a machine-readable `code` and a message for people.
The pipeline that produces them is `schema/common/mutations.py`.
"""

from __future__ import annotations

import enum
from typing import Any, NewType

import strawberry
from strawberry.utils.str_converters import to_camel_case

from kkr.platform.services.errors import FieldError


class InvalidInput(ValueError):
    """A value the client sent cannot be used; the message is for the client (never masked)."""


FieldPath = NewType("FieldPath", list[Any])
FieldPath._scalar_definition = strawberry.scalar(  # type: ignore[attr-defined]
    name="FieldPath",
    description='Path to an input field: argument and field names and list indices, e.g. ["input", "targets", 0, "value"].',
    serialize=list,
    parse_value=list,
)


@strawberry.enum(description="Kind of problem with a mutation, for a front-end to act on.")
class ErrorCode(enum.Enum):
    REQUIRED = strawberry.enum_value("REQUIRED", description="A required value is missing or empty.")
    INVALID = strawberry.enum_value("INVALID", description="The value is not allowed (format, range, combination).")
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="No object with this id exists in a region the caller can see."
    )
    FORBIDDEN = strawberry.enum_value(
        "FORBIDDEN", description="The caller may not change this region's data (needs region:<slug>:write)."
    )
    DUPLICATE = strawberry.enum_value("DUPLICATE", description="Another object already has this unique value.")
    IN_USE = strawberry.enum_value("IN_USE", description="The object is still referred to or has reported results.")
    STALE_VERSION = strawberry.enum_value(
        "STALE_VERSION", description="Someone changed the object since it was read; reload it and try again."
    )
    INVALID_TRANSITION = strawberry.enum_value(
        "INVALID_TRANSITION", description="The status change is not allowed (draft → adopted → signed → reported)."
    )
    CONTRACT_LOCKED = strawberry.enum_value(
        "CONTRACT_LOCKED",
        description="The contract is signed, reported or superseded; create a new version to change it.",
    )
    CONTRACT_NOT_SIGNED = strawberry.enum_value(
        "CONTRACT_NOT_SIGNED", description="Results can be reported only once the contract is signed."
    )


@strawberry.type(description="Why a mutation was refused: which input field, what kind of problem, and a message.")
class MutationError:
    field: FieldPath = strawberry.field(
        description='Path of the input field at fault, e.g. ["input", "targets", 0, "value"].'
    )
    code: ErrorCode = strawberry.field(description="Kind of problem, for the front-end to act on.")
    message: str = strawberry.field(description="What is wrong, in a sentence a person can act on.")


def mutation_errors(errors: list[FieldError], argument: str = "input") -> list[MutationError]:
    """Service errors as GraphQL errors with paths in the schema's (camelCase) names."""
    return [
        MutationError(
            field=FieldPath([argument, *(to_camel_case(p) if isinstance(p, str) else p for p in e.field)]),
            code=ErrorCode(e.code.value),
            message=e.message,
        )
        for e in errors
    ]
