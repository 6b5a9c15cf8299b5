-- The SQL expression of a dimension in a family's rows (NULL: not a dimension of that family).
-- The contract families read the fact table kkr_facts.contract_target (alias f, migration 0008).
CREATE FUNCTION kkr_aggregate_dimension(p_family text, p_dimension text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE
        WHEN p_family IN ('contract_targets', 'contract_results') THEN CASE p_dimension
            WHEN 'year' THEN 'f.year::text'
            WHEN 'period' THEN 'f.period_label::text'
            WHEN 'region' THEN 'f.region_slug::text'
            WHEN 'hub' THEN 'f.business_hub_slug::text'
            WHEN 'goal_category' THEN 'f.category::text'
            WHEN 'lineage' THEN 'lin.lineage_key::text'
            WHEN 'unit' THEN 'f.unit::text'
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
