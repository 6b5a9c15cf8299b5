"""Columns shared by every target (national or contract-specific)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import enum_column
from .enums import Comparator, Unit


class TargetFields:
    """A target value for one period and segment, with its optional baseline.

    `value` is the target (the lower bound for a range); `value_max` the upper
    bound of a range.  `partial_threshold` is the value at which the target
    counts as partly met, and `partial_fulfilment_pct` what that is worth
    (e.g. "half fulfilled at >= 50").
    """

    period_label: Mapped[str] = mapped_column(String(64), doc="Period as printed, e.g. '2021' or '2019-Q3 2020'.")
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    unit: Mapped[Unit] = enum_column(Unit)
    comparator: Mapped[Comparator] = enum_column(Comparator, server_default=Comparator.at_least.value)
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    value_max: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    value_text: Mapped[str | None] = mapped_column(Text, doc="The target as printed when it is not a number.")
    segment: Mapped[str | None] = mapped_column(String(64), doc="Customer segment or course type (vækst, drift, ...).")
    baseline_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    baseline_period_label: Mapped[str | None] = mapped_column(String(64))
    partial_threshold: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    partial_fulfilment_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
