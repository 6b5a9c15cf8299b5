"""Target fulfilment (målopfyldelse), computed from a target and its latest result; never stored.

Pure functions over any objects with the target columns (`comparator`, `value`,
`value_max`, `partial_threshold`, `partial_fulfilment_pct`) and the result
column `value`, so they serve the API, reports and tests alike.

The rules:

- no result yet: NOT_YET_REPORTED;
- a result or target without a number (printed as text, e.g. "langt over 500"):
  NOT_ASSESSABLE, read the printed text and the paper's own fulfilment;
- the comparator decides MET: at_least (result >= value), at_most (<=), exactly (==),
  range (value <= result <= value_max; a missing bound is open);
- otherwise the target's partial rule ("half fulfilled at >= 50":
  `partial_threshold` 50, `partial_fulfilment_pct` 50) decides PARTLY_MET: the
  result lies between the threshold (inclusive) and the target, on the
  threshold's side of it;
- otherwise NOT_MET.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kkr.platform.models.enums import Comparator

HUNDRED = Decimal(100)
ZERO = Decimal(0)


class FulfilmentStatus(str, enum.Enum):
    met = "met"
    partly_met = "partly_met"
    not_met = "not_met"
    not_yet_reported = "not_yet_reported"
    not_assessable = "not_assessable"


@dataclass(frozen=True)
class Fulfilment:
    """The assessment of one target: status, the fulfilment in percent (None when unknown), and why."""

    status: FulfilmentStatus
    pct: Decimal | None
    explanation: str


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def comparator_of(target: Any) -> Comparator:
    """The target's comparator, from a model enum, a GraphQL enum or its database value."""
    raw = target.comparator
    return Comparator(getattr(raw, "value", raw))


def _bounds(target: Any) -> tuple[Decimal | None, Decimal | None]:
    """Lower and upper bound of the values that meet the target (None: open)."""
    comparator = comparator_of(target)
    value, value_max = _decimal(target.value), _decimal(target.value_max)
    if comparator is Comparator.at_least:
        return value, None
    if comparator is Comparator.at_most:
        return None, value
    if comparator is Comparator.exactly:
        return value, value
    return value, value_max


def is_met(target: Any, value: Decimal) -> bool:
    low, high = _bounds(target)
    return (low is None or value >= low) and (high is None or value <= high)


def is_partly_met(target: Any, value: Decimal) -> bool:
    """Between the partial threshold (inclusive) and the target, on the threshold's side of the target."""
    threshold = _decimal(target.partial_threshold)
    if threshold is None:
        return False
    low, high = _bounds(target)
    if low is not None and threshold <= low and threshold <= value < low:
        return True
    return high is not None and threshold >= high and high < value <= threshold


def partial_rule_problem(target: Any) -> str | None:
    """Why the target's partial threshold could never make it PARTLY_MET (see `is_partly_met`), or None.

    It must lie outside the values that meet the target: below the value for at_least, above
    it for at_most, either side of it for exactly, below `value` or above `value_max` for range.
    """
    threshold = _decimal(target.partial_threshold)
    if threshold is None:
        return None
    low, high = _bounds(target)
    if (low is not None and threshold < low) or (high is not None and threshold > high):
        return None
    if low is None and high is None:
        return "The target has no numeric value, so a partial threshold could never apply; leave it out."
    comparator, given = comparator_of(target), _fmt(threshold)
    if comparator is Comparator.at_least:
        need = f"below the value {_fmt(low)}"
    elif comparator is Comparator.at_most:
        need = f"above the value {_fmt(high)}"
    elif comparator is Comparator.exactly:
        need = f"below or above the value {_fmt(low)}"
    else:
        need = " or ".join(
            part
            for part in (
                f"below the value {_fmt(low)}" if low is not None else "",
                f"above the value max {_fmt(high)}" if high is not None else "",
            )
            if part
        )
    return (
        f"must be {need} for a target {_describe(target)}: a result of {given} already meets it,"
        " so the partial rule could never apply."
    )


def assess(target: Any, result: Any | None) -> Fulfilment:
    """The fulfilment of `target` given its latest `result` (None when nothing is reported yet)."""
    if result is None:
        return Fulfilment(FulfilmentStatus.not_yet_reported, None, "No result has been reported yet.")
    value = _decimal(result.value)
    if value is None:
        return Fulfilment(
            FulfilmentStatus.not_assessable, None, "The result is reported as text only; see the printed result."
        )
    low, high = _bounds(target)
    if low is None and high is None:
        return Fulfilment(FulfilmentStatus.not_assessable, None, "The target is not a number; see the printed target.")
    if is_met(target, value):
        return Fulfilment(FulfilmentStatus.met, HUNDRED, f"{_fmt(value)} meets the target {_describe(target)}.")
    if is_partly_met(target, value):
        pct = _decimal(target.partial_fulfilment_pct)
        worth = f" ({_fmt(pct)} % fulfilled)" if pct is not None else ""
        return Fulfilment(
            FulfilmentStatus.partly_met,
            pct,
            f"{_fmt(value)} reaches the partial threshold {_fmt(_decimal(target.partial_threshold))}{worth}"
            f" but not the target {_describe(target)}.",
        )
    return Fulfilment(FulfilmentStatus.not_met, ZERO, f"{_fmt(value)} does not meet the target {_describe(target)}.")


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return "?"
    normalised = value.normalize()
    return f"{normalised:f}" if normalised == normalised.to_integral() else str(normalised)


def _describe(target: Any) -> str:
    comparator = comparator_of(target)
    value, value_max = _decimal(target.value), _decimal(target.value_max)
    if comparator is Comparator.at_least:
        return f">= {_fmt(value)}"
    if comparator is Comparator.at_most:
        return f"<= {_fmt(value)}"
    if comparator is Comparator.exactly:
        return f"= {_fmt(value)}"
    return f"{_fmt(value)}-{_fmt(value_max)}"
