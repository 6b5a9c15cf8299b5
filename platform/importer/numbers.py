"""Numbers as the papers print them: Danish format, "1.445.162" and "6,04"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_DANISH = re.compile(r"^[+\-−]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


def parse_danish_number(raw: str) -> Decimal:
    """Parse a number written in Danish format.

    "." separates thousands (only in groups of three), "," is the decimal
    comma, and a leading minus may be the typographic "−".  Anything else,
    including an English "6.04", is refused with ValueError rather than guessed.
    """
    text = raw.strip()
    if not _DANISH.match(text):
        raise ValueError(f"{raw!r} is not a number in Danish format (e.g. '1.445.162' or '6,04')")
    text = text.replace("−", "-").replace(".", "").replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guards this
        raise ValueError(f"{raw!r} is not a number") from exc
