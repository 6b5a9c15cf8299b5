"""Scalar overrides: decimals as plain numerals ("81", "6.04"), never "81.0000"; documented UUIDs."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry

from .errors import InvalidInput


def plain_decimal(value: Decimal) -> str:
    """The shortest exact numeral: Numeric(18, 4) "600.0000" becomes "600", "6.0400" becomes "6.04"."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def parse_decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"Value cannot represent a Decimal: {value!r}") from None


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number as a string with \'.\' as the decimal point, e.g. "6.04" or "600".',
    serialize=plain_decimal,
    parse_value=parse_decimal,
)


def parse_uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(f"Value cannot represent a UUID: {value!r}") from None


UUIDScalar = strawberry.scalar(
    name="UUID",
    description="A database row id (RFC 4122 UUID), e.g. in the audit trail; objects are fetched by their global `id`.",
    serialize=str,
    parse_value=parse_uuid,
)

#: For `StrawberryConfig(scalar_map=...)`.
SCALAR_MAP: dict[object, Any] = {Decimal: DecimalScalar, uuid.UUID: UUIDScalar}
