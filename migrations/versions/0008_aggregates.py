"""Ministries' aggregates with statistical disclosure control, computed in the database.

Revision ID: 0008
Revises: 0007

`kkr_aggregate(...)` (SECURITY DEFINER, for the `aggregates:read` and `benchmark:read` flags only) returns
the cells of one aggregate table: count, sum, mean, median, min and max of a figure family grouped by up
to six dimensions, with every subtotal of the CUBE the caller asked for.  Nothing row-level leaves it:

1. the rows of the family are aggregated per (cell, contributor) with `GROUP BY contributor, CUBE(...)`;
2. primary suppression: a cell with fewer than `p_min_contributors` contributors (FEW_CONTRIBUTORS), or
   whose `n` largest contributors hold more than `k` % of the sum of the absolute contributions
   (DOMINANCE, every (n, k) pair given);
3. secondary suppression (`kkr_aggregate_protect`): for every primary cell P (largest first) a hypercube
   of cells of the full CUBE is suppressed: P is one corner; per dimension a second index, a sibling
   category (sign -1), the total (sign +1) or, where P is itself a total, a category (sign +1).  Moving
   the corners by +/- d keeps every line relation (total = sum of its categories) balanced, so P's
   value cannot be pinned down from the published cells.  Every corner must exist (a cell with no
   contributor is known to be zero) and hold |sum| >= p % of |P's sum|, so that P's feasible interval
   contains [x (1 - p/100), x (1 + p/100)] (protection level p, non-negative contributions assumed);
   counts move by d >= 1 with it (every corner has a figure), so a count is never pinned either.  Where
   P is a total (first such dimension j), the second index along j may be a group of its categories,
   each moving by its own amount (at most its smallest corner), the amounts adding up to P's: the
   largest categories until they reach p % of P.  Hypercubes of siblings only are preferred (they
   leave every total unchanged), then the fewest new suppressions (totals weighted by how many
   dimensions they sum over), then the most primary cells protected on the way, then the smallest
   suppressed sum.  A primary cell that is a corner of a chosen hypercube whose every corner holds
   p % of it needs none of its own.  If no hypercube exists every cell of the table is suppressed;
4. min, median and max (one contributor's value each) are published only for a published cell with no
   suppressed cell below it in the CUBE (a cell contained in it, itself included); otherwise they are
   withheld (`order_statistics_withheld`).  The rule depends on the suppression pattern only, never on
   values.

Filters never select contributors (region, hub, urban/rural are refused as filters: group by them):
otherwise the total of all and the total of all but one would give that one away.

The function returns the grouping sets asked for (`none`, `grand_total`, `rollup` or `cube`); protection
computed on the whole CUBE carries over to any subset of its grouping sets.

Speed: the contract families are also kept summed per (finest cell, hub) in the materialized view
`kkr_contract_leaf` (owner only).  `kkr_refresh_aggregates()` recomputes it; while no write to a source
table came after the snapshot of that refresh (statement triggers log the writing transaction ids in
`kkr_summary.change`), `kkr_aggregate` reads the summary instead of the rows (except for medians, which
need the rows).  Stale or never refreshed, it reads the rows: the answer is the same either way.
"""

from __future__ import annotations

from alembic import op

from kkr.migrations import tenancy

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

CELL_TYPE = """
CREATE TYPE kkr_aggregate_cell AS (
    k text,                 -- dimension values joined by chr(30); chr(31) = total, chr(29) = no value
    mask integer,           -- bit j-1 set: dimension j is a total
    contributors integer,
    n bigint,               -- number of figures (rows)
    s numeric,              -- sum
    median numeric,
    mn numeric,
    mx numeric,
    top numeric[],          -- absolute per-contributor sums, largest first (as many as the largest n)
    abs_total numeric,      -- sum of the absolute per-contributor sums
    primary_reason text
)
"""

# The SQL text of a family's rows: columns d1..dD (text), contributor (text), value (numeric); filters as
# `expr = ANY($k)`, $1..$10 being the filter arrays in the order of DIMENSIONS.
SOURCE_FUNCTION = r"""
CREATE FUNCTION kkr_aggregate_dimension(p_family text, p_dimension text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE
        WHEN p_family IN ('contract_targets', 'contract_results') THEN CASE p_dimension
            WHEN 'year' THEN 'c.year::text'
            WHEN 'period' THEN 't.period_label::text'
            WHEN 'region' THEN 'h.region_slug::text'
            WHEN 'hub' THEN 'c.business_hub_slug::text'
            WHEN 'goal_category' THEN 'g.category::text'
            WHEN 'lineage' THEN 'lin.lineage_key::text'
            WHEN 'unit' THEN 't.unit::text'
            WHEN 'segment' THEN 'ss.segment_key::text'
        END
        WHEN p_family = 'benchmark_observations' THEN CASE p_dimension
            WHEN 'year' THEN 'substring(o.period_label from ''[0-9]{4}'')'
            WHEN 'period' THEN 'o.period_label::text'
            WHEN 'region' THEN 'coalesce(h.region_slug, o.region_slug)::text'
            WHEN 'hub' THEN 'o.business_hub_slug::text'
            WHEN 'unit' THEN 'o.unit::text'
            WHEN 'indicator' THEN 'o.indicator_key::text'
        END
        WHEN p_family = 'municipality_figures' THEN CASE p_dimension
            WHEN 'year' THEN 'x.year::text'
            WHEN 'region' THEN 'm.region_slug::text'
            WHEN 'hub' THEN 'm.business_hub_slug::text'
            WHEN 'urban_rural' THEN 'm.urban_rural::text'
            WHEN 'unit' THEN 'x.unit::text'
            WHEN 'indicator' THEN 'x.measure::text'
        END
    END
    $$
"""

DIMENSIONS = ("year", "period", "region", "hub", "urban_rural", "goal_category", "lineage", "unit", "segment",
              "indicator")

SOURCE_SQL_FUNCTION = r"""
CREATE FUNCTION kkr_aggregate_source(p_family text, p_group_by text[], p_filter jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    AS $$
    DECLARE
        dims constant text[] := '{year,period,region,hub,urban_rural,goal_category,lineage,unit,segment,indicator}';
        used text[] := p_group_by || ARRAY(SELECT jsonb_object_keys(coalesce(p_filter, '{}'::jsonb)));
        sel text := '';
        cond text := '';
        src text;
        lineage_cte text := '';
        i integer;
    BEGIN
        FOR i IN 1 .. coalesce(array_length(p_group_by, 1), 0) LOOP
            sel := sel || format('%s AS d%s, ', kkr_aggregate_dimension(p_family, p_group_by[i]), i);
        END LOOP;
        FOR i IN 1 .. array_length(dims, 1) LOOP
            IF p_filter ? dims[i] THEN
                cond := cond || format(' AND (%s) = ANY ($%s)', kkr_aggregate_dimension(p_family, dims[i]), i);
            END IF;
        END LOOP;
        IF p_family IN ('contract_targets', 'contract_results') THEN
            IF 'lineage' = ANY (used) THEN
                -- One lineage per indicator (the first by position), so that lineages partition the figures.
                lineage_cte := $q$WITH lineage_of AS (
                    SELECT DISTINCT ON (tenant_id, indicator_id) tenant_id, indicator_id, lineage_key FROM (
                        SELECT i.tenant_id, i.id AS indicator_id, m.lineage_key, gl.position
                        FROM indicator i JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
                        JOIN goal_lineage_member m ON m.national_goal_id = g.national_goal_id
                        JOIN goal_lineage gl ON gl.key = m.lineage_key
                        WHERE m.indicator_name IS NULL OR m.indicator_name = i.name
                        UNION ALL
                        SELECT i.tenant_id, i.id, m.lineage_key, gl.position
                        FROM indicator i JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
                        JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
                        JOIN goal_lineage_member m ON m.business_hub_slug = c.business_hub_slug
                             AND m.contract_year = c.year AND m.goal_code = g.code
                        JOIN goal_lineage gl ON gl.key = m.lineage_key
                        WHERE m.indicator_name IS NULL OR m.indicator_name = i.name
                    ) x ORDER BY tenant_id, indicator_id, position, lineage_key
                ) $q$;
            END IF;
            src := lineage_cte || 'SELECT ' || sel || 'c.business_hub_slug::text AS contributor, '
                || CASE WHEN p_family = 'contract_results' THEN 'r.value' ELSE 't.value' END || ' AS value'
                || $q$ FROM target t
                JOIN indicator i ON i.tenant_id = t.tenant_id AND i.id = t.indicator_id
                JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
                JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
                JOIN business_hub h ON h.slug = c.business_hub_slug $q$
                || CASE WHEN 'segment' = ANY (used) THEN ' LEFT JOIN segment_spelling ss ON ss.printed = t.segment' ELSE '' END
                || CASE WHEN 'lineage' = ANY (used)
                        THEN ' LEFT JOIN lineage_of lin ON lin.tenant_id = i.tenant_id AND lin.indicator_id = i.id'
                        ELSE '' END
                || CASE WHEN p_family = 'contract_results' THEN $q$
                JOIN result r ON r.tenant_id = t.tenant_id AND r.target_id = t.id
                 AND NOT EXISTS (SELECT 1 FROM result r2 WHERE r2.tenant_id = r.tenant_id
                                 AND r2.target_id = r.target_id AND r2.revision > r.revision) $q$ ELSE '' END
                || $q$ WHERE g.category IN ('national', 'common')
                  AND kkr_contract_published(c.status, c.published)
                  AND NOT EXISTS (SELECT 1 FROM result_contract n WHERE n.tenant_id = c.tenant_id
                                  AND n.business_hub_slug = c.business_hub_slug AND n.year = c.year
                                  AND n.version > c.version AND kkr_contract_published(n.status, n.published)) $q$
                || CASE WHEN p_family = 'contract_results' THEN ' AND r.value IS NOT NULL' ELSE ' AND t.value IS NOT NULL' END;
        ELSIF p_family = 'benchmark_observations' THEN
            src := 'SELECT ' || sel || $q$coalesce('hub:' || o.business_hub_slug, 'region:' || o.region_slug) AS contributor,
                       o.value AS value
                FROM benchmark_observation o LEFT JOIN business_hub h ON h.slug = o.business_hub_slug
                WHERE (o.business_hub_slug IS NOT NULL OR o.region_slug IS NOT NULL) $q$;
        ELSIF p_family = 'municipality_figures' THEN
            src := 'SELECT ' || sel || $q$m.code::text AS contributor, x.value AS value
                FROM (SELECT p.municipality_code, 'population'::text AS measure, p.year,
                             p.population::numeric AS value, 'count'::text AS unit
                      FROM municipality_population p
                      UNION ALL
                      SELECT f.municipality_code, f.measure::text, f.year, f.value, mm.unit::text
                      FROM municipality_figure f JOIN municipality_measure mm ON mm.key = f.measure) x
                JOIN municipality m ON m.code = x.municipality_code
                WHERE true $q$;
        ELSE
            RAISE EXCEPTION 'unknown family %', p_family USING ERRCODE = '22023', HINT = 'family';
        END IF;
        RETURN src || cond;
    END
    $$
"""

# Secondary suppression: the hypercube method (see the module docstring).  Returns the keys to suppress
# besides the primary cells.
PROTECT_FUNCTION = r"""
CREATE FUNCTION kkr_aggregate_protect(p_cells kkr_aggregate_cell[], p_d integer, p_protection_pct numeric)
    RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    AS $$
    DECLARE
        sep constant text := chr(30);
        tot constant text := chr(31);
        cap constant integer := CASE WHEN p_d <= 3 THEN 8 WHEN p_d = 4 THEN 5 ELSE 3 END;
        children_cap constant integer := 300;
        frac constant numeric := p_protection_pct / 100;
        sup jsonb;  -- the suppressed keys (a jsonb object: `?` looks a key up in O(log n))
        added text[] := '{}';
        p kkr_aggregate_cell;
        pk text[];
        js integer;
        thr numeric;
        chosen text[];
        corner_keys text[];
        corner_min_s numeric;
        -- corners of the hypercubes chosen so far -> the largest smallest-corner of a hypercube holding them
        moved jsonb := '{}';
        -- look-ups in O(log n): key -> sum, and the neighbour index: "j:rest" -> [[value, sum, key], ...]
        -- where rest is a cell's key with coordinate j blanked (P's neighbours along j share it)
        cmap jsonb;
        nbmap jsonb;
    BEGIN
        sup := coalesce((SELECT jsonb_object_agg(c.k, true) FROM unnest(p_cells) c WHERE c.primary_reason IS NOT NULL),
                        '{}');
        IF p_d = 0 OR sup = '{}' THEN
            RETURN '{}';
        END IF;
        SELECT jsonb_object_agg(c.k, c.s) INTO cmap FROM unnest(p_cells) c;
        SELECT jsonb_object_agg(x.slot, x.members) INTO nbmap FROM (
            SELECT j || ':' || array_to_string(c.parts[1:j-1] || ''::text || c.parts[j+1:p_d], sep) AS slot,
                   jsonb_agg(jsonb_build_array(c.parts[j], c.s, c.k)) AS members
            FROM (SELECT c.k, c.s, string_to_array(c.k, sep) AS parts FROM unnest(p_cells) c) c
            CROSS JOIN generate_series(1, p_d) j
            GROUP BY 1) x;
        FOR p IN SELECT * FROM unnest(p_cells) c WHERE c.primary_reason IS NOT NULL
                 ORDER BY abs(c.s) DESC, c.n DESC, c.k LOOP
            thr := frac * abs(p.s);
            -- Already a corner of a chosen hypercube whose every corner is large enough for P: P moves with it.
            IF (moved ->> p.k)::numeric >= thr THEN
                CONTINUE;
            END IF;
            pk := string_to_array(p.k, sep);
            -- The first dimension where P is a total: its second index may be a group of values (children),
            -- each moving by its own amount, their amounts adding up to P's.
            js := coalesce(array_position(pk, tot), 0);
            WITH RECURSIVE neighbours AS (
                -- per dimension j: the second indices t whose neighbour (P with coordinate j = t) exists
                -- (and, but for the children of dimension js, is large enough); suppressed ones first, and
                -- among them primary cells still waiting for protection
                SELECT n.j, n.t, CASE WHEN pk[n.j] <> tot AND n.t <> tot THEN -1 ELSE 1 END AS sign,
                       row_number() OVER (PARTITION BY n.j ORDER BY (n.t = tot) DESC, sup ? n.k DESC,
                                          (sup ? n.k AND NOT moved ? n.k) DESC, abs(n.s) DESC, n.t) AS rank
                FROM (SELECT j, e ->> 0 AS t, (e ->> 1)::numeric AS s, e ->> 2 AS k
                      FROM generate_series(1, p_d) j,
                           jsonb_array_elements(nbmap -> (j || ':' || array_to_string(pk[1:j-1] || ''::text
                                                                                     || pk[j+1:p_d], sep))) e) n
                WHERE n.t <> pk[n.j] AND (n.j = js OR abs(n.s) >= thr)
            ), combos (j, seconds, signs) AS (
                SELECT 0, '{}'::text[], '{}'::integer[]
                UNION ALL
                SELECT n.j, c.seconds || n.t, c.signs || n.sign
                FROM combos c JOIN neighbours n ON n.j = c.j + 1
                     AND n.rank <= CASE WHEN n.j = js THEN children_cap ELSE cap END
            ), corners AS (
                SELECT c.seconds, b, js > 0 AND (b >> (js - 1)) & 1 = 1 AS child_corner,
                       array_to_string(ARRAY(SELECT CASE WHEN (b >> (j - 1)) & 1 = 1 THEN c.seconds[j] ELSE pk[j] END
                                             FROM generate_series(1, p_d) j ORDER BY j), sep) AS key
                FROM combos c CROSS JOIN generate_series(0, (1 << p_d) - 1) b
                WHERE c.j = p_d
            ), per_combo AS (
                -- one hypercube per combination; with js, one per child of the same rest (the other dimensions)
                SELECT co.seconds,
                       CASE WHEN js > 0 THEN co.seconds[1:js-1] || co.seconds[js+1:p_d] ELSE co.seconds END AS rest,
                       coalesce(min(abs((cmap ->> co.key)::numeric)) FILTER (WHERE js = 0 OR co.child_corner), 0)
                           AS m_child,
                       min(abs((cmap ->> co.key)::numeric)) FILTER (WHERE js > 0 AND NOT co.child_corner) AS m_top,
                       array_agg(co.key) AS keys
                FROM corners co
                GROUP BY co.seconds
                HAVING bool_and(cmap ? co.key)
            ), running AS (
                SELECT r.*, sum(r.m_child) OVER w AS reach, row_number() OVER w AS nth
                FROM per_combo r WHERE js = 0 OR r.m_top >= thr
                WINDOW w AS (PARTITION BY r.rest ORDER BY r.m_child DESC, r.seconds::text ROWS UNBOUNDED PRECEDING)
            ), needed AS (
                -- the largest children until their amounts reach the protection level
                SELECT * FROM running WHERE nth = 1 OR reach - m_child < thr
            ), candidates AS (
                SELECT n.rest, max(n.reach) AS reach, least(min(n.m_child), min(n.m_top)) AS min_s,
                       array_agg(DISTINCT k.key) AS keys
                FROM needed n CROSS JOIN LATERAL unnest(n.keys) k(key)
                GROUP BY n.rest
                HAVING max(n.reach) >= thr
            )
            SELECT best.keys, best.min_s INTO corner_keys, corner_min_s FROM (
                SELECT ca.keys, ca.min_s, ca.rest,
                       (SELECT sum(CASE WHEN sup ? x THEN 0 ELSE 1 + length(x) - length(replace(x, tot, '')) END)
                        FROM unnest(ca.keys) x) AS cost,
                       (SELECT coalesce(sum(abs((cmap ->> x)::numeric)), 0) FROM unnest(ca.keys) x
                        WHERE NOT sup ? x) AS loss,
                       (SELECT count(*) FROM unnest(ca.keys) x WHERE sup ? x AND NOT moved ? x) AS waiting
                FROM candidates ca
                -- Siblings before totals: a hypercube of siblings leaves every total unchanged, so it stays
                -- protective whatever coarser table (groupBy of fewer dimensions) is published next to it.
                -- Then the fewest new suppressions, then the most primary cells protected along the way.
                ORDER BY cardinality(array_positions(ca.rest, tot)), cost, waiting DESC, loss, ca.rest::text
                LIMIT 1
            ) best;
            IF corner_keys IS NULL THEN
                -- No hypercube protects P: nothing of this table is published.
                RETURN ARRAY(SELECT c.k FROM unnest(p_cells) c WHERE c.primary_reason IS NULL);
            END IF;
            moved := moved || (SELECT jsonb_object_agg(x, greatest(coalesce((moved ->> x)::numeric, 0),
                                                                   coalesce(corner_min_s, 0)))
                               FROM unnest(corner_keys) x);
            chosen := ARRAY(SELECT x FROM unnest(corner_keys) x WHERE NOT sup ? x);
            sup := sup || coalesce((SELECT jsonb_object_agg(x, true) FROM unnest(chosen) x), '{}');
            added := added || chosen;
        END LOOP;
        RETURN added;
    END
    $$
"""

AGGREGATE_FUNCTION = r"""
CREATE FUNCTION kkr_aggregate(
    p_family text,
    p_group_by text[] DEFAULT '{}',
    p_filter jsonb DEFAULT '{}',
    p_subtotals text DEFAULT 'rollup',
    p_measures text[] DEFAULT '{count,sum,mean,median,min,max}',
    p_min_contributors integer DEFAULT 3,
    p_dominance_n integer[] DEFAULT '{1,2}',
    p_dominance_k numeric[] DEFAULT '{85,90}',
    p_protection_pct numeric DEFAULT 10)
    RETURNS TABLE (grouping_mask integer, dimension_values text[], contributors integer, value_count bigint,
                   value_sum numeric, value_mean numeric, value_median numeric, value_min numeric,
                   value_max numeric, suppressed boolean, reason text, order_statistics_withheld boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    DECLARE
        sep constant text := chr(30);
        tot constant text := chr(31);
        nul constant text := chr(29);
        dims constant text[] := '{year,period,region,hub,urban_rural,goal_category,lineage,unit,segment,indicator}';
        d integer := coalesce(array_length(p_group_by, 1), 0);
        filter jsonb := coalesce(p_filter, '{}'::jsonb);
        fv text[];
        key text;
        vals jsonb;
        bad text;
        cols text := '';
        keyexpr text;
        maskexpr text;
        q text;
        leaf text;
        summary boolean;
        cells kkr_aggregate_cell[];
        secondary text[];
        sets integer[];
        want_median boolean := 'median' = ANY (p_measures);
        f1 text[]; f2 text[]; f3 text[]; f4 text[]; f5 text[]; f6 text[]; f7 text[]; f8 text[]; f9 text[]; f10 text[];
        i integer;
    BEGIN
        IF NOT (kkr_flag('aggregates:read') OR kkr_flag('benchmark:read')) THEN
            RAISE EXCEPTION 'aggregates need the aggregates:read or benchmark:read scope'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- The disclosure rules: never weaker than these floors, whatever the caller passes.
        IF p_min_contributors IS NULL OR p_min_contributors < 2 THEN
            RAISE EXCEPTION 'the minimum number of contributors must be at least 2' USING ERRCODE = '22023', HINT = 'rules';
        END IF;
        IF p_protection_pct IS NULL OR p_protection_pct <= 0 OR p_protection_pct > 100 THEN
            RAISE EXCEPTION 'the protection level must be above 0 and at most 100 %%' USING ERRCODE = '22023', HINT = 'rules';
        END IF;
        IF cardinality(p_dominance_n) IS DISTINCT FROM cardinality(p_dominance_k)
           OR EXISTS (SELECT 1 FROM unnest(p_dominance_n, p_dominance_k) r(n, k)
                      WHERE n IS NULL OR k IS NULL OR n < 1 OR k <= 0 OR k > 100) THEN
            RAISE EXCEPTION 'dominance rules are pairs (n >= 1, 0 < k <= 100)' USING ERRCODE = '22023', HINT = 'rules';
        END IF;
        IF p_family IS NULL OR p_family NOT IN ('contract_targets', 'contract_results', 'benchmark_observations',
                                                'municipality_figures') THEN
            RAISE EXCEPTION 'unknown family "%"', p_family USING ERRCODE = '22023', HINT = 'family';
        END IF;
        IF d > 6 THEN
            RAISE EXCEPTION 'at most 6 dimensions can be grouped by' USING ERRCODE = '22023', HINT = 'groupBy';
        END IF;
        SELECT min(g) INTO bad FROM unnest(p_group_by) g WHERE kkr_aggregate_dimension(p_family, g) IS NULL;
        IF bad IS NOT NULL OR array_position(p_group_by, NULL) IS NOT NULL THEN
            RAISE EXCEPTION 'dimension "%" is not available for family "%"', bad, p_family
                USING ERRCODE = '22023', HINT = 'groupBy';
        END IF;
        IF (SELECT count(DISTINCT g) FROM unnest(p_group_by) g) < d THEN
            RAISE EXCEPTION 'a dimension appears twice' USING ERRCODE = '22023', HINT = 'groupBy';
        END IF;
        IF p_subtotals IS NULL OR p_subtotals NOT IN ('none', 'grand_total', 'rollup', 'cube') THEN
            RAISE EXCEPTION 'unknown subtotals "%"', p_subtotals USING ERRCODE = '22023', HINT = 'subtotals';
        END IF;
        IF cardinality(p_measures) = 0 OR EXISTS (SELECT 1 FROM unnest(p_measures) m
                WHERE m IS NULL OR m NOT IN ('count', 'sum', 'mean', 'median', 'min', 'max')) THEN
            RAISE EXCEPTION 'measures are count, sum, mean, median, min and max' USING ERRCODE = '22023', HINT = 'measures';
        END IF;
        IF jsonb_typeof(filter) <> 'object' THEN
            RAISE EXCEPTION 'the filter must be an object' USING ERRCODE = '22023', HINT = 'filter';
        END IF;
        FOR key, vals IN SELECT * FROM jsonb_each(filter) LOOP
            IF NOT key = ANY (dims) OR kkr_aggregate_dimension(p_family, key) IS NULL THEN
                RAISE EXCEPTION 'no filter on "%" for family "%"', key, p_family USING ERRCODE = '22023', HINT = key;
            END IF;
            IF key IN ('region', 'hub', 'urban_rural') THEN
                -- They pick contributors: the total of all minus the total of all but one is that one.
                RAISE EXCEPTION 'contributors cannot be filtered (two such totals would differ by one contributor); '
                                'group by % instead', key USING ERRCODE = '22023', HINT = key;
            END IF;
            IF jsonb_typeof(vals) <> 'array' OR jsonb_array_length(vals) = 0
               OR EXISTS (SELECT 1 FROM jsonb_array_elements(vals) v WHERE jsonb_typeof(v) NOT IN ('string', 'number')) THEN
                RAISE EXCEPTION 'give at least one value (strings)' USING ERRCODE = '22023', HINT = key;
            END IF;
            fv := ARRAY(SELECT jsonb_array_elements_text(vals));
            SELECT min(v) INTO bad FROM unnest(fv) v WHERE NOT CASE key
                WHEN 'year' THEN v ~ '^[0-9]{4}$'
                WHEN 'region' THEN EXISTS (SELECT 1 FROM region r WHERE r.slug = v)
                WHEN 'hub' THEN EXISTS (SELECT 1 FROM business_hub h WHERE h.slug = v)
                WHEN 'lineage' THEN EXISTS (SELECT 1 FROM goal_lineage l WHERE l.key = v)
                WHEN 'segment' THEN EXISTS (SELECT 1 FROM segment s WHERE s.key = v)
                WHEN 'goal_category' THEN v IN ('national', 'common')
                WHEN 'urban_rural' THEN v IN ('city', 'rural')
                WHEN 'indicator' THEN CASE p_family
                    WHEN 'benchmark_observations'
                        THEN EXISTS (SELECT 1 FROM benchmark_observation o WHERE o.indicator_key = v)
                    ELSE v = 'population' OR EXISTS (SELECT 1 FROM municipality_measure mm WHERE mm.key = v) END
                ELSE true END;
            IF bad IS NOT NULL THEN
                RAISE EXCEPTION 'unknown % "%"', replace(key, '_', ' '), bad USING ERRCODE = '22023', HINT = key;
            END IF;
            CASE array_position(dims, key)
                WHEN 1 THEN f1 := fv; WHEN 2 THEN f2 := fv; WHEN 3 THEN f3 := fv; WHEN 4 THEN f4 := fv;
                WHEN 5 THEN f5 := fv; WHEN 6 THEN f6 := fv; WHEN 7 THEN f7 := fv; WHEN 8 THEN f8 := fv;
                WHEN 9 THEN f9 := fv; ELSE f10 := fv;
            END CASE;
        END LOOP;

        FOR i IN 1 .. d LOOP
            cols := cols || format('d%s, ', i);
        END LOOP;
        IF d = 0 THEN
            keyexpr := quote_literal('');
            maskexpr := '0';
        ELSE
            keyexpr := 'concat_ws(chr(30), ' || (SELECT string_agg(format(
                'CASE WHEN GROUPING(d%1$s) = 1 THEN chr(31) ELSE coalesce(d%1$s, chr(29)) END', gi), ', ' ORDER BY gi)
                FROM generate_series(1, d) gi) || ')';
            maskexpr := (SELECT string_agg(format('GROUPING(d%s) * %s', gi, 1 << (gi - 1)), ' + ' ORDER BY gi)
                         FROM generate_series(1, d) gi);
        END IF;
        summary := p_family IN ('contract_targets', 'contract_results') AND NOT want_median
                   AND kkr_aggregate_summary_fresh();
        IF summary THEN
            -- The contract families' per-(cell, hub) summary (kkr_contract_leaf), when no write came after
            -- its last refresh: the same numbers without scanning the rows again.
            leaf := format('SELECT %s contributor, sum(s) AS s, sum(n)::bigint AS n, min(mn) AS mn, max(mx) AS mx'
                           ' FROM kkr_contract_leaf WHERE family = %L %s GROUP BY %s contributor',
                           (SELECT string_agg(format('%I AS d%s, ', p_group_by[gi], gi), '' ORDER BY gi)
                            FROM generate_series(1, d) gi),
                           p_family,
                           (SELECT string_agg(format(' AND %I = ANY ($%s)', dims[gi], gi), '' ORDER BY gi)
                            FROM generate_series(1, array_length(dims, 1)) gi WHERE filter ? dims[gi]),
                           cols);
        ELSE
            leaf := format('SELECT %s contributor, sum(value) AS s, count(*) AS n, min(value) AS mn,'
                           ' max(value) AS mx FROM base GROUP BY %s contributor', cols, cols);
        END IF;
        q := format($q$
            WITH %s
            leaf AS (%s),
            cc AS (SELECT %s AS k, %s AS mask, contributor, sum(s) AS s, sum(n) AS n, min(mn) AS mn, max(mx) AS mx
                   FROM leaf GROUP BY %s),
            ranked AS (SELECT cc.*, row_number() OVER (PARTITION BY k ORDER BY abs(s) DESC, contributor) AS rk FROM cc),
            cells AS (SELECT k, min(mask) AS mask, count(*)::integer AS contributors, sum(n)::bigint AS n, sum(s) AS s,
                             min(mn) AS mn, max(mx) AS mx, array_agg(abs(s) ORDER BY rk) FILTER (WHERE rk <= %s) AS top,
                             sum(abs(s)) AS abs_total
                      FROM ranked GROUP BY k),
            med AS (%s)
            SELECT array_agg(ROW(c.k, c.mask, c.contributors, c.n, c.s, med.median, c.mn, c.mx, c.top, c.abs_total,
                                 NULL)::kkr_aggregate_cell)
            FROM cells c LEFT JOIN med ON med.k = c.k
            $q$,
            CASE WHEN summary THEN ''
                 ELSE format('base AS %s (%s),', CASE WHEN want_median THEN 'MATERIALIZED' ELSE '' END,
                             kkr_aggregate_source(p_family, p_group_by, filter)) END,
            leaf, keyexpr, maskexpr,
            CASE WHEN d = 0 THEN 'contributor' ELSE 'contributor, CUBE (' || rtrim(cols, ', ') || ')' END,
            greatest(coalesce((SELECT max(n) FROM unnest(p_dominance_n) n), 1), 1),
            CASE WHEN NOT want_median THEN 'SELECT NULL::text AS k, NULL::numeric AS median WHERE false'
                 WHEN d = 0 THEN format('SELECT %s AS k, percentile_cont(0.5) WITHIN GROUP (ORDER BY value)::numeric'
                                        ' AS median FROM base', keyexpr)
                 ELSE format('SELECT %s AS k, percentile_cont(0.5) WITHIN GROUP (ORDER BY value)::numeric AS median'
                             ' FROM base GROUP BY CUBE (%s)', keyexpr, rtrim(cols, ', ')) END);
        EXECUTE q INTO cells USING f1, f2, f3, f4, f5, f6, f7, f8, f9, f10;
        IF cells IS NULL THEN
            RETURN;
        END IF;
        IF cardinality(cells) > 2000 THEN
            -- The disclosure control works on every cell of the CUBE: bounded, so no call runs for minutes.
            RAISE EXCEPTION 'the table would have % cells with its subtotals (at most 2000): group by fewer '
                            'dimensions or filter', cardinality(cells) USING ERRCODE = '22023', HINT = 'groupBy';
        END IF;

        -- Primary suppression.
        cells := ARRAY(SELECT ROW(c.k, c.mask, c.contributors, c.n, c.s, c.median, c.mn, c.mx, c.top, c.abs_total,
            CASE WHEN c.contributors < p_min_contributors THEN 'FEW_CONTRIBUTORS'
                 WHEN c.abs_total > 0 AND EXISTS (
                     SELECT 1 FROM unnest(p_dominance_n, p_dominance_k) r(n, k)
                     WHERE (SELECT coalesce(sum(x), 0) FROM unnest(c.top[1:r.n]) x) > r.k / 100 * c.abs_total)
                 THEN 'DOMINANCE' END)::kkr_aggregate_cell
            FROM unnest(cells) c);
        -- Secondary suppression.
        secondary := kkr_aggregate_protect(cells, d, p_protection_pct);

        sets := CASE p_subtotals
            WHEN 'none' THEN ARRAY[0]
            WHEN 'grand_total' THEN ARRAY[0, (1 << d) - 1]
            WHEN 'rollup' THEN ARRAY(SELECT ((1 << d) - 1) & ~((1 << m) - 1) FROM generate_series(0, d) m)
            ELSE ARRAY(SELECT m FROM generate_series(0, (1 << d) - 1) m) END;

        RETURN QUERY
        WITH c AS (
            SELECT x.*, x.primary_reason IS NOT NULL OR x.k = ANY (secondary) AS sup FROM unnest(cells) x
        ), hidden AS (
            SELECT c.k, c.mask FROM c WHERE c.sup
        ), out AS (
            SELECT c.*, c.sup OR EXISTS (
                SELECT 1 FROM hidden h WHERE h.mask & ~c.mask = 0 AND NOT EXISTS (
                    SELECT 1 FROM generate_series(1, d) j
                    WHERE split_part(c.k, sep, j) <> tot AND split_part(c.k, sep, j) <> split_part(h.k, sep, j))
            ) AS withheld
            FROM c WHERE c.mask = ANY (sets)
        )
        SELECT o.mask,
               ARRAY(SELECT CASE WHEN v IN (tot, nul) THEN NULL ELSE v END
                     FROM unnest(string_to_array(o.k, sep)) WITH ORDINALITY u(v, ord) ORDER BY ord),
               CASE WHEN NOT o.sup THEN o.contributors END,
               CASE WHEN NOT o.sup AND 'count' = ANY (p_measures) THEN o.n END,
               CASE WHEN NOT o.sup AND 'sum' = ANY (p_measures) THEN o.s END,
               CASE WHEN NOT o.sup AND 'mean' = ANY (p_measures) THEN round(o.s / o.n, 6) END,
               CASE WHEN NOT o.withheld AND 'median' = ANY (p_measures) THEN o.median END,
               CASE WHEN NOT o.withheld AND 'min' = ANY (p_measures) THEN o.mn END,
               CASE WHEN NOT o.withheld AND 'max' = ANY (p_measures) THEN o.mx END,
               o.sup,
               coalesce(o.primary_reason, CASE WHEN o.sup THEN 'SECONDARY' END),
               o.withheld
        FROM out o
        ORDER BY o.mask, o.k;
    END
    $$
"""

#: Tables whose writes can change the contract families' figures.
SUMMARY_SOURCES = ("result_contract", "goal", "indicator", "target", "result", "goal_lineage", "goal_lineage_member",
                   "segment_spelling", "business_hub")
SUMMARY_DIMENSIONS = ("year", "period", "region", "hub", "goal_category", "lineage", "unit", "segment")

# The contract families summed per (finest cell, hub): what kkr_aggregate reads instead of the rows while
# no write came after the last `kkr_refresh_aggregates()`.  Freshness is exact: every write statement on a
# source table logs its transaction id (kkr_summary.change); the summary is fresh when every logged
# transaction is visible in the snapshot taken before its refresh.  Readable by the owner only.
SUMMARY_OBJECTS = (
    # Bookkeeping, not data: a schema of its own (no model, no access for anyone but the owner).
    "CREATE SCHEMA kkr_summary",
    "CREATE TABLE kkr_summary.change (xid xid8 NOT NULL DEFAULT pg_current_xact_id())",
    "CREATE TABLE kkr_summary.state (id boolean PRIMARY KEY DEFAULT true CHECK (id), snapshot pg_snapshot,"
    " refreshed_at timestamptz)",
    "INSERT INTO kkr_summary.state DEFAULT VALUES",
    """
CREATE FUNCTION kkr_aggregate_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ BEGIN INSERT INTO kkr_summary.change DEFAULT VALUES; RETURN NULL; END $$
    """,
    """
CREATE FUNCTION kkr_aggregate_summary_fresh() RETURNS boolean
    LANGUAGE sql STABLE SET search_path = public, pg_temp
    AS $$
    SELECT EXISTS (SELECT 1 FROM kkr_summary.state s WHERE s.snapshot IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM kkr_summary.change c WHERE NOT pg_visible_in_snapshot(c.xid, s.snapshot)))
    $$
    """,
    """
CREATE FUNCTION kkr_refresh_aggregates() RETURNS timestamptz
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    DECLARE
        snap pg_snapshot := pg_current_snapshot();
        flags text := current_setting('kkr.flags', true);
    BEGIN
        -- The owner scans the contract tables as the aggregate functions do (policies aggregate_scan).
        PERFORM set_config('kkr.flags', 'aggregates:read', true);
        REFRESH MATERIALIZED VIEW kkr_contract_leaf;
        DELETE FROM kkr_summary.change WHERE pg_visible_in_snapshot(xid, snap);
        UPDATE kkr_summary.state SET snapshot = snap, refreshed_at = now();
        PERFORM set_config('kkr.flags', coalesce(flags, ''), true);
        RETURN now();
    END
    $$
    """,
)


def summary_view() -> str:
    """The summary's definition, from the families' own row source (so both paths agree)."""
    columns = ", ".join(f"d{i + 1} AS {name}" for i, name in enumerate(SUMMARY_DIMENSIONS))
    group = ", ".join(SUMMARY_DIMENSIONS)
    dims = "{" + ",".join(SUMMARY_DIMENSIONS) + "}"
    return f"""
DO $$ BEGIN
    EXECUTE format('CREATE MATERIALIZED VIEW kkr_contract_leaf AS
        SELECT ''contract_targets''::text AS family, {group}, contributor, sum(value) AS s, count(*) AS n,
               min(value) AS mn, max(value) AS mx FROM (SELECT {columns}, contributor, value FROM (%s) t) x
        GROUP BY {group}, contributor
        UNION ALL
        SELECT ''contract_results''::text, {group}, contributor, sum(value), count(*), min(value), max(value)
        FROM (SELECT {columns}, contributor, value FROM (%s) r) y
        GROUP BY {group}, contributor
        WITH NO DATA',
        kkr_aggregate_source('contract_targets', '{dims}', '{{}}'),
        kkr_aggregate_source('contract_results', '{dims}', '{{}}'));
END $$
"""


SIGNATURE = "kkr_aggregate(text, text[], jsonb, text, text[], integer, integer[], numeric[], numeric)"
HELPERS = (
    "kkr_aggregate_protect(kkr_aggregate_cell[], integer, numeric)",
    "kkr_aggregate_source(text, text[], jsonb)",
    "kkr_aggregate_dimension(text, text)",
)
SUMMARY_FUNCTIONS = ("kkr_refresh_aggregates()", "kkr_aggregate_summary_fresh()", "kkr_aggregate_changed()")


def upgrade() -> None:
    op.execute(CELL_TYPE)
    op.execute(SOURCE_FUNCTION)
    op.execute(SOURCE_SQL_FUNCTION)
    op.execute(PROTECT_FUNCTION)
    for statement in SUMMARY_OBJECTS:
        op.execute(statement)
    op.execute(summary_view())
    for table in SUMMARY_SOURCES:
        op.execute(f'CREATE TRIGGER kkr_aggregate_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}"'
                   " FOR EACH STATEMENT EXECUTE FUNCTION kkr_aggregate_changed()")
    op.execute(AGGREGATE_FUNCTION)
    for signature in (SIGNATURE, *HELPERS, *SUMMARY_FUNCTIONS):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {SIGNATURE} TO "{tenancy.app_role()}"')
    # Recomputing the summary reveals nothing and changes no figure: the API (and cron) may trigger it.
    op.execute(f'GRANT EXECUTE ON FUNCTION kkr_refresh_aggregates() TO "{tenancy.app_role()}"')


def downgrade() -> None:
    for table in SUMMARY_SOURCES:
        op.execute(f'DROP TRIGGER IF EXISTS kkr_aggregate_changed ON "{table}"')
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.execute("DROP MATERIALIZED VIEW IF EXISTS kkr_contract_leaf")
    for signature in (*HELPERS, *SUMMARY_FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP SCHEMA IF EXISTS kkr_summary CASCADE")
    op.execute("DROP TYPE IF EXISTS kkr_aggregate_cell")
