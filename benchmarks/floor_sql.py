"""The floors' statements: each workload's whole JSON answer (`{"data": ...}`) built by one SQL statement.

They restate what the platform computes (orders of the loaders, the latest-version rule, fulfilment of
platform/services/fulfilment.py, `plain_decimal`), so that `http_load.py` can check that they answer the
same; the platform's own statements are left as they are (these are a yardstick, not a second source).
"""

from __future__ import annotations

import re

from kkr.platform.services import benchmarking

WRITE_TARGETS = 2000  # targets W4 rotates over (fewer collisions between concurrent writers)


def dec(sql: str) -> str:
    """`plain_decimal` in SQL: the shortest exact numeral as text ("600.0000" -> "600")."""
    return f"trim_scale({sql})::text"


def _upper(sql: str) -> str:
    return f"upper(({sql})::text)"


# fulfilment (platform/services/fulfilment.py), over t (target), lr (latest result or NULLs), b (bounds)
_DESCRIBE = """CASE t.comparator WHEN 'at_least' THEN '>= ' || coalesce(trim_scale(t.value)::text, '?')
    WHEN 'at_most' THEN '<= ' || coalesce(trim_scale(t.value)::text, '?')
    WHEN 'exactly' THEN '= ' || coalesce(trim_scale(t.value)::text, '?')
    ELSE coalesce(trim_scale(t.value)::text, '?') || '-' || coalesce(trim_scale(t.value_max)::text, '?') END"""
_BOUNDS = """SELECT CASE WHEN t.comparator IN ('at_least', 'exactly', 'range') THEN t.value END AS low,
                CASE t.comparator WHEN 'at_most' THEN t.value WHEN 'exactly' THEN t.value
                                  WHEN 'range' THEN t.value_max END AS high"""
_MET = "((b.low IS NULL OR lr.value >= b.low) AND (b.high IS NULL OR lr.value <= b.high))"
_PARTLY = """(t.partial_threshold IS NOT NULL AND (
    (b.low IS NOT NULL AND t.partial_threshold <= b.low AND t.partial_threshold <= lr.value AND lr.value < b.low)
    OR (b.high IS NOT NULL AND t.partial_threshold >= b.high AND b.high < lr.value
        AND lr.value <= t.partial_threshold)))"""
_STATUS = f"""CASE WHEN NOT lr.found THEN 'not_yet_reported' WHEN lr.value IS NULL THEN 'not_assessable'
    WHEN b.low IS NULL AND b.high IS NULL THEN 'not_assessable' WHEN {_MET} THEN 'met'
    WHEN {_PARTLY} THEN 'partly_met' ELSE 'not_met' END"""
_FULFILMENT = f"""json_build_object('status', upper(f.status),
    'pct', CASE f.status WHEN 'met' THEN '100' WHEN 'not_met' THEN '0'
                         WHEN 'partly_met' THEN trim_scale(t.partial_fulfilment_pct)::text END,
    'explanation', CASE f.status
        WHEN 'not_yet_reported' THEN 'No result has been reported yet.'
        WHEN 'not_assessable' THEN CASE WHEN lr.value IS NULL
            THEN 'The result is reported as text only; see the printed result.'
            ELSE 'The target is not a number; see the printed target.' END
        WHEN 'met' THEN trim_scale(lr.value)::text || ' meets the target ' || {_DESCRIBE} || '.'
        WHEN 'partly_met' THEN trim_scale(lr.value)::text || ' reaches the partial threshold '
            || trim_scale(t.partial_threshold)::text
            || coalesce(' (' || trim_scale(t.partial_fulfilment_pct)::text || ' % fulfilled)', '')
            || ' but not the target ' || {_DESCRIBE} || '.'
        ELSE trim_scale(lr.value)::text || ' does not meet the target ' || {_DESCRIBE} || '.' END)"""

#: every target of the region's contracts with its latest result and fulfilment status (one pass)
_TARGETS = f"""tf AS (
    SELECT t.*, g.contract_id, lr.found, lr.value AS r_value, lr.value_text AS r_text, lr.measured_at AS r_at,
           lr.revision AS r_revision, f.status,
           json_build_object('periodLabel', t.period_label, 'unit', upper(t.unit::text),
               'comparator', upper(t.comparator::text), 'value', {dec("t.value")}, 'valueMax', {dec("t.value_max")},
               'valueText', t.value_text, 'partialThreshold', {dec("t.partial_threshold")},
               'partialFulfilmentPct', {dec("t.partial_fulfilment_pct")},
               'latestResult', CASE WHEN lr.found THEN json_build_object('value', {dec("lr.value")},
                   'valueText', lr.value_text, 'measuredAt', lr.measured_at, 'revision', lr.revision) END,
               'fulfilment', {_FULFILMENT}) AS doc
    FROM contracts c
    JOIN goal g ON g.tenant_id = c.tenant_id AND g.contract_id = c.id
    JOIN indicator i ON i.tenant_id = g.tenant_id AND i.goal_id = g.id
    JOIN target t ON t.tenant_id = i.tenant_id AND t.indicator_id = i.id
    LEFT JOIN LATERAL (
        SELECT true AS found, r.value, r.value_text, r.measured_at, r.revision FROM result r
        WHERE r.tenant_id = t.tenant_id AND r.target_id = t.id
        ORDER BY r.revision DESC, r.recorded_at DESC, r.id DESC LIMIT 1) lr0 ON true
    CROSS JOIN LATERAL (SELECT coalesce(lr0.found, false) AS found, lr0.value, lr0.value_text, lr0.measured_at,
                               lr0.revision) lr
    CROSS JOIN LATERAL ({_BOUNDS}) b
    CROSS JOIN LATERAL (SELECT {_STATUS} AS status) f
)"""


def _summary(where: str) -> str:
    return f"""(SELECT json_build_object('targets', count(*), 'met', count(*) FILTER (WHERE s.status = 'met'),
        'partlyMet', count(*) FILTER (WHERE s.status = 'partly_met'),
        'notMet', count(*) FILTER (WHERE s.status = 'not_met'),
        'notYetReported', count(*) FILTER (WHERE s.status = 'not_yet_reported'),
        'notAssessable', count(*) FILTER (WHERE s.status = 'not_assessable')) FROM tf s WHERE {where})"""


#: W1: frontend-contract/operations/regional/Dashboard.graphql; $1 region slug, $2 year (NULL: all years).
DASHBOARD = f"""
WITH contracts AS (
    SELECT c.* FROM result_contract c
    WHERE c.tenant_id = $1::text AND ($2::int IS NULL OR c.year = $2::int)
      AND NOT EXISTS (SELECT 1 FROM result_contract n WHERE n.tenant_id = c.tenant_id
                      AND n.business_hub_slug = c.business_hub_slug AND n.year = c.year AND n.version > c.version)
), {_TARGETS}
SELECT json_build_object('data', json_build_object('region', (
  SELECT json_build_object('name', r.name, 'kkrName', r.kkr_name,
    'businessHubs', json_build_object('nodes', (
        SELECT coalesce(json_agg(json_build_object('name', h.name, 'offices', (
            SELECT json_build_object('totalCount', count(*), 'nodes', coalesce(json_agg(
                json_build_object('kind', upper(o.kind::text), 'town', o.town)
                ORDER BY o.kind <> 'head_office', kkr_danish_sort_key(o.town), o.id), '[]'))
            FROM hub_office o WHERE o.business_hub_slug = h.slug))
          ORDER BY kkr_danish_sort_key(h.name), h.slug), '[]')
        FROM business_hub h WHERE h.region_slug = r.slug)),
    'resultContracts', (
        SELECT json_build_object('totalCount', count(*), 'nodes', coalesce(json_agg(json_build_object(
            'id', encode(convert_to('ResultContract:' || c.id, 'UTF8'), 'base64'), 'year', c.year,
            'version', c.version, 'title', c.title, 'status', upper(c.status::text),
            'reportedFulfilmentPct', {dec("c.reported_fulfilment_pct")},
            'businessHub', json_build_object('slug', c.business_hub_slug),
            'fulfilmentSummary', {_summary("s.contract_id = c.id")},
            'goals', (SELECT json_build_object('totalCount', count(*), 'nodes', coalesce(json_agg(json_build_object(
                'code', g.code, 'category', upper(g.category::text), 'title', g.title,
                'reportedFulfilmentPct', {dec("g.reported_fulfilment_pct")},
                'source', json_build_object('documentKey', g.source_document_key, 'locator', g.source_locator),
                'indicators', json_build_object('nodes', (
                    SELECT coalesce(json_agg(json_build_object('name', i.name, 'targets', json_build_object('nodes', (
                        SELECT coalesce(json_agg(t.doc ORDER BY t.period_start, t.period_label, t.segment, t.id), '[]')
                        FROM tf t WHERE t.indicator_id = i.id AND t.tenant_id = i.tenant_id)))
                      ORDER BY i.position, i.id), '[]')
                    FROM indicator i WHERE i.tenant_id = g.tenant_id AND i.goal_id = g.id)))
              ORDER BY g.position, g.code, g.id), '[]'))
              FROM goal g WHERE g.tenant_id = c.tenant_id AND g.contract_id = c.id))
          ORDER BY c.year DESC, c.business_hub_slug, c.version DESC), '[]'))
        FROM contracts c))
  FROM region r WHERE r.slug = $1::text)))::text
"""


def _positional(sql: str, names: list[str]) -> str:
    for n, name in enumerate(names, 1):
        sql = re.sub(rf"(?<!:):{name}\b", f"${n}", sql)
    return sql


_SERIES_PARAMS = ["agreement", "national_goal_code", "lineage", "segment", "hubs", "from_year", "to_year"]

#: W2: the platform's own series statement (the rules stay in one place) turned into the answer's JSON.
#: $1 framework agreement, $2 national goal code; the other selectors NULL.
SERIES = (
    f"""
WITH s AS ({_positional(str(benchmarking.series_statement()), _SERIES_PARAMS)}),
numbered AS (SELECT s.*, row_number() OVER () AS n FROM s)
SELECT json_build_object('data', json_build_object('benchmarkSeries', json_build_object(
    'years', (SELECT coalesce(json_agg(DISTINCT grid_year ORDER BY grid_year), '[]') FROM numbered),
    'points', (SELECT coalesce(json_agg(json_build_object('area', json_build_object('slug', hub_slug),
        'year', grid_year, 'goalCode', goal_code, 'result', {dec("result_value")}, 'rank', rank) ORDER BY n), '[]')
        FROM numbered))))::text
""".replace("$3", "NULL::text")
    .replace("$4", "NULL::text")
    .replace("$5", "NULL::text[]")
    .replace("$6", "NULL::int")
    .replace("$7", "NULL::int")
)

#: W3: the ministry's table from kkr_aggregate() (the disclosure control is the function's; the floor
#: connection carries the aggregates:read flag); $1 units.
AGGREGATE = f"""
SELECT json_build_object('data', json_build_object('aggregate', json_build_object('cells', coalesce(json_agg(
    json_build_object('coordinates', json_build_array(
        json_build_object('dimension', 'YEAR', 'value', a.dimension_values[1], 'total', (a.grouping_mask & 1) <> 0),
        json_build_object('dimension', 'GOAL_CATEGORY', 'value', a.dimension_values[2],
                          'total', (a.grouping_mask & 2) <> 0)),
      'contributors', a.contributors, 'count', a.value_count, 'sum', {dec("a.value_sum")},
      'mean', {dec("a.value_mean")}, 'median', {dec("a.value_median")}, 'min', {dec("a.value_min")},
      'max', {dec("a.value_max")}, 'suppressed', a.suppressed, 'reason', a.reason,
      'orderStatisticsWithheld', a.order_statistics_withheld) ORDER BY a.n), '[]'))))::text
FROM (SELECT k.*, row_number() OVER () AS n
      FROM kkr_aggregate('contract_results', '{{year,goal_category}}', jsonb_build_object('unit', to_jsonb($1::text[])),
                         'rollup', '{{count,sum,mean,median,min,max}}') k) a
"""

#: W4: one result revision, as the platform writes it (next revision of the target); $1 the target's global
#: id, $2 the value.
REPORT = f"""
WITH target_row AS (
    SELECT t.tenant_id, t.id FROM target t
    WHERE t.id = split_part(convert_from(decode($1::text, 'base64'), 'UTF8'), ':', 2)::uuid
), written AS (
    INSERT INTO result (tenant_id, target_id, revision, value, recorded_by, note)
    SELECT tr.tenant_id, tr.id,
           coalesce((SELECT max(r.revision) FROM result r WHERE r.tenant_id = tr.tenant_id AND r.target_id = tr.id),
                    0) + 1, $2::numeric, 'benchmark:floor', 'benchmark'
    FROM target_row tr
    RETURNING value, value_text
)
SELECT json_build_object('data', json_build_object('reportResult', json_build_object(
    'result', json_build_object('value', {dec("w.value")}, 'valueText', w.value_text), 'errors', '[]'::json)))::text
FROM written w
"""

#: W5
REGIONS = """
SELECT json_build_object('data', json_build_object('regions', coalesce(json_agg(
    json_build_object('slug', r.slug, 'name', r.name) ORDER BY r.position), '[]')))::text
FROM region r
"""
