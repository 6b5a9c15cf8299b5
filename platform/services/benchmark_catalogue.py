"""KL's benchmarking: the SQL of benchmark-observation comparisons, the catalogue and the segment vocabulary.

Benchmark observations (`benchmark_observation`) are printed per hub or per
region, with a national figure where the papers print one (no hub and no
region).  An indicator printed per hub is expected for all six hubs, one
printed per region for all five regions.
"""

from __future__ import annotations

from sqlalchemy import text

from .benchmarking import PUBLISHED_COMPARABLE, fold, selected

_AREA_POPULATION = """LEFT JOIN LATERAL (
        SELECT count(*) AS municipalities, count(p.population) AS with_population, sum(p.population) AS population
        FROM municipality mu
        LEFT JOIN municipality_population p ON p.municipality_code = mu.code
             AND p.year = substring(CAST(:period AS text) from '^(\\d{4})')::int
        WHERE (a.kind = 'hub' AND mu.business_hub_slug = a.slug) OR (a.kind = 'region' AND mu.region_slug = a.slug)
    ) pop ON true"""

#: Every hub (or region) x the observations of one indicator in one period, ranked (highest first; ties share a
#: rank), and the national figure as a row of kind 'national'.
OBSERVATION_COMPARISON = text(f"""
WITH obs AS (
    SELECT * FROM benchmark_observation o WHERE o.indicator_key = :indicator_key AND o.period_label = :period
),
per AS (
    SELECT bool_or(o.business_hub_slug IS NOT NULL) AS by_hub, bool_or(o.region_slug IS NOT NULL) AS by_region
    FROM benchmark_observation o WHERE o.indicator_key = :indicator_key
),
areas AS (
    SELECT 'hub'::text AS kind, h.slug, h.name, h.region_slug FROM business_hub h, per WHERE per.by_hub
    UNION ALL
    SELECT 'region', r.slug, r.name, r.slug FROM region r, per WHERE per.by_region AND NOT per.by_hub
)
SELECT a.kind, a.slug, a.name, a.region_slug, o.indicator_name, o.value, o.unit, o.source_document_key,
       o.source_locator, o.note,
       CASE WHEN o.value IS NOT NULL THEN RANK() OVER (PARTITION BY o.value IS NULL ORDER BY o.value DESC) END AS rank,
       count(o.value) OVER () AS ranked, pop.municipalities, pop.with_population, pop.population
FROM areas a
LEFT JOIN obs o ON (a.kind = 'hub' AND o.business_hub_slug = a.slug)
                OR (a.kind = 'region' AND o.region_slug = a.slug AND o.business_hub_slug IS NULL)
{_AREA_POPULATION}
UNION ALL
SELECT 'national', NULL, NULL, NULL, o.indicator_name, o.value, o.unit, o.source_document_key, o.source_locator,
       o.note, NULL, NULL, NULL, NULL, NULL
FROM obs o WHERE o.business_hub_slug IS NULL AND o.region_slug IS NULL
ORDER BY 1 DESC, 11 NULLS LAST, 2
""")

OBSERVATION_INDICATOR = text("""
SELECT o.indicator_key, min(o.indicator_name) AS name, min(o.unit) AS unit FROM benchmark_observation o
WHERE o.indicator_key = :indicator_key GROUP BY o.indicator_key
""")

_SEARCH = f"""(CAST(:search AS text) IS NULL
    OR {fold("e.name")} LIKE {fold("CAST(:pattern AS text)")}
    OR {fold("e.key")} LIKE {fold("CAST(:pattern AS text)")}
    OR to_tsvector('danish'::regconfig, e.name || ' ' || coalesce(e.description, ''))
       @@ websearch_to_tsquery('danish'::regconfig, CAST(:search AS text)))"""


def like_pattern(search: str) -> str:
    """A LIKE pattern matching `search` anywhere (its %, _ and backslashes taken literally)."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: Every indicator and measure KL can benchmark: benchmark-observation indicators, goal lineages and national
#: goals, with units, periods, the hubs / regions covered and segments; `:search` filters by name.
CATALOGUE = text(f"""
WITH members AS (
    SELECT m.lineage_key, m.national_goal_id, m.business_hub_slug AS hub, m.contract_year, m.goal_code,
           m.indicator_name FROM goal_lineage_member m
),
visible AS (
    SELECT c.business_hub_slug AS hub, c.year::int AS year, g.code AS goal_code, g.national_goal_id, i.name AS measure,
           t.period_label, t.unit::text AS unit, t.segment
    FROM result_contract c
    JOIN goal g ON g.tenant_id = c.tenant_id AND g.contract_id = c.id
    JOIN indicator i ON i.tenant_id = g.tenant_id AND i.goal_id = g.id
    JOIN target t ON t.tenant_id = i.tenant_id AND t.indicator_id = i.id
    WHERE {PUBLISHED_COMPARABLE}
),
lineage_figure AS (
    SELECT l.key AS lineage_key, v.hub, v.period_label, v.unit, v.segment
    FROM goal_lineage l JOIN visible v
      ON {
    selected(
        "members",
        "v.hub",
        "v.year",
        "v.goal_code",
        "v.national_goal_id",
        "v.measure",
        extra=" AND m.lineage_key = l.key",
    )
}
    UNION ALL
    SELECT m.lineage_key, NULL, nt.period_label, nt.unit::text, nt.segment
    FROM members m JOIN national_target nt ON nt.national_goal_id = m.national_goal_id
     AND (m.indicator_name IS NULL OR {fold("m.indicator_name")} = {fold("nt.measure")})
),
goal_figure AS (
    SELECT v.national_goal_id, v.hub, v.period_label, v.unit, v.segment FROM visible v
    WHERE v.national_goal_id IS NOT NULL
    UNION ALL
    SELECT nt.national_goal_id, NULL, nt.period_label, nt.unit::text, nt.segment FROM national_target nt
),
entries AS (
    SELECT 'observation'::text AS kind, o.indicator_key AS key, min(o.indicator_name) AS name, NULL::text AS description,
           array_agg(DISTINCT o.unit) AS units, array_agg(DISTINCT o.period_label) AS periods,
           array_remove(array_agg(DISTINCT o.business_hub_slug), NULL) AS hubs,
           array_remove(array_agg(DISTINCT o.region_slug), NULL) AS regions,
           bool_or(o.business_hub_slug IS NULL AND o.region_slug IS NULL) AS national_figure,
           '{{}}'::text[] AS segments, NULL::text AS agreement, NULL::text AS national_goal_code,
           '{{}}'::text[] AS lineages, min(o.source_document_key) AS source_document_key,
           array_remove(array_agg(DISTINCT o.source_document_key), NULL) AS source_documents,
           NULL::text AS source_locator, NULL::text AS note, 0 AS position
    FROM benchmark_observation o GROUP BY o.indicator_key
    UNION ALL
    SELECT 'lineage', l.key, l.name, l.description,
           coalesce(array_remove(array_agg(DISTINCT f.unit), NULL), '{{}}'),
           coalesce(array_remove(array_agg(DISTINCT f.period_label), NULL), '{{}}'),
           coalesce(array_remove(array_agg(DISTINCT f.hub), NULL), '{{}}'), '{{}}', false,
           coalesce(array_remove(array_agg(DISTINCT coalesce(s.key, f.segment)), NULL), '{{}}'),
           NULL, NULL, ARRAY[l.key], l.source_document_key,
           array_remove(ARRAY[l.source_document_key], NULL), l.source_locator, l.note, l.position
    FROM goal_lineage l
    LEFT JOIN lineage_figure f ON f.lineage_key = l.key
    LEFT JOIN segment_spelling sp ON sp.printed = f.segment
    LEFT JOIN segment s ON s.key = sp.segment_key
    GROUP BY l.key
    UNION ALL
    SELECT 'national_goal', ng.framework_agreement_slug || '/' || ng.code, ng.title, ng.description,
           coalesce(array_remove(array_agg(DISTINCT f.unit), NULL), '{{}}'),
           coalesce(array_remove(array_agg(DISTINCT f.period_label), NULL), '{{}}'),
           coalesce(array_remove(array_agg(DISTINCT f.hub), NULL), '{{}}'), '{{}}', false,
           coalesce(array_remove(array_agg(DISTINCT coalesce(s.key, f.segment)), NULL), '{{}}'),
           ng.framework_agreement_slug, ng.code,
           coalesce((SELECT array_agg(DISTINCT m.lineage_key) FROM members m WHERE m.national_goal_id = ng.id), '{{}}'),
           ng.source_document_key, array_remove(ARRAY[ng.source_document_key], NULL), ng.source_locator, ng.note,
           ng.position
    FROM national_goal ng
    LEFT JOIN goal_figure f ON f.national_goal_id = ng.id
    LEFT JOIN segment_spelling sp ON sp.printed = f.segment
    LEFT JOIN segment s ON s.key = sp.segment_key
    GROUP BY ng.id
)
SELECT e.* FROM entries e
WHERE (CAST(:kind AS text) IS NULL OR e.kind = CAST(:kind AS text)) AND {_SEARCH}
ORDER BY CASE e.kind WHEN 'lineage' THEN 0 WHEN 'national_goal' THEN 1 ELSE 2 END, e.agreement, e.position, e.key
""")

SEGMENTS = text("""
SELECT s.key, s.name, s.kind, s.description, s.position,
       coalesce(array_agg(sp.printed ORDER BY sp.printed) FILTER (WHERE sp.printed IS NOT NULL), '{}') AS spellings
FROM segment s LEFT JOIN segment_spelling sp ON sp.segment_key = s.key
WHERE CAST(:kind AS text) IS NULL OR s.kind = CAST(:kind AS text)
GROUP BY s.key ORDER BY s.position, s.key
""")

__all__ = ["CATALOGUE", "OBSERVATION_COMPARISON", "OBSERVATION_INDICATOR", "SEGMENTS", "like_pattern"]
