"""Scalar overrides: decimals as plain Danish-neutral numerals ("81", "6.04"), never "81.0000"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry


def plain_decimal(value: Decimal) -> str:
    """The shortest exact numeral: Numeric(18, 4) "600.0000" becomes "600", "6.0400" becomes "6.04"."""
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def parse_decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"Value cannot represent a Decimal: {value!r}") from None


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description="An exact decimal number as a string with '.' as the decimal point, e.g. \"6.04\" or \"600\".",
    serialize=plain_decimal,
    parse_value=parse_decimal,
)

#: For `StrawberryConfig(scalar_map=...)`.
SCALAR_MAP: dict[object, Any] = {Decimal: DecimalScalar}
