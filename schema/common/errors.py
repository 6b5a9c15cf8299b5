"""Conventions of every mutation: one input, a payload with the object and a typed `errors` list.

A mutation is refused as a whole: its transaction is rolled back and the payload
carries the object as null and one `MutationError` per problem, each naming the
input field by its path (e.g. ["input", "targets", 0, "value"]), a machine-readable
`code` and a message for people.  Calls without any `region:<slug>:write` scope are
refused before that with a GraphQL error (extensions.code FORBIDDEN).

`run_mutation()` does the plumbing: input object -> plain values (global IDs
decoded and checked against the expected type), one transaction with the
caller's tenant context, the service call, and errors -> `MutationError`s.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NewType, TypeVar

import strawberry
from sqlalchemy.exc import DBAPIError
from strawberry import UNSET, relay
from strawberry.types.base import has_object_definition
from strawberry.utils.str_converters import to_camel_case

from kkr.platform.services import errors as service_errors
from kkr.platform.services.errors import FieldError, ServiceError
from kkr.platform.services.store import database_error

from ..permissions import RegionalWrite

T = TypeVar("T")


class InvalidInput(ValueError):
    """A value the client sent cannot be used; the message is for the client (never masked)."""


FieldPath = NewType("FieldPath", list)
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


@strawberry.type(description="The outcome of a delete mutation.")
class DeletePayload:
    deleted_id: relay.GlobalID | None = strawberry.field(
        description="Global ID of the deleted object (null when the deletion was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the deletion was refused; empty on success.")


# --- input conventions ---------------------------------------------------------------------

ROW_VERSION = "The object's rowVersion as you last read it; a stale one is refused with STALE_VERSION."


def optional(description: str):
    """An input field that may be left out (then nothing changes, or the default applies)."""
    return strawberry.field(default=UNSET, description=description)


@strawberry.input(description="Provenance of a record: source document, place in it and a note.")
class SourcedInput:
    source_document: str | None = optional("Key of the source document, e.g. 'seed-002'.")
    source_locator: str | None = optional("Line range ('L240-332') or page ('p. 4') in the source document.")
    note: str | None = optional("A note on the record, e.g. a discrepancy in the source kept as printed.")


@strawberry.input(description="The object to delete, at the version you last read.")
class DeleteInput:
    id: relay.GlobalID = strawberry.field(description="The object to delete.")
    row_version: int = strawberry.field(description=ROW_VERSION)


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


#: Node types whose ids are slugs or codes; every other node id is a UUID.
KEYED_BY_TEXT = frozenset({"Region", "BusinessHub", "FrameworkAgreement", "Municipality"})


def decode_id(value: relay.GlobalID, expected: str, path: tuple[str | int, ...]) -> Any:
    """The database key of a global ID of the `expected` type, or a `ServiceError` naming the field.

    An id of another type, of no type at all, or with a key no `expected` can have (not a UUID, a NUL) gets
    one and the same message (INVALID), whatever type name it carries; a well-formed id of no visible row
    is NOT_FOUND (the service's answer)."""
    key = value.node_id
    valid = value.type_name == expected and key and "\x00" not in key
    if valid and expected in KEYED_BY_TEXT:
        return key
    try:
        if valid:
            return uuid.UUID(key)
    except ValueError:
        pass
    raise ServiceError.one(path, service_errors.ErrorCode.INVALID, f"This is not a valid {expected} id.")


def input_values(data: Any, ids: Mapping[str, str], path: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """The fields the caller sent (UNSET ones left out), by Python name, with global IDs decoded.

    `ids` maps an ID field's name to the GraphQL type its ids must be of (nested inputs included).
    """
    values: dict[str, Any] = {}
    for field in data.__strawberry_definition__.fields:
        value = getattr(data, field.python_name)
        if value is strawberry.UNSET:
            continue
        values[field.python_name] = _plain(value, field.python_name, ids, (*path, field.python_name))
    return values


def _plain(value: Any, name: str, ids: Mapping[str, str], path: tuple[str | int, ...]) -> Any:
    if isinstance(value, relay.GlobalID):
        return decode_id(value, ids[name], path)
    if isinstance(value, list):
        return [_plain(item, name, ids, (*path, i)) for i, item in enumerate(value)]
    if has_object_definition(value):
        return input_values(value, ids, path)
    if isinstance(value, enum.Enum):
        return value.value  # GraphQL enum members carry the model's value
    return value


Service = Callable[[Any, Any, Mapping[str, Any]], Awaitable[T]]


async def run_mutation(
    info: strawberry.Info, service: Service[T], data: Any, ids: Mapping[str, str]
) -> tuple[T | None, list[MutationError]]:
    """Call a service with the input's values in one transaction; (row, []) or (None, errors).

    Any error rolls the whole transaction back, so nothing is half-written.
    """
    try:
        values = input_values(data, ids)
        async with info.context.transaction() as session:
            row = await service(session, info.context.identity, values)
    except ServiceError as exc:
        return None, mutation_errors(exc.errors)
    except DBAPIError as exc:  # a constraint checked only at commit
        mapped = database_error(exc, {})
        if not isinstance(mapped, ServiceError):
            raise
        return None, mutation_errors(mapped.errors)
    return row, []


async def delete_mutation(info: strawberry.Info, service: Service[Any], data: Any, type_name: str) -> DeletePayload:
    """Run a delete service; the payload names the deleted object by its global ID."""
    row, errors = await run_mutation(info, service, data, {"id": type_name})
    deleted = relay.GlobalID(type_name, str(row.id)) if row is not None else None
    return DeletePayload(deleted_id=deleted, errors=errors)


def editor_mutation(description: str) -> Any:
    """A mutation field for a region's editors (needs a region:<slug>:write scope)."""
    return strawberry.mutation(description=description, permission_classes=[RegionalWrite])


def input_argument(description: str) -> Any:
    """The documented `input` argument of a mutation."""
    return strawberry.argument(description=description)
