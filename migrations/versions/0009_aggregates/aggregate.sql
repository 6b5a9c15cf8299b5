-- kkr_aggregate(...): one aggregate table with its subtotals and the disclosure control (see the docstring
-- of migrations/versions/0009_aggregates.py and docs/benchmarking.md).
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
        cells kkr_aggregate_cell[];
        secondary text[];
        withheld_of jsonb;  -- key of a returned cell -> its order statistics are withheld
        median_sets integer[] := '{}';
        medians jsonb;
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
        leaf := format('SELECT %s contributor, sum(value) AS s, count(*) AS n, min(value) AS mn,'
                       ' max(value) AS mx FROM base GROUP BY %s contributor', cols, cols);
        q := format($q$
            WITH %s
            leaf AS (%s),
            cc AS (SELECT %s AS k, %s AS mask, contributor, sum(s) AS s, sum(n) AS n, min(mn) AS mn, max(mx) AS mx
                   FROM leaf GROUP BY %s),
            ranked AS (SELECT cc.*, row_number() OVER (PARTITION BY k ORDER BY abs(s) DESC, contributor) AS rk FROM cc),
            cells AS (SELECT k, min(mask) AS mask, count(*)::integer AS contributors, sum(n)::bigint AS n, sum(s) AS s,
                             min(mn) AS mn, max(mx) AS mx, array_agg(abs(s) ORDER BY rk) FILTER (WHERE rk <= %s) AS top,
                             sum(abs(s)) AS abs_total
                      FROM ranked GROUP BY k)
            SELECT array_agg(ROW(c.k, c.mask, c.contributors, c.n, c.s, NULL, c.mn, c.mx, c.top, c.abs_total,
                                 NULL)::kkr_aggregate_cell)
            FROM cells c
            $q$,
            format('base AS (%s),', kkr_aggregate_source(p_family, p_group_by, filter)),
            leaf, keyexpr, maskexpr,
            CASE WHEN d = 0 THEN 'contributor' ELSE 'contributor, CUBE (' || rtrim(cols, ', ') || ')' END,
            greatest(coalesce((SELECT max(n) FROM unnest(p_dominance_n) n), 1), 1));
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

        -- The cells returned -> whether their order statistics are withheld (a suppressed cell below them).
        WITH c AS (
            SELECT x.k, x.mask, x.primary_reason IS NOT NULL OR x.k = ANY (secondary) AS sup FROM unnest(cells) x
        ), hidden AS (
            SELECT c.k, c.mask FROM c WHERE c.sup
        )
        SELECT coalesce(jsonb_object_agg(c.k, c.sup OR EXISTS (
                   SELECT 1 FROM hidden h WHERE h.mask & ~c.mask = 0 AND NOT EXISTS (
                       SELECT 1 FROM generate_series(1, d) j
                       WHERE split_part(c.k, sep, j) <> tot AND split_part(c.k, sep, j) <> split_part(h.k, sep, j)))),
               '{}')
        INTO withheld_of FROM c WHERE c.mask = ANY (sets);
        -- Medians only for the cells that publish them, by one more pass over the rows (their grouping sets)
        -- (often none: a table whose every subtotal has a suppressed cell below it needs no median at all).
        IF want_median THEN
            median_sets := ARRAY(SELECT DISTINCT c.mask FROM unnest(cells) c WHERE withheld_of -> c.k = 'false'::jsonb
                                 ORDER BY 1);
        END IF;
        IF cardinality(median_sets) > 0 THEN
            -- A dimension no such grouping set groups by is a total in every row (GROUPING() would refuse it).
            EXECUTE format('SELECT jsonb_object_agg(k, median) FROM (SELECT %s AS k, percentile_cont(0.5) WITHIN GROUP'
                           ' (ORDER BY value)::numeric AS median FROM (%s) base GROUP BY GROUPING SETS (%s)) m',
                CASE WHEN d = 0 THEN quote_literal('') ELSE 'concat_ws(chr(30), ' || (SELECT string_agg(
                    CASE WHEN EXISTS (SELECT 1 FROM unnest(median_sets) m WHERE (m >> (gi - 1)) & 1 = 0)
                         THEN format('CASE WHEN GROUPING(d%1$s) = 1 THEN chr(31) ELSE coalesce(d%1$s, chr(29)) END', gi)
                         ELSE 'chr(31)' END, ', ' ORDER BY gi) FROM generate_series(1, d) gi) || ')' END,
                kkr_aggregate_source(p_family, p_group_by, filter),
                (SELECT string_agg('(' || coalesce((SELECT string_agg(format('d%s', gi), ', ' ORDER BY gi)
                                                    FROM generate_series(1, d) gi WHERE (m >> (gi - 1)) & 1 = 0), '')
                                   || ')', ', ' ORDER BY m) FROM unnest(median_sets) m))
                INTO medians USING f1, f2, f3, f4, f5, f6, f7, f8, f9, f10;
        END IF;

        RETURN QUERY
        WITH c AS (
            SELECT x.*, x.primary_reason IS NOT NULL OR x.k = ANY (secondary) AS sup,
                   (withheld_of -> x.k)::boolean AS withheld
            FROM unnest(cells) x WHERE x.mask = ANY (sets)
        )
        SELECT o.mask,
               ARRAY(SELECT CASE WHEN v IN (tot, nul) THEN NULL ELSE v END
                     FROM unnest(string_to_array(o.k, sep)) WITH ORDINALITY u(v, ord) ORDER BY ord),
               CASE WHEN NOT o.sup THEN o.contributors END,
               CASE WHEN NOT o.sup AND 'count' = ANY (p_measures) THEN o.n END,
               CASE WHEN NOT o.sup AND 'sum' = ANY (p_measures) THEN o.s END,
               CASE WHEN NOT o.sup AND 'mean' = ANY (p_measures) THEN round(o.s / o.n, 6) END,
               CASE WHEN NOT o.withheld AND want_median THEN (medians ->> o.k)::numeric END,
               CASE WHEN NOT o.withheld AND 'min' = ANY (p_measures) THEN o.mn END,
               CASE WHEN NOT o.withheld AND 'max' = ANY (p_measures) THEN o.mx END,
               o.sup,
               coalesce(o.primary_reason, CASE WHEN o.sup THEN 'SECONDARY' END),
               o.withheld
        FROM c o
        ORDER BY o.mask, o.k;
    END
    $$
