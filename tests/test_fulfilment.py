"""Target fulfilment (målopfyldelse): computed from a target and its latest result, following the
comparator and the target's partial rule.  Pure unit tests, no database."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from kkr.platform.models import Result, Target
from kkr.platform.models.enums import Comparator
from kkr.platform.services.fulfilment import (
    Fulfilment,
    FulfilmentStatus,
    Number,
    Reported,
    TargetRule,
    assess,
    is_met,
    is_partly_met,
    partial_rule_problem,
)
from kkr.schema.common import enums as graphql_enums

MET, PARTLY, NOT_MET = FulfilmentStatus.met, FulfilmentStatus.partly_met, FulfilmentStatus.not_met
NOT_YET, NOT_ASSESSABLE = FulfilmentStatus.not_yet_reported, FulfilmentStatus.not_assessable


T = TargetRule.of


def R(value: Number | None) -> Reported:
    """A reported result; None: printed as text only."""
    return Reported(None if value is None else Decimal(str(value)))


def status(target: TargetRule, value: Number | None) -> FulfilmentStatus:
    return assess(target, R(value)).status


@pytest.mark.parametrize(
    ("value", "expected"), [(599, NOT_MET), (600, MET), (601, MET), (Decimal("599.9999"), NOT_MET)]
)
def test_at_least(value: Number, expected: FulfilmentStatus) -> None:
    assert status(T(Comparator.at_least, 600), value) is expected


@pytest.mark.parametrize(("value", "expected"), [(599, MET), (600, MET), (601, NOT_MET), (0, MET)])
def test_at_most(value: Number, expected: FulfilmentStatus) -> None:
    assert status(T(Comparator.at_most, 600), value) is expected


@pytest.mark.parametrize(("value", "expected"), [(70, MET), (Decimal("70.0000"), MET), (69, NOT_MET), (71, NOT_MET)])
def test_exactly(value: Number, expected: FulfilmentStatus) -> None:
    assert status(T(Comparator.exactly, 70), value) is expected


@pytest.mark.parametrize(("value", "expected"), [(9, NOT_MET), (10, MET), (15, MET), (20, MET), (21, NOT_MET)])
def test_range_includes_both_bounds(value: Number, expected: FulfilmentStatus) -> None:
    assert status(T(Comparator.range, 10, value_max=20), value) is expected


def test_range_with_a_missing_bound_is_open_on_that_side() -> None:
    assert status(T(Comparator.range, 10, value_max=None), 1_000_000) is MET
    assert status(T(Comparator.range, None, value_max=20), -5) is MET
    assert status(T(Comparator.range, 10, value_max=None), 9) is NOT_MET


def test_half_fulfilled_at_a_threshold_below_an_at_least_target() -> None:
    # Nordjylland 2020, goal 1: NPS at least 60, "50 pct. opfyldt" at 50.
    target = T(Comparator.at_least, 60, partial_threshold=50, partial_fulfilment_pct=50)
    assert status(target, 72) is MET
    assert status(target, 60) is MET
    assert status(target, 59) is PARTLY
    assert status(target, 50) is PARTLY
    assert status(target, 49) is NOT_MET
    partly = assess(target, R(55))
    assert partly.pct == Decimal(50)
    assert "partial threshold 50" in partly.explanation and "(50 % fulfilled)" in partly.explanation


def test_partial_rule_of_an_at_most_target_lies_above_it() -> None:
    target = T(Comparator.at_most, 10, partial_threshold=15, partial_fulfilment_pct=25)
    assert status(target, 10) is MET
    assert status(target, 12) is PARTLY
    assert assess(target, R(15)).pct == Decimal(25)
    assert status(target, 16) is NOT_MET


def test_partial_rule_of_exactly_and_range_targets_applies_on_the_thresholds_side_only() -> None:
    below = T(Comparator.range, 10, value_max=20, partial_threshold=8, partial_fulfilment_pct=50)
    assert [status(below, v) for v in (7, 8, 9, 10, 20, 21)] == [NOT_MET, PARTLY, PARTLY, MET, MET, NOT_MET]
    above = T(Comparator.exactly, 100, partial_threshold=110, partial_fulfilment_pct=50)
    assert [status(above, v) for v in (99, 100, 105, 110, 111)] == [NOT_MET, MET, PARTLY, PARTLY, NOT_MET]


def test_a_threshold_on_the_wrong_side_of_the_target_never_applies() -> None:
    target = T(Comparator.at_least, 60, partial_threshold=70, partial_fulfilment_pct=50)
    assert status(target, 65) is MET
    assert status(target, 55) is NOT_MET
    assert not is_partly_met(target, Decimal(55))


def test_partly_met_without_a_printed_percentage_has_no_percentage() -> None:
    result = assess(T(Comparator.at_least, 60, partial_threshold=50), R(55))
    assert result.status is PARTLY and result.pct is None


def test_percentages_of_met_and_not_met() -> None:
    assert assess(T(Comparator.at_least, 1), R(1)).pct == Decimal(100)
    assert assess(T(Comparator.at_least, 1), R(0)).pct == Decimal(0)


def test_no_result_is_not_yet_reported() -> None:
    result = assess(T(Comparator.at_least, 600), None)
    assert result == Fulfilment(NOT_YET, None, "No result has been reported yet.")


def test_text_only_results_and_targets_are_not_assessable() -> None:
    # Nordjylland 2020, goal 3: "langt over 500" against at least 300 is a judgement, not a computation.
    assert status(T(Comparator.at_least, 300), None) is NOT_ASSESSABLE
    assert assess(T(Comparator.at_least, 300), R(None)).pct is None
    # A deliverable printed as text ("Code of Conduct udarbejdes i 2020") has no number to compare.
    assert status(T(Comparator.exactly, None), 1) is NOT_ASSESSABLE


def test_the_rules_take_plain_values_or_rows() -> None:
    assert status(T("at_most", 10), 5) is MET  # a comparator's database value, as a SQL row carries it
    row = Target(comparator=Comparator.at_least, value=Decimal(60), partial_threshold=Decimal(50))
    assert assess(row, Result(value=Decimal(55))).status is PARTLY
    assert assess(row, Result(value=None, value_text="langt over 60")).status is NOT_ASSESSABLE
    assert partial_rule_problem(
        Target(comparator=Comparator.at_least, value=Decimal(60), partial_threshold=Decimal(70))
    )


def test_graphql_objects_and_look_alikes_are_refused() -> None:
    graphql_like = SimpleNamespace(
        comparator=graphql_enums.Comparator.AT_MOST,
        value=10,
        value_max=None,
        partial_threshold=None,
        partial_fulfilment_pct=None,
    )
    with pytest.raises(TypeError, match="TargetRule or a target row"):
        assess(graphql_like, R(5))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Reported value or a Result row"):
        assess(T(Comparator.at_most, 10), SimpleNamespace(value=Decimal(5)))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        T(graphql_enums.Comparator.AT_MOST, 10)  # type: ignore[arg-type]


def test_numbers_of_any_type_compare_exactly() -> None:
    assert is_met(T(Comparator.at_least, Decimal("6.04")), Decimal("6.04"))
    assert not is_met(T(Comparator.at_least, Decimal("6.04")), Decimal("6.039"))
    assert status(T(Comparator.at_least, 2.6), "2.6") is MET  # floats go through str(), not binary


def test_explanations_print_plain_numbers() -> None:
    assert assess(T(Comparator.at_least, Decimal("600.0000")), R(Decimal("72.0000"))).explanation == (
        "72 does not meet the target >= 600."
    )
    assert assess(T(Comparator.range, Decimal("2.5"), value_max=Decimal("3.0")), R(Decimal("2.75"))).explanation == (
        "2.75 meets the target 2.5-3."
    )
