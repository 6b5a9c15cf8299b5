-- The SQL text of a family's rows: columns d1..dD (text), contributor (text), value (numeric); filters as
-- `expr = ANY($k)`, $1..$10 being the filter arrays in the order of `dims`.
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
                        SELECT f.tenant_id, f.indicator_id, m.lineage_key, gl.position
                        FROM kkr_facts.contract_target f
                        JOIN goal_lineage_member m ON m.national_goal_id = f.national_goal_id
                        JOIN goal_lineage gl ON gl.key = m.lineage_key
                        WHERE m.indicator_name IS NULL OR m.indicator_name = f.indicator_name
                        UNION ALL
                        SELECT f.tenant_id, f.indicator_id, m.lineage_key, gl.position
                        FROM kkr_facts.contract_target f
                        JOIN goal_lineage_member m ON m.business_hub_slug = f.business_hub_slug
                             AND m.contract_year = f.year AND m.goal_code = f.goal_code
                        JOIN goal_lineage gl ON gl.key = m.lineage_key
                        WHERE m.indicator_name IS NULL OR m.indicator_name = f.indicator_name
                    ) x ORDER BY tenant_id, indicator_id, position, lineage_key
                ) $q$;
            END IF;
            src := lineage_cte || 'SELECT ' || sel || 'f.business_hub_slug::text AS contributor, '
                || CASE WHEN p_family = 'contract_results' THEN 'f.result_value' ELSE 'f.target_value' END
                || ' AS value FROM kkr_facts.contract_target f'
                || CASE WHEN 'segment' = ANY (used) THEN ' LEFT JOIN segment_spelling ss ON ss.printed = f.segment'
                        ELSE '' END
                || CASE WHEN 'lineage' = ANY (used)
                        THEN ' LEFT JOIN lineage_of lin ON lin.tenant_id = f.tenant_id AND lin.indicator_id = f.indicator_id'
                        ELSE '' END
                || CASE WHEN p_family = 'contract_results' THEN ' WHERE f.result_value IS NOT NULL'
                        ELSE ' WHERE f.target_value IS NOT NULL' END;
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
