"""Errors a mutation reports to its caller: which input field, what kind of problem, and a message.

Services raise `ServiceError` with one or more `FieldError`s; the transaction
around the mutation is rolled back and the GraphQL layer turns the errors into
the payload's `errors` list.  Field paths are relative to the mutation's input
and use the services' (snake_case) names, e.g. ("targets", 0, "value").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

PathPart = str | int
Path = tuple[PathPart, ...]


class ErrorCode(str, enum.Enum):
    """What went wrong, for a front-end to act on (the message is for people)."""

    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    DUPLICATE = "DUPLICATE"
    IN_USE = "IN_USE"
    STALE_VERSION = "STALE_VERSION"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONTRACT_LOCKED = "CONTRACT_LOCKED"
    CONTRACT_NOT_SIGNED = "CONTRACT_NOT_SIGNED"


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field."""

    field: Path
    code: ErrorCode
    message: str


class ServiceError(Exception):
    """A mutation was refused; nothing it did is kept."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{'.'.join(map(str, e.field))}: {e.code.value}: {e.message}" for e in self.errors))

    @classmethod
    def one(cls, field: Path | PathPart, code: ErrorCode, message: str) -> ServiceError:
        path = field if isinstance(field, tuple) else (field,)
        return cls([FieldError(path, code, message)])


def not_found(field: Path | PathPart, label: str) -> ServiceError:
    return ServiceError.one(field, ErrorCode.NOT_FOUND, f"No {label} with this id exists in a region you can see.")


def forbidden(field: Path | PathPart, region: str) -> ServiceError:
    return ServiceError.one(
        field,
        ErrorCode.FORBIDDEN,
        f"You may not change data of region '{region}' (needs the region:{region}:write scope).",
    )


def stale(field: Path | PathPart, label: str, current: int, given: int) -> ServiceError:
    return ServiceError.one(
        field,
        ErrorCode.STALE_VERSION,
        f"The {label} was changed by someone else meanwhile: its current version is {current}, yours is {given}."
        " Reload it and apply your change again.",
    )
