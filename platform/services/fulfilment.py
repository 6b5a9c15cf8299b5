"""Target fulfilment (målopfyldelse), computed from a target and its latest result; never stored.

Pure functions over plain values or models, never GraphQL objects: a target is a `TargetRule` (the five
columns the rules read: `comparator`, `value`, `value_max`, `partial_threshold`, `partial_fulfilment_pct`)
or a target row (`Target`, `NationalTarget`); a result is a `Reported` value or a `Result` row.  A caller
holding anything else (a GraphQL object, a SQL row) builds a `TargetRule` / `Reported` from its values.

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

from kkr.platform.models.contracts import Result
from kkr.platform.models.enums import Comparator
from kkr.platform.models.targets import TargetFields

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


Number = Decimal | int | float | str


def _decimal(value: Number | None) -> Decimal | None:
    """Exact: floats and strings go through `str()`, never binary."""
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class TargetRule:
    """What the rules read of a target, as plain values (`Comparator(stored_value)` for a stored string)."""

    comparator: Comparator
    value: Decimal | None = None
    value_max: Decimal | None = None
    partial_threshold: Decimal | None = None
    partial_fulfilment_pct: Decimal | None = None

    @classmethod
    def of(
        cls,
        comparator: Comparator | str,
        value: Number | None = None,
        value_max: Number | None = None,
        partial_threshold: Number | None = None,
        partial_fulfilment_pct: Number | None = None,
    ) -> TargetRule:
        """The rule of stored or typed-in values: a comparator's database value, numbers of any type."""
        return cls(
            Comparator(comparator),
            _decimal(value),
            _decimal(value_max),
            _decimal(partial_threshold),
            _decimal(partial_fulfilment_pct),
        )


@dataclass(frozen=True)
class Reported:
    """A reported result as a plain value: `value` None when it is printed as text only."""

    value: Decimal | None


AnyTarget = TargetRule | TargetFields
"""A target the rules take: its plain values, or a target row (`Target`, `NationalTarget`)."""


def rule_of(target: AnyTarget) -> TargetRule:
    """The plain values of `target`; anything but a `TargetRule` or a target row is refused (`TypeError`)."""
    if isinstance(target, TargetRule):
        return target
    if isinstance(target, TargetFields):
        return TargetRule.of(
            target.comparator, target.value, target.value_max, target.partial_threshold, target.partial_fulfilment_pct
        )
    raise TypeError(f"fulfilment rules take a TargetRule or a target row, not {type(target).__name__}")


def _reported(result: Reported | Result | None) -> Reported | None:
    if result is None or isinstance(result, Reported):
        return result
    if isinstance(result, Result):
        return Reported(result.value)
    raise TypeError(f"fulfilment rules take a Reported value or a Result row, not {type(result).__name__}")


def comparator_of(target: AnyTarget) -> Comparator:
    """The target's comparator (a model enum member)."""
    return rule_of(target).comparator


def _bounds(target: AnyTarget) -> tuple[Decimal | None, Decimal | None]:
    """Lower and upper bound of the values that meet the target (None: open)."""
    rule = rule_of(target)
    comparator, value, value_max = rule.comparator, rule.value, rule.value_max
    if comparator is Comparator.at_least:
        return value, None
    if comparator is Comparator.at_most:
        return None, value
    if comparator is Comparator.exactly:
        return value, value
    return value, value_max


def is_met(target: AnyTarget, value: Decimal) -> bool:
    low, high = _bounds(target)
    return (low is None or value >= low) and (high is None or value <= high)


def is_partly_met(target: AnyTarget, value: Decimal) -> bool:
    """Between the partial threshold (inclusive) and the target, on the threshold's side of the target."""
    threshold = rule_of(target).partial_threshold
    if threshold is None:
        return False
    low, high = _bounds(target)
    if low is not None and threshold <= low and threshold <= value < low:
        return True
    return high is not None and threshold >= high and high < value <= threshold


def partial_rule_problem(target: AnyTarget) -> str | None:
    """Why the target's partial threshold could never make it PARTLY_MET (see `is_partly_met`), or None.

    It must lie outside the values that meet the target: below the value for at_least, above
    it for at_most, either side of it for exactly, below `value` or above `value_max` for range.
    """
    threshold = rule_of(target).partial_threshold
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


def assess(target: AnyTarget, result: Reported | Result | None) -> Fulfilment:
    """The fulfilment of `target` given its latest `result` (None when nothing is reported yet)."""
    target = rule_of(target)
    reported = _reported(result)
    if reported is None:
        return Fulfilment(FulfilmentStatus.not_yet_reported, None, "No result has been reported yet.")
    value = reported.value
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
        pct = target.partial_fulfilment_pct
        worth = f" ({_fmt(pct)} % fulfilled)" if pct is not None else ""
        return Fulfilment(
            FulfilmentStatus.partly_met,
            pct,
            f"{_fmt(value)} reaches the partial threshold {_fmt(target.partial_threshold)}{worth}"
            f" but not the target {_describe(target)}.",
        )
    return Fulfilment(FulfilmentStatus.not_met, ZERO, f"{_fmt(value)} does not meet the target {_describe(target)}.")


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return "?"
    normalised = value.normalize()
    return f"{normalised:f}" if normalised == normalised.to_integral() else str(normalised)


def _describe(target: AnyTarget) -> str:
    rule = rule_of(target)
    comparator, value, value_max = rule.comparator, rule.value, rule.value_max
    if comparator is Comparator.at_least:
        return f">= {_fmt(value)}"
    if comparator is Comparator.at_most:
        return f"<= {_fmt(value)}"
    if comparator is Comparator.exactly:
        return f"= {_fmt(value)}"
    return f"{_fmt(value)}-{_fmt(value_max)}"
