"""KL's benchmarking across hubs (`benchmark:read`): the SQL of comparisons, series and the catalogue.

Every question is answered by one or two set-based statements (no per-hub or
per-year queries).  The building blocks:

- `members`: what a goal selector means (a goal lineage's members, or one national goal);
- `cf` (contract figures): targets of the latest visible version of published contracts (a newer draft
  version is invisible to KL, so the last published version counts), national
  and common goals only, with their latest result.  Row-level security (policies `benchmark_read`,
  migration 0002) already hides drafts and local goals from a `benchmark:read` transaction; the
  statement says so again, so no selector can reach them (a lineage member naming a local goal or
  a draft contract matches nothing);
- `nf` (national figures): the framework agreement's national targets of the selected national goals,
  with the years their period label covers ('2021-2023' covers 2021, 2022 and 2023);
- a hub's figures for a period (or a year) come from its published contract when that contract has
  targets for the goal there, otherwise from the framework agreement's national targets (target only,
  `target_source = 'framework_agreement'`).

Segments: `target.segment` joins `segment_spelling.printed` for the canonical segment (NULL when a
spelling is not mapped).  Normalisation: population of the area's municipalities in the figure's year
(`municipality_population`), complete only when every municipality of the area has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import TextClause, text

from ..models.contracts import LATEST_VERSION_SQL
from ..models.enums import GoalCategory
from .fulfilment import Fulfilment, FulfilmentStatus, Reported, TargetRule, assess

#: Units for which per-inhabitant and per-municipality figures make sense (additive quantities).
ADDITIVE_UNITS = frozenset({"count", "dkk"})

#: Upper-case letters `lower()` may not fold on a server without ICU (C locale).
_UPPER = "ÆØÅÄÖÜÉÈÊËÁÀÂÃÍÌÎÏÓÒÔÕÚÙÛÝÇÑ"
_LOWER = "æøåäöüéèêëáàâãíìîïóòôõúùûýçñ"


def fold(sql: str) -> str:
    """SQL for a case-insensitive form of `sql` that folds Danish letters on every server."""
    return f"lower(translate({sql}, '{_UPPER}', '{_LOWER}'))"


def period_year(period: str | None) -> int | None:
    """The year of a period label that is exactly a year ('2021'), else None."""
    return int(period) if period and re.fullmatch(r"\d{4}", period) else None


def _years(label: str) -> str:
    """SQL: first and last year a period label covers ('2019', '2021-2023', '2020-09')."""
    first = f"substring({label} from '^(\\d{{4}})')::int"
    last = f"substring({label} from '^\\d{{4}}\\s*[-–]\\s*(\\d{{4}})$')::int"
    return f"{first} AS y0, coalesce({last}, {first}) AS y1"


def selected(members: str, hub: str, year: str, code: str, national_goal: str, indicator: str, extra: str = "") -> str:
    """SQL: the contract goal (hub, year, printed code, national goal) and indicator belong to the selection.

    A contract goal named by a member (natural key) belongs as that member says (the whole goal, or one
    indicator); a goal no member names belongs through its national goal (the whole goal, or the indicator
    named as the national member's measure).
    """

    def match(m: str) -> str:
        return f"({m}.indicator_name IS NULL OR {fold(f'{m}.indicator_name')} = {fold(indicator)})"

    named = f"m.hub = {hub} AND m.contract_year = {year} AND m.goal_code = {code}{extra}"
    return f"""(EXISTS (SELECT 1 FROM {members} m WHERE {named} AND {match("m")})
         OR (NOT EXISTS (SELECT 1 FROM {members} m WHERE {named})
             AND EXISTS (SELECT 1 FROM {members} m WHERE m.national_goal_id = {national_goal}{extra}
                         AND {match("m")})))"""


MEMBERS = """
members AS (
    SELECT m.national_goal_id, m.business_hub_slug AS hub, m.contract_year, m.goal_code, m.indicator_name
    FROM goal_lineage_member m WHERE m.lineage_key = CAST(:lineage AS text)
    UNION ALL
    SELECT ng.id, NULL, NULL, NULL, NULL FROM national_goal ng
    WHERE ng.framework_agreement_slug = CAST(:agreement AS text) AND ng.code = CAST(:national_goal_code AS text)
)"""

#: SQL: what KL may compare, for a contract aliased `c` and its goal `g`: the latest visible version of a
#: published contract (a newer draft version is invisible to KL, so the last published version counts), and a
#: national or common goal (local goals are not comparable).
PUBLISHED_COMPARABLE = (
    f"kkr_contract_published(c.status, c.published) AND g.category <> '{GoalCategory.local.value}'"
    f" AND {LATEST_VERSION_SQL}"
)

CONTRACT_FIGURES = f"""
cf AS (
    SELECT c.business_hub_slug AS hub, c.year::int AS year, g.code AS goal_code, g.category::text AS category,
           g.title AS goal_title, ng.framework_agreement_slug AS agreement, ng.code AS national_goal_code,
           i.name AS measure, t.period_label, t.segment, t.unit::text AS unit, t.comparator::text AS comparator,
           t.value, t.value_max, t.value_text, t.partial_threshold, t.partial_fulfilment_pct,
           t.source_document_key, t.source_locator, lr.value AS result_value, lr.value_text AS result_text,
           lr.measured_at, 'contract'::text AS target_source, {_years("t.period_label")},
           g.position AS goal_position, i.position AS measure_position
    FROM result_contract c
    JOIN goal g ON g.tenant_id = c.tenant_id AND g.contract_id = c.id
    JOIN indicator i ON i.tenant_id = g.tenant_id AND i.goal_id = g.id
    JOIN target t ON t.tenant_id = i.tenant_id AND t.indicator_id = i.id
    LEFT JOIN national_goal ng ON ng.id = g.national_goal_id
    LEFT JOIN LATERAL (
        SELECT r.value, r.value_text, r.measured_at FROM result r
        WHERE r.tenant_id = t.tenant_id AND r.target_id = t.id ORDER BY r.revision DESC LIMIT 1
    ) lr ON true
    WHERE {PUBLISHED_COMPARABLE}
      AND {selected("members", "c.business_hub_slug", "c.year", "g.code", "g.national_goal_id", "i.name")}
)"""

NATIONAL_FIGURES = f"""
nf AS (
    SELECT ng.framework_agreement_slug AS agreement, ng.code AS national_goal_code, ng.title AS goal_title,
           nt.measure, nt.period_label, nt.segment, nt.unit::text AS unit, nt.comparator::text AS comparator,
           nt.value, nt.value_max, nt.value_text, nt.partial_threshold, nt.partial_fulfilment_pct,
           nt.source_document_key, nt.source_locator, {_years("nt.period_label")},
           ng.position AS goal_position
    FROM national_target nt JOIN national_goal ng ON ng.id = nt.national_goal_id
    WHERE EXISTS (SELECT 1 FROM members m WHERE m.national_goal_id = ng.id
                  AND (m.indicator_name IS NULL OR {fold("m.indicator_name")} = {fold("nt.measure")}))
)"""

#: Columns of a figure row (contract target or national target), in this order.
FIGURE_COLUMNS = (
    "hub, year, goal_code, category, goal_title, agreement, national_goal_code, measure, period_label, segment, unit,"
    " comparator, value, value_max, value_text, partial_threshold, partial_fulfilment_pct, source_document_key,"
    " source_locator, result_value, result_text, measured_at, target_source"
)
NATIONAL_AS_FIGURE = (
    "NULL::text, 'national'::text, nf.goal_title, nf.agreement, nf.national_goal_code, nf.measure, nf.period_label,"
    " nf.segment, nf.unit, nf.comparator, nf.value, nf.value_max, nf.value_text, nf.partial_threshold,"
    " nf.partial_fulfilment_pct, nf.source_document_key, nf.source_locator, NULL::numeric, NULL::text, NULL::date,"
    " 'framework_agreement'::text"
)

COVERS = "({alias}.period_label = CAST(:period AS text) OR CAST(:year AS int) BETWEEN {alias}.y0 AND {alias}.y1)"

SEGMENTED = """
fs AS (
    SELECT f.*, s.key AS segment_key, s.name AS segment_name,
           f.unit || '|' || coalesce(s.key, 'printed:' || f.segment, '') AS measure_key
    FROM fig f
    LEFT JOIN segment_spelling sp ON sp.printed = f.segment
    LEFT JOIN segment s ON s.key = sp.segment_key
    WHERE CAST(:segment AS text) IS NULL OR s.key = CAST(:segment AS text)
)"""


def _population(area: str, year: str) -> str:
    """SQL (a LATERAL subquery `pop`): municipalities of a hub (`area` a hub slug column), with population."""
    return f"""LEFT JOIN LATERAL (
        SELECT count(*) AS municipalities, count(p.population) AS with_population, sum(p.population) AS population
        FROM municipality mu
        LEFT JOIN municipality_population p ON p.municipality_code = mu.code AND p.year = {year}
        WHERE mu.business_hub_slug = {area}
    ) pop ON true"""


def _ranked(partition: str) -> str:
    """SQL: the rank of a row's result within `partition` (ties share a rank), higher first; lower first for
    at_most targets; NULL without a numeric result."""
    order = "CASE WHEN f.comparator = 'at_most' THEN -f.result_value ELSE f.result_value END DESC"
    return (
        f"CASE WHEN f.result_value IS NOT NULL THEN RANK() OVER (PARTITION BY {partition}, f.result_value IS NULL"
        f" ORDER BY {order}) END AS rank,"
        f" count(f.result_value) OVER (PARTITION BY {partition}) AS ranked"
    )


GRID_COLUMNS = """h.slug AS hub_slug, h.name AS hub_name, h.region_slug, f.year AS figure_year, f.goal_code, f.category,
    f.goal_title, f.agreement, f.national_goal_code, f.measure, f.period_label, f.segment, f.segment_key,
    f.segment_name, f.unit, f.comparator, f.value, f.value_max, f.value_text, f.partial_threshold,
    f.partial_fulfilment_pct, f.source_document_key, f.source_locator, f.result_value, f.result_text,
    f.measured_at, f.target_source, pop.municipalities, pop.with_population, pop.population,
    EXISTS (SELECT 1 FROM result_contract c WHERE c.business_hub_slug = h.slug AND c.year = {year}
            AND kkr_contract_published(c.status, c.published)) AS contract_published"""


def comparison_statement() -> TextClause:
    """Every hub x measure of one goal selector in one period (`:period`, `:year` its year if a year)."""
    return text(f"""
WITH {MEMBERS}, {CONTRACT_FIGURES}, {NATIONAL_FIGURES},
fig AS (
    SELECT {FIGURE_COLUMNS} FROM cf WHERE {COVERS.format(alias="cf")}
    UNION ALL
    SELECT h.slug, coalesce(CAST(:year AS int), nf.y0), {NATIONAL_AS_FIGURE}
    FROM business_hub h CROSS JOIN nf
    WHERE {COVERS.format(alias="nf")}
      AND NOT EXISTS (SELECT 1 FROM cf WHERE cf.hub = h.slug AND {COVERS.format(alias="cf")})
), {SEGMENTED},
measures AS (SELECT DISTINCT measure_key, unit, segment_key, segment_name,
                    CASE WHEN segment_key IS NULL THEN segment END AS unmapped_segment FROM fs),
grid AS (
    SELECT ms.measure_key AS grid_key, ms.unit AS grid_unit, ms.segment_key AS grid_segment_key,
           ms.segment_name AS grid_segment_name, ms.unmapped_segment AS grid_unmapped_segment, h.slug AS grid_hub
    FROM business_hub h LEFT JOIN measures ms ON true  -- every hub, even when nothing matches at all
)
SELECT gr.grid_key, gr.grid_unit, gr.grid_segment_key, gr.grid_segment_name, gr.grid_unmapped_segment,
       {GRID_COLUMNS.format(year="coalesce(f.year, CAST(:year AS int))")},
       {_ranked("gr.grid_key")}
FROM grid gr
JOIN business_hub h ON h.slug = gr.grid_hub
LEFT JOIN fs f ON f.hub = gr.grid_hub AND f.measure_key = gr.grid_key
{_population("h.slug", "coalesce(f.year, CAST(:year AS int))")}
ORDER BY gr.grid_unit, gr.grid_segment_key NULLS LAST, gr.grid_unmapped_segment NULLS FIRST, rank NULLS LAST,
         h.slug, f.measure, f.value
""")


def national_targets_statement() -> TextClause:
    """The framework agreement's targets of the selected national goals in one period (with segments)."""
    return text(f"""
WITH {MEMBERS}, {NATIONAL_FIGURES}
SELECT nf.agreement, nf.national_goal_code, nf.goal_title, nf.measure, nf.period_label, nf.segment, s.key AS segment_key,
       s.name AS segment_name, nf.unit, nf.comparator, nf.value, nf.value_max, nf.value_text,
       nf.source_document_key, nf.source_locator,
       nf.unit || '|' || coalesce(s.key, 'printed:' || nf.segment, '') AS measure_key
FROM nf
LEFT JOIN segment_spelling sp ON sp.printed = nf.segment
LEFT JOIN segment s ON s.key = sp.segment_key
WHERE {COVERS.format(alias="nf")} AND (CAST(:segment AS text) IS NULL OR s.key = CAST(:segment AS text))
ORDER BY nf.goal_position, nf.measure, nf.period_label, nf.segment
""")


def series_statement() -> TextClause:
    """One selector's figures for every hub (`:hubs`, NULL = all) and year (`:from_year`..`:to_year`)."""
    return text(f"""
WITH {MEMBERS}, {CONTRACT_FIGURES}, {NATIONAL_FIGURES},
fig AS (
    SELECT {FIGURE_COLUMNS} FROM cf
    UNION ALL
    SELECT h.slug, y.year, {NATIONAL_AS_FIGURE}
    FROM business_hub h CROSS JOIN nf CROSS JOIN LATERAL generate_series(nf.y0, nf.y1) AS y(year)
    WHERE NOT EXISTS (SELECT 1 FROM cf WHERE cf.hub = h.slug AND cf.year = y.year)
), {SEGMENTED},
years AS (
    SELECT DISTINCT year FROM fs
    UNION
    SELECT generate_series(extract(year FROM fa.valid_from)::int, extract(year FROM fa.valid_to)::int)
    FROM framework_agreement fa
    WHERE fa.slug IN (SELECT ng.framework_agreement_slug FROM national_goal ng JOIN members m ON m.national_goal_id = ng.id)
),
grid AS (
    SELECT h.slug AS grid_hub, y.year AS grid_year FROM business_hub h CROSS JOIN years y
    WHERE (CAST(:hubs AS text[]) IS NULL OR h.slug = ANY(CAST(:hubs AS text[])))
      AND (CAST(:from_year AS int) IS NULL OR y.year >= CAST(:from_year AS int))
      AND (CAST(:to_year AS int) IS NULL OR y.year <= CAST(:to_year AS int))
)
SELECT gr.grid_year, {GRID_COLUMNS.format(year="gr.grid_year")},
       {_ranked("gr.grid_year, f.measure_key")}
FROM grid gr
JOIN business_hub h ON h.slug = gr.grid_hub
LEFT JOIN fs f ON f.hub = gr.grid_hub AND f.year = gr.grid_year
{_population("h.slug", "gr.grid_year")}
ORDER BY h.slug, gr.grid_year, f.unit, f.segment_key NULLS FIRST, f.period_label, f.measure
""")


LINEAGE_STATEMENT = text("""
SELECT l.key, l.name, l.description, l.source_document_key, l.source_locator, l.note
FROM goal_lineage l WHERE l.key = :lineage
""")

NATIONAL_GOAL_STATEMENT = text("""
SELECT ng.framework_agreement_slug AS agreement, ng.code, ng.title, ng.description, ng.source_document_key,
       ng.source_locator, ng.note,
       (SELECT array_agg(m.lineage_key ORDER BY m.lineage_key) FROM goal_lineage_member m
        WHERE m.national_goal_id = ng.id) AS lineages
FROM national_goal ng WHERE ng.framework_agreement_slug = :agreement AND ng.code = :national_goal_code
""")


@dataclass(frozen=True)
class Normalised:
    """A figure divided by a denominator; `value` is None with `reason` when it cannot be computed."""

    value: Decimal | None
    reason: str | None


def _unnormalisable(
    value: Decimal | None, unit: str | None, municipalities: int | None, area: str
) -> Normalised | None:
    """Why `value` cannot be divided by anything of the area (None: it can)."""
    if value is None:
        return Normalised(None, "No numeric figure to normalise.")
    if unit not in ADDITIVE_UNITS:
        return Normalised(None, f"Not meaningful for the unit {unit}: only counts and amounts are normalised.")
    if not municipalities:
        return Normalised(None, f"{area} has no municipalities in the directory.")
    return None


def per_thousand(
    value: Decimal | None,
    unit: str | None,
    population: Any,
    municipalities: int | None,
    with_population: int | None,
    year: int | None,
    area: str,
) -> Normalised:
    """`value` per 1,000 inhabitants of the area's municipalities in `year` (all of them must have a population)."""
    if (refused := _unnormalisable(value, unit, municipalities, area)) is not None:
        return refused
    assert value is not None  # _unnormalisable refuses None
    if with_population != municipalities or not population:
        return Normalised(
            None,
            f"Population {year} is printed for {with_population or 0} of the {municipalities}"
            f" municipalities of {area}; the papers give no complete figure.",
        )
    return Normalised(round(Decimal(value) * 1000 / Decimal(population), 4), None)


def per_municipality(value: Decimal | None, unit: str | None, municipalities: int | None, area: str) -> Normalised:
    """`value` divided by the number of municipalities of the area."""
    if (refused := _unnormalisable(value, unit, municipalities, area)) is not None:
        return refused
    assert value is not None and municipalities  # _unnormalisable refuses None and no municipalities
    return Normalised(round(Decimal(value) / municipalities, 4), None)


def share_of_target(result: Decimal | None, target: Decimal | None, has_text_target: bool) -> Normalised:
    """The result in percent of the target value."""
    if result is None:
        return Normalised(None, "No numeric result has been reported.")
    if target is None:
        return Normalised(None, "The target is printed as text only." if has_text_target else "There is no target.")
    if target == 0:
        return Normalised(None, "The target is 0; a share of it is not defined.")
    return Normalised(round(Decimal(result) * 100 / Decimal(target), 2), None)


def fulfilment_of(row: Any) -> Fulfilment | None:
    """The fulfilment of a contract figure (a row of `comparison_statement`; rules of
    platform/services/fulfilment.py); None for a national target standing in for a hub without a published
    contract target."""
    if row.target_source != "contract":
        return None
    target = TargetRule.of(row.comparator, row.value, row.value_max, row.partial_threshold, row.partial_fulfilment_pct)
    return assess(target, None if row.result_value is None and row.result_text is None else Reported(row.result_value))


__all__ = [
    "ADDITIVE_UNITS",
    "LINEAGE_STATEMENT",
    "NATIONAL_GOAL_STATEMENT",
    "PUBLISHED_COMPARABLE",
    "Fulfilment",
    "FulfilmentStatus",
    "Normalised",
    "comparison_statement",
    "fold",
    "fulfilment_of",
    "national_targets_statement",
    "per_municipality",
    "per_thousand",
    "period_year",
    "selected",
    "series_statement",
    "share_of_target",
]
