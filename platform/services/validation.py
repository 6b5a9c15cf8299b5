"""Checks of mutation input: each field's rule, errors collected with their paths, and the `Input` a
service gets.

Each field of a GraphQL input declares its `Rule` where it is defined (`kkr.schema.common.inputs`);
the mutation pipeline (`kkr.schema.common.mutations`) applies them with `read()`, which turns the
caller's values into model column values and collects every problem (not just the first) as a
`FieldError` whose path names the input field.  On create, a missing required field is REQUIRED; on
update, only the fields the caller sent are read, and a required one may not be cleared.  The service
then gets an `Input` of plain values, adds the problems its business rules find, and raises them all.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..text import PROBLEM, unstorable
from .errors import ErrorCode, FieldError, Path, ServiceError


class Checker:
    """Collects the errors of one mutation's input; children share the list with a longer path."""

    def __init__(self, prefix: Path = (), errors: list[FieldError] | None = None) -> None:
        self.prefix = prefix
        self.errors: list[FieldError] = [] if errors is None else errors

    def child(self, *parts: str | int) -> Checker:
        return Checker(self.prefix + parts, self.errors)

    def path(self, *parts: str | int) -> Path:
        return self.prefix + parts

    def error(self, name: str | int | Path, code: ErrorCode, message: str) -> None:
        parts = name if isinstance(name, tuple) else (name,)
        self.errors.append(FieldError(self.prefix + parts, code, message))

    def has_error(self, *names: str | int) -> bool:
        """Whether one of these fields (of this checker) already has an error."""
        paths = {(*self.prefix, name) for name in names}
        return any(e.field in paths for e in self.errors)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ServiceError(self.errors)


class Rule:
    """How one input field is checked and which column it fills (default: the same name)."""

    required: bool = False
    column: str | None = None

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        return value


@dataclass
class Given(Rule):
    """Taken as sent (GraphQL has checked its type): a row version, a value the service checks itself."""

    required: bool = False
    column: str | None = None


@dataclass
class Text(Rule):
    required: bool = False
    max_length: int | None = None
    column: str | None = None

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        if not isinstance(value, str):
            check.error(name, ErrorCode.INVALID, "must be text.")
            return None
        value = value.strip()
        if not value:
            return None  # blank counts as absent (REQUIRED if required)
        if unstorable(value):
            check.error(name, ErrorCode.INVALID, f"{PROBLEM}.")
        if self.max_length is not None and len(value) > self.max_length:
            check.error(name, ErrorCode.INVALID, f"must be at most {self.max_length} characters (is {len(value)}).")
        return value


@dataclass
class TextList(Rule):
    max_length: int | None = None
    column: str | None = None
    required: bool = False

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        items = []
        for i, item in enumerate(value or ()):
            text = Text(max_length=self.max_length).convert(item, i, check.child(name)) if item is not None else None
            if text is None:
                check.error((name, i), ErrorCode.REQUIRED, "must not be empty.")
            else:
                items.append(text)
        return items


@dataclass
class Integer(Rule):
    minimum: int = -32768
    maximum: int = 32767
    required: bool = False
    column: str | None = None

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            check.error(name, ErrorCode.INVALID, "must be a whole number.")
            return None
        if not self.minimum <= value <= self.maximum:
            check.error(name, ErrorCode.INVALID, f"must be between {self.minimum} and {self.maximum} (is {value}).")
        return value


@dataclass
class Number(Rule):
    """A decimal that fits a NUMERIC(precision, scale) column, optionally within bounds."""

    precision: int = 18
    scale: int = 4
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    required: bool = False
    column: str | None = None

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value))
        except (InvalidOperation, ValueError):
            check.error(name, ErrorCode.INVALID, "must be a number.")
            return None
        if not number.is_finite():
            check.error(name, ErrorCode.INVALID, "must be a finite number.")
            return None
        limit = Decimal(10) ** (self.precision - self.scale)
        if abs(number) >= limit:
            check.error(name, ErrorCode.INVALID, f"must be less than {limit:,} in absolute value.")
        elif number != number.quantize(Decimal(1).scaleb(-self.scale), rounding="ROUND_HALF_EVEN"):
            check.error(name, ErrorCode.INVALID, f"may have at most {self.scale} decimals.")
        if self.minimum is not None and number < self.minimum:
            check.error(name, ErrorCode.INVALID, f"must be at least {self.minimum} (is {number}).")
        if self.maximum is not None and number > self.maximum:
            check.error(name, ErrorCode.INVALID, f"must be at most {self.maximum} (is {number}).")
        return number


def Percent(**kwargs: Any) -> Number:
    """A percentage 0-100 with two decimals (NUMERIC(5, 2))."""
    return Number(precision=5, scale=2, minimum=Decimal(0), maximum=Decimal(100), **kwargs)


@dataclass
class Choice(Rule):
    """One member of a model enum (its members, names and values are accepted).  Declared on a field of a
    GraphQL enum as `Choice()`, it gets the model enum that GraphQL enum mirrors."""

    enum_type: type[enum.Enum] = enum.Enum
    required: bool = False
    column: str | None = None

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        if isinstance(value, self.enum_type):
            return value
        for member in self.enum_type:
            if value in (member.value, member.name) or getattr(value, "value", None) == member.value:
                return member
        allowed = ", ".join(m.value for m in self.enum_type)
        check.error(name, ErrorCode.INVALID, f"must be one of {allowed}.")
        return None


@dataclass
class Date(Rule):
    required: bool = False
    column: str | None = None

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            check.error(name, ErrorCode.INVALID, "must be a date (YYYY-MM-DD).")
            return None
        return value


@dataclass
class Flag(Rule):
    required: bool = False
    column: str | None = None

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        if not isinstance(value, bool):
            check.error(name, ErrorCode.INVALID, "must be true or false.")
            return None
        return value


@dataclass
class Ref(Rule):
    """A reference to another row: a UUID (decoded from a global ID) or a key such as a slug."""

    key_type: type = uuid.UUID
    required: bool = False
    column: str | None = None
    max_length: int = 64

    def convert(self, value: Any, name: str | int, check: Checker) -> Any:
        if self.key_type is uuid.UUID and not isinstance(value, uuid.UUID):
            try:
                return uuid.UUID(str(value))
            except ValueError:
                check.error(name, ErrorCode.INVALID, "is not a valid id.")
                return None
        if self.key_type is str:
            return Text(max_length=self.max_length).convert(value, name, check)
        return value


def read(data: Mapping[str, Any], rules: Mapping[str, Rule], check: Checker, *, partial: bool) -> dict[str, Any]:
    """Column values from the caller's input.  `partial` (update): only the fields sent are read."""
    values: dict[str, Any] = {}
    for name, rule in rules.items():
        if name not in data:
            if not partial and rule.required:
                check.error(name, ErrorCode.REQUIRED, "is required.")
            elif not partial:
                values[rule.column or name] = [] if isinstance(rule, TextList) else None
            continue
        raw = data[name]
        value = None if raw is None else rule.convert(raw, name, check)
        if value is None and rule.required and (raw is None or isinstance(raw, str)):
            check.error(name, ErrorCode.REQUIRED, "is required and may not be empty.")
        values[rule.column or name] = value
    return values


def merged(row: Any, values: Mapping[str, Any], column: str) -> Any:
    """A column's value after an update: the new one if sent, else the row's current one."""
    return values[column] if column in values else getattr(row, column, None)


@dataclass
class Input:
    """A mutation's input after its fields' rules, as a service gets it: plain values, no GraphQL objects.

    `values` holds the editable fields' column values (on create every one, missing ones as None; on
    update only those sent), `sent` the names of the editable fields sent, `args` the other fields by
    name (the ids of the object or its parent, `row_version`, a status, nested inputs as lists of
    `Input`), and `check` the problems found so far: the service adds its own and raises them all.
    """

    values: dict[str, Any] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    sent: frozenset[str] = frozenset()
    check: Checker = field(default_factory=Checker)

    def get(self, name: str) -> Any:
        """A field that is not an editable column (None when it was left out)."""
        return self.args.get(name)

    def nested(self, name: str) -> list[Input]:
        """The nested inputs of a list field (e.g. a new indicator's `targets`), each checked with its path."""
        return list(self.args.get(name) or ())
