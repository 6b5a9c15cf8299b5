"""Reading the target columns shared by national and contract targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models.enums import Comparator, Unit
from ..services.fulfilment import TargetRule, partial_rule_problem
from .records import Reader, year_bounds


def read_target_fields(t: Reader, segments: Mapping[str, str]) -> dict[str, Any]:
    """The target columns of a curated target; its segment must be a known printed spelling."""
    period = t.text("period", max_length=64)
    start, end = year_bounds(period)
    comparator = t.choice("comparator", Comparator, default=Comparator.at_least)
    values: dict[str, Any] = {
        "period_label": period,
        "period_start": t.date("period_start") or start,
        "period_end": t.date("period_end") or end,
        "unit": t.choice("unit", Unit),
        "comparator": comparator,
        "value": t.number("value"),
        "value_max": t.number("value_max"),
        "value_text": t.text("value_text", required=False),
        "segment": t.text("segment", required=False, max_length=64),
        "baseline_value": None,
        "baseline_period_label": None,
        "partial_threshold": None,
        "partial_fulfilment_pct": None,
    }
    segment = values["segment"]
    if segment and segment not in segments:
        t.error(
            "segment",
            f"{segment!r} is not a printed spelling of any segment in national/segments.yaml"
            " (add it to the spellings of its canonical segment)",
        )
    if values["value"] is None and values["value_text"] is None and values["unit"] is not Unit.deliverable:
        t.error("value", "a target needs a value, or value_text for a target that is not a number")
    if comparator is Comparator.range and values["value_max"] is None:
        t.error("value_max", "is required when comparator is range")
    if t.present("baseline"):
        b = t.part("baseline", t.raw("baseline"))
        values["baseline_value"] = b.number("value")
        values["baseline_period_label"] = b.text("period", required=False, max_length=64)
        b.done()
    else:
        t.raw("baseline")
    if t.present("partial"):
        p = t.part("partial", t.raw("partial"))
        values["partial_threshold"] = p.number("threshold", required=True)
        values["partial_fulfilment_pct"] = p.number("fulfilment_pct", required=True)
        if values["comparator"] is not None and (
            problem := partial_rule_problem(
                TargetRule.of(
                    values["comparator"],
                    values["value"],
                    values["value_max"],
                    values["partial_threshold"],
                    values["partial_fulfilment_pct"],
                )
            )
        ):
            p.error("threshold", problem)
        p.done()
    else:
        t.raw("partial")
    return values
