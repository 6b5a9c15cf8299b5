"""Ministries' aggregates: the one service behind the GraphQL field `aggregate` and the HTTP exports
(`/aggregates.csv`, `/aggregates.json`).

Everything is computed in PostgreSQL by the SECURITY DEFINER function of migration 0009; this module
validates the request, calls the function once and turns its rows into `AggregateTable`.  No row of a
figure family ever reaches Python.

SQL function (for benchmarks and operators; the transaction needs the flag `aggregates:read` or
`benchmark:read`, i.e. ``SELECT set_config('kkr.flags', 'aggregates:read', true)``)::

    kkr_aggregate(
        p_family text,                      -- contract_targets | contract_results | benchmark_observations
                                            -- | municipality_figures
        p_group_by text[] = '{}',           -- up to 6 of: year, period, region, hub, urban_rural, goal_category,
                                            -- lineage, unit, segment, indicator (family permitting)
        p_filter jsonb = '{}',              -- {"<dimension>": ["value", ...]}, e.g. {"year": ["2020"]}
        p_subtotals text = 'rollup',        -- none | grand_total | rollup | cube
        p_measures text[] = '{count,sum,mean,median,min,max}',
        p_min_contributors integer = 3,     -- never below 2
        p_dominance_n integer[] = '{1,2}',  -- (n, k) rules: n largest contributors over k % of the sum
        p_dominance_k numeric[] = '{85,90}',
        p_protection_pct numeric = 10)      -- protection level p (0 < p <= 100)
    RETURNS TABLE (grouping_mask integer,   -- bit j-1 set: dimension j is a total
                   dimension_values text[], -- in p_group_by order; NULL for a total or for no value
                   contributors integer, value_count bigint, value_sum numeric, value_mean numeric,
                   value_median numeric, value_min numeric, value_max numeric,
                   suppressed boolean, reason text,  -- FEW_CONTRIBUTORS | DOMINANCE | SECONDARY
                   order_statistics_withheld boolean)

Example: ``SELECT * FROM kkr_aggregate('contract_results', '{region,year}', '{}', 'cube', '{count,sum,mean}')``.

The contract families read the fact table of migration 0008 (`kkr_facts.contract_target`, kept exact by
triggers at every write: no refresh).
Invalid arguments raise SQLSTATE 22023 with the argument in HINT.  The disclosure rules are described in
docs/benchmarking.md ("Ministries") and in the migration's docstring.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Integer, Numeric, Text

from ..models.enums import GoalCategory
from ..settings import Settings

E = TypeVar("E", bound=enum.Enum)


class Family(str, enum.Enum):
    CONTRACT_TARGETS = "contract_targets"
    CONTRACT_RESULTS = "contract_results"
    BENCHMARK_OBSERVATIONS = "benchmark_observations"
    MUNICIPALITY_FIGURES = "municipality_figures"


class Dimension(str, enum.Enum):
    YEAR = "year"
    PERIOD = "period"
    REGION = "region"
    HUB = "hub"
    URBAN_RURAL = "urban_rural"
    GOAL_CATEGORY = "goal_category"
    LINEAGE = "lineage"
    UNIT = "unit"
    SEGMENT = "segment"
    INDICATOR = "indicator"


class Measure(str, enum.Enum):
    COUNT = "count"
    SUM = "sum"
    MEAN = "mean"
    MEDIAN = "median"
    MIN = "min"
    MAX = "max"


class Subtotals(str, enum.Enum):
    NONE = "none"
    GRAND_TOTAL = "grand_total"
    ROLLUP = "rollup"
    CUBE = "cube"


#: Who contributes to a cell of each family (the disclosure rules count these).
CONTRIBUTORS: dict[Family, str] = {
    Family.CONTRACT_TARGETS: "business hubs",
    Family.CONTRACT_RESULTS: "business hubs",
    Family.BENCHMARK_OBSERVATIONS: "business hubs or regions",
    Family.MUNICIPALITY_FIGURES: "municipalities",
}

#: The filter field (GraphQL input field and HTTP parameter) of each dimension.
#: REGION, HUB and URBAN_RURAL select contributors and are never filters (group by them instead): the total
#: of all minus the total of all but one would be that one's figure.
FILTER_FIELDS: dict[Dimension, str] = {
    Dimension.YEAR: "years",
    Dimension.PERIOD: "periods",
    Dimension.GOAL_CATEGORY: "goalCategories",
    Dimension.LINEAGE: "lineages",
    Dimension.UNIT: "units",
    Dimension.SEGMENT: "segments",
    Dimension.INDICATOR: "indicators",
}

MAX_FILTER_VALUES = 200


class AggregateInputError(ValueError):
    """A bad argument; `argument` names it as in GraphQL (`groupBy`, `filter.regions`, ...)."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"Argument '{argument}': {message}")
        self.argument = argument
        self.detail = message


@dataclass(frozen=True)
class DisclosureRules:
    """The statistical disclosure control of every aggregate (settings DISCLOSURE_*)."""

    min_contributors: int
    dominance: tuple[tuple[int, float], ...]
    protection_pct: float

    @classmethod
    def from_settings(cls, settings: Settings) -> DisclosureRules:
        """The rules of the settings (their defaults are the settings' defaults)."""
        return cls(
            min_contributors=settings.disclosure_min_contributors,
            dominance=tuple((int(n), float(k)) for n, k in settings.disclosure_dominance),
            protection_pct=float(settings.disclosure_protection_pct),
        )


@dataclass(frozen=True)
class AggregateRequest:
    """One aggregate table asked for; `validate()` before running it."""

    family: Family
    group_by: tuple[Dimension, ...] = ()
    measures: tuple[Measure, ...] = tuple(Measure)
    subtotals: Subtotals = Subtotals.ROLLUP
    filter: Mapping[Dimension, tuple[str, ...]] = field(default_factory=dict)

    def validate(self) -> AggregateRequest:
        """The checks `kkr_aggregate` does not make (and why local goals are refused); every other argument rule is the function's own (migration
        0009: families, their dimensions, at most six of them, each once, measures, filter values), which
        refuses a bad argument with SQLSTATE 22023 naming it (`run_aggregate` turns that into an
        `AggregateInputError`)."""
        for dimension, values in self.filter.items():
            argument = f"filter.{FILTER_FIELDS[dimension]}"
            if len(values) > MAX_FILTER_VALUES:
                raise AggregateInputError(argument, f"at most {MAX_FILTER_VALUES} values.")
            if dimension is Dimension.GOAL_CATEGORY and "local" in values:
                # The function refuses it too ('unknown goal category'); this says why, for the caller.
                raise AggregateInputError(
                    argument, "local goals are not comparable and never aggregated; use NATIONAL or COMMON."
                )
        if (
            self.family in (Family.BENCHMARK_OBSERVATIONS, Family.MUNICIPALITY_FIGURES)
            and Dimension.INDICATOR not in self.group_by
            and Dimension.INDICATOR not in self.filter
        ):
            raise AggregateInputError(
                "filter.indicators",
                f"{self.family.name} mixes different figures: filter on indicators "
                "(e.g. 'population') or group by INDICATOR.",
            )
        return self


@dataclass(frozen=True)
class Cell:
    """One cell: `values` in group-by order (None for a total or no value), `totals` says which are totals."""

    values: tuple[str | None, ...]
    totals: tuple[bool, ...]
    contributors: int | None
    count: int | None
    sum: Decimal | None
    mean: Decimal | None
    median: Decimal | None
    min: Decimal | None
    max: Decimal | None
    suppressed: bool
    reason: str | None
    order_statistics_withheld: bool

    def measure(self, measure: Measure) -> Decimal | int | None:
        value: Decimal | int | None = getattr(self, measure.value)
        return value


@dataclass(frozen=True)
class AggregateTable:
    request: AggregateRequest
    rules: DisclosureRules
    cells: list[Cell]


_CALL = text(
    "SELECT * FROM kkr_aggregate(:family, :group_by, :filter, :subtotals, :measures, :min_contributors,"
    " :dominance_n, :dominance_k, :protection_pct)"
).bindparams(
    bindparam("group_by", type_=ARRAY(Text)),
    bindparam("filter", type_=JSONB),
    bindparam("measures", type_=ARRAY(Text)),
    bindparam("dominance_n", type_=ARRAY(Integer)),
    bindparam("dominance_k", type_=ARRAY(Numeric)),
    bindparam("protection_pct", type_=Numeric),
)


def _argument_of(hint: str | None) -> str:
    try:
        dimension = Dimension(hint)
    except ValueError:
        return hint or "filter"
    return f"filter.{FILTER_FIELDS[dimension]}" if dimension in FILTER_FIELDS else "filter"


async def run_aggregate(session: AsyncSession, request: AggregateRequest, rules: DisclosureRules) -> AggregateTable:
    """Validate `request` and compute its table in one call of `kkr_aggregate` (in `session`'s transaction)."""
    request.validate()
    parameters = {
        "family": request.family.value,
        "group_by": [d.value for d in request.group_by],
        "filter": {d.value: list(values) for d, values in request.filter.items()},
        "subtotals": request.subtotals.value,
        "measures": [m.value for m in request.measures],
        "min_contributors": rules.min_contributors,
        "dominance_n": [n for n, _ in rules.dominance],
        "dominance_k": [Decimal(str(k)) for _, k in rules.dominance],
        "protection_pct": Decimal(str(rules.protection_pct)),
    }
    try:
        async with session.begin_nested():
            rows = (await session.execute(_CALL, parameters)).all()
    except DBAPIError as exc:
        cause = getattr(exc.orig, "__cause__", None)
        if (getattr(exc.orig, "sqlstate", None) or getattr(cause, "sqlstate", None)) == "22023":
            message = getattr(cause, "message", None) or str(exc.orig)
            raise AggregateInputError(_argument_of(getattr(cause, "hint", None)), f"{message}.") from None
        raise
    d = len(request.group_by)
    cells = [
        Cell(
            values=tuple(r.dimension_values),
            totals=tuple(bool(r.grouping_mask >> j & 1) for j in range(d)),
            contributors=r.contributors,
            count=r.value_count,
            sum=r.value_sum,
            mean=r.value_mean,
            median=r.value_median,
            min=r.value_min,
            max=r.value_max,
            suppressed=r.suppressed,
            reason=r.reason,
            order_statistics_withheld=r.order_statistics_withheld,
        )
        for r in rows
    ]
    return AggregateTable(request=request, rules=rules, cells=cells)


def _enum_value(kind: type[E], argument: str, raw: str) -> E:
    for member in kind:
        if raw.strip().upper() == member.name or raw.strip().lower() == member.value:
            return member
    raise AggregateInputError(argument, f"unknown value '{raw[:40]}' (use {', '.join(m.name for m in kind)}).")


def _values(raw: Sequence[str]) -> list[str]:
    return [v.strip() for item in raw for v in item.split(",") if v.strip()]


#: The HTTP parameters (the GraphQL arguments, filter fields at top level), each its GraphQL argument name.
HTTP_PARAMETERS = {"family", "measures", "groupBy", "subtotals", *FILTER_FIELDS.values()}
_ENUM_FILTERS = {Dimension.GOAL_CATEGORY: tuple(c.value for c in GoalCategory)}


def request_from_query(params: Mapping[str, list[str]]) -> AggregateRequest:
    """The request of an export URL: the GraphQL arguments as query parameters, lists comma-separated or
    repeated, enum values by their GraphQL names (any case); filter fields (`years`, `regions`, ...) at top level."""
    unknown = sorted(set(params) - HTTP_PARAMETERS)
    if unknown:
        raise AggregateInputError(unknown[0], f"unknown parameter (use {', '.join(sorted(HTTP_PARAMETERS))}).")
    family = _values(params.get("family", []))
    if len(family) != 1:
        raise AggregateInputError("family", "give exactly one family, e.g. family=MUNICIPALITY_FIGURES.")
    filters: dict[Dimension, tuple[str, ...]] = {}
    for dimension, name in FILTER_FIELDS.items():
        if name in params:
            values = _values(params[name])
            if dimension in _ENUM_FILTERS:
                values = [v.lower() if v.lower() in _ENUM_FILTERS[dimension] else v for v in values]
                for v in values:
                    if v not in _ENUM_FILTERS[dimension]:
                        raise AggregateInputError(f"filter.{name}", f"unknown value '{v[:40]}'.")
            filters[dimension] = tuple(values)
    subtotals = _values(params.get("subtotals", []))
    if len(subtotals) > 1:
        raise AggregateInputError("subtotals", "give one value.")
    measures = _values(params.get("measures", []))
    return AggregateRequest(
        family=_enum_value(Family, "family", family[0]),
        group_by=tuple(_enum_value(Dimension, "groupBy", v) for v in _values(params.get("groupBy", []))),
        measures=tuple(_enum_value(Measure, "measures", v) for v in measures) if measures else tuple(Measure),
        subtotals=_enum_value(Subtotals, "subtotals", subtotals[0]) if subtotals else Subtotals.ROLLUP,
        filter=filters,
    )


def describe(request: AggregateRequest) -> str:
    """A one-line label of the table (JSON-stat `label`, logs)."""
    parts = [request.family.value] + [f"by {d.value}" for d in request.group_by]
    if request.filter:
        parts.append(json.dumps({d.value: list(v) for d, v in request.filter.items()}, ensure_ascii=False))
    return " ".join(parts)
