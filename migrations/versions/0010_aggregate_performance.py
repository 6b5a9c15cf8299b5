"""Aggregates over contract results read a maintained fact table instead of five joined tables.

Revision ID: 0010
Revises: 0008

`kkr_aggregate()` (migration 0008) computed the contract families from target, indicator, goal,
result_contract and result on every call: the latest revision of every result and the latest published
version of every contract, joined again each time.  With a million results that was 300-500 ms on two
cores before any disclosure control ran (benchmarks/RESULTS.md).  Here:

- `kkr_facts.contract_target`: one row per target of a *comparable* contract version (national and common
  goals of the latest published version of a hub's contract for a year: the rows 0008 aggregates), with the
  dimensions denormalised (year, hub, region, goal category, national goal, goal code, indicator name,
  period, unit, segment as printed), the target's value and the value of its latest result revision.
  Derived data in a schema of its own (no model: the models describe what is stored), owned by the schema
  owner; the application role has no privilege on it, not even USAGE (ministries reach it only through the
  SECURITY DEFINER aggregate function, as before);
- statement-level triggers keep it exact within the writing transaction: result and target changes
  refresh the targets concerned; goal and indicator updates, and every change of a result contract, refresh
  the (tenant, hub, year) groups concerned (a new or republished version changes which version counts).
  The refresh functions are SECURITY DEFINER and read under the writer's tenant context, which always
  covers the rows they refresh (all versions of a group belong to one tenant).  Concurrent writers of one
  group refresh one after the other (an advisory transaction lock per group, taken before reading), so in
  READ COMMITTED, the API's isolation level, each refresh sees what the previous one committed;
- `kkr_aggregate_dimension` and `kkr_aggregate_source` are redefined with their contract branches reading
  the fact table; every other branch and the rules are 0008's unchanged.  Answers are identical.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from alembic import op

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None

FACT_TABLE = """
CREATE TABLE kkr_facts.contract_target (
    tenant_id varchar(32) NOT NULL,
    target_id uuid NOT NULL,
    indicator_id uuid NOT NULL,
    goal_id uuid NOT NULL,
    contract_id uuid NOT NULL,
    year smallint NOT NULL,
    business_hub_slug varchar(32) NOT NULL,
    region_slug varchar(32) NOT NULL,
    category varchar(32) NOT NULL,
    national_goal_id uuid,
    goal_code varchar(16) NOT NULL,
    indicator_name text NOT NULL,
    period_label varchar(64) NOT NULL,
    unit varchar(32) NOT NULL,
    segment varchar(64),
    target_value numeric(18, 4),
    result_value numeric(18, 4),
    CONSTRAINT pk_contract_target PRIMARY KEY (tenant_id, target_id)
)
"""

# The rows of the fact table, computed from the contract tables (0008's rules for the contract families).
FACT_SOURCE = """
CREATE VIEW kkr_facts.contract_target_source AS
SELECT t.tenant_id, t.id AS target_id, t.indicator_id, i.goal_id, g.contract_id, c.year, c.business_hub_slug,
       h.region_slug, g.category::varchar(32) AS category, g.national_goal_id, g.code AS goal_code,
       i.name AS indicator_name, t.period_label, t.unit::varchar(32) AS unit, t.segment, t.value AS target_value,
       (SELECT r.value FROM result r WHERE r.tenant_id = t.tenant_id AND r.target_id = t.id
        ORDER BY r.revision DESC LIMIT 1) AS result_value
FROM target t
JOIN indicator i ON i.tenant_id = t.tenant_id AND i.id = t.indicator_id
JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
JOIN business_hub h ON h.slug = c.business_hub_slug
WHERE g.category IN ('national', 'common')
  AND kkr_contract_published(c.status, c.published)
  AND NOT EXISTS (SELECT 1 FROM result_contract n WHERE n.tenant_id = c.tenant_id
                  AND n.business_hub_slug = c.business_hub_slug AND n.year = c.year
                  AND n.version > c.version AND kkr_contract_published(n.status, n.published))
"""

#: Concurrent writers refresh one (tenant, hub, year) group at a time: a transaction-level advisory lock per
#: group, taken before the refresh reads, so that in READ COMMITTED (the API's level) each refresh sees what
#: the one before it committed (else a publication and a result written at the same time could leave a stale
#: fact or collide on its key).  `{groups}` yields (tenant_id, business_hub_slug, year).
_LOCK_GROUPS = """
        PERFORM pg_advisory_xact_lock(1262698328, g.key) FROM (
            SELECT DISTINCT hashtext(concat_ws('/', x.tenant_id, x.business_hub_slug, x.year)) AS key
            FROM ({groups}) x ORDER BY 1) g;"""

_GROUPS_OF_TARGETS = """
            SELECT c.tenant_id, c.business_hub_slug, c.year
            FROM unnest(p_tenants, p_targets) k(tenant_id, target_id)
            JOIN target t ON t.tenant_id = k.tenant_id AND t.id = k.target_id
            JOIN indicator i ON i.tenant_id = t.tenant_id AND i.id = t.indicator_id
            JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
            JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
            UNION ALL
            SELECT f.tenant_id, f.business_hub_slug, f.year
            FROM unnest(p_tenants, p_targets) k(tenant_id, target_id)
            JOIN kkr_facts.contract_target f ON f.tenant_id = k.tenant_id AND f.target_id = k.target_id"""

# plpgsql, not sql, and generic plans: planned once per session, not on every write (a result written costs
# ~1 ms more instead of ~6: the custom plans of the view looked cheaper than the generic one, so were redone).
REFRESH_TARGETS = f"""
CREATE FUNCTION kkr_contract_fact_refresh_targets(p_tenants text[], p_targets uuid[]) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    SET plan_cache_mode = force_generic_plan
    AS $$
    BEGIN{_LOCK_GROUPS.format(groups=_GROUPS_OF_TARGETS)}
        DELETE FROM kkr_facts.contract_target f USING unnest(p_tenants, p_targets) k(tenant_id, target_id)
        WHERE f.tenant_id = k.tenant_id AND f.target_id = k.target_id;
        INSERT INTO kkr_facts.contract_target
        SELECT s.* FROM kkr_facts.contract_target_source s
        WHERE (s.tenant_id, s.target_id) IN (SELECT * FROM unnest(p_tenants, p_targets));
    END
    $$
"""

REFRESH_GROUPS = f"""
CREATE FUNCTION kkr_contract_fact_refresh_groups(p_tenants text[], p_hubs text[], p_years smallint[])
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    BEGIN{_LOCK_GROUPS.format(groups="SELECT * FROM unnest(p_tenants, p_hubs, p_years) u(tenant_id, business_hub_slug, year)")}
        DELETE FROM kkr_facts.contract_target f USING unnest(p_tenants, p_hubs, p_years) k(tenant_id, hub, year)
        WHERE f.tenant_id = k.tenant_id AND f.business_hub_slug = k.hub AND f.year = k.year;
        INSERT INTO kkr_facts.contract_target
        SELECT s.* FROM kkr_facts.contract_target_source s
        WHERE (s.tenant_id, s.business_hub_slug, s.year) IN (SELECT * FROM unnest(p_tenants, p_hubs, p_years));
    END
    $$
"""

#: What a trigger refreshes, by kind: `{changed}` stands for the statement's changed rows.
_REFRESH = {
    "targets_of_results": """
        PERFORM kkr_contract_fact_refresh_targets(array_agg(tenant_id), array_agg(target_id))
        FROM (SELECT DISTINCT tenant_id, target_id FROM {changed} x) x;""",
    "targets": """
        PERFORM kkr_contract_fact_refresh_targets(array_agg(tenant_id), array_agg(id))
        FROM (SELECT DISTINCT tenant_id, id FROM {changed} x) x;""",
    "groups_of_contracts": """
        PERFORM kkr_contract_fact_refresh_groups(array_agg(tenant_id), array_agg(business_hub_slug), array_agg(year))
        FROM (SELECT DISTINCT tenant_id, business_hub_slug, year FROM {changed} x) x;""",
    "groups_of_goals": """
        PERFORM kkr_contract_fact_refresh_groups(array_agg(tenant_id), array_agg(business_hub_slug), array_agg(year))
        FROM (SELECT DISTINCT c.tenant_id, c.business_hub_slug, c.year FROM {changed} x
              JOIN result_contract c ON c.tenant_id = x.tenant_id AND c.id = x.contract_id) x;""",
    "groups_of_indicators": """
        PERFORM kkr_contract_fact_refresh_groups(array_agg(tenant_id), array_agg(business_hub_slug), array_agg(year))
        FROM (SELECT DISTINCT c.tenant_id, c.business_hub_slug, c.year FROM {changed} x
              JOIN goal g ON g.tenant_id = x.tenant_id AND g.id = x.goal_id
              JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id) x;""",
    "groups_of_hubs": """
        PERFORM kkr_contract_fact_refresh_groups(array_agg(tenant_id), array_agg(business_hub_slug), array_agg(year))
        FROM (SELECT DISTINCT c.tenant_id, c.business_hub_slug, c.year FROM {changed} x
              JOIN result_contract c ON c.business_hub_slug = x.slug) x;""",
}

#: (table, event, what it refreshes).  Inserts of goals and indicators carry no target yet; deletes of goals
#: and indicators cascade to targets, whose own trigger refreshes.  An UPDATE sees old and new rows (a goal
#: may move to another contract, a contract to another year).
TRIGGERS = (
    ("result", "INSERT", "targets_of_results"),
    ("result", "DELETE", "targets_of_results"),
    ("target", "INSERT", "targets"),
    ("target", "UPDATE", "targets"),
    ("target", "DELETE", "targets"),
    ("indicator", "UPDATE", "groups_of_indicators"),
    ("goal", "UPDATE", "groups_of_goals"),
    ("result_contract", "INSERT", "groups_of_contracts"),
    ("result_contract", "UPDATE", "groups_of_contracts"),
    ("result_contract", "DELETE", "groups_of_contracts"),
    ("business_hub", "UPDATE", "groups_of_hubs"),
)

_TRANSITIONS = {
    "INSERT": ("REFERENCING NEW TABLE AS new_rows", "new_rows"),
    "DELETE": ("REFERENCING OLD TABLE AS old_rows", "old_rows"),
    "UPDATE": ("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
               "(SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows)"),
}


def _function_name(table: str, event: str) -> str:
    return f"kkr_contract_fact_on_{table}_{event.lower()}"


def _trigger_sql(table: str, event: str, kind: str) -> tuple[str, str]:
    referencing, changed = _TRANSITIONS[event]
    function = f"""
CREATE FUNCTION {_function_name(table, event)}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    BEGIN{_REFRESH[kind].format(changed=changed)}
        RETURN NULL;
    END
    $$
"""
    trigger = (f'CREATE TRIGGER kkr_contract_fact_{event.lower()} AFTER {event} ON "{table}" {referencing}'
               f" FOR EACH STATEMENT EXECUTE FUNCTION {_function_name(table, event)}()")
    return function, trigger


def _aggregates_0008():  # noqa: ANN202 - the sibling migration module
    path = Path(__file__).with_name("0008_aggregates.py")
    spec = importlib.util.spec_from_file_location("kkr_migration_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- 0008's dimension and source functions, contract branches on the fact table -----------------------
# Derived from 0008's text so that its other branches stay exactly as written there; the contract branches
# are fingerprinted, so a change to them fails this migration instead of being silently undone.

_CONTRACT_DIMENSIONS = "WHEN p_family IN ('contract_targets', 'contract_results') THEN CASE p_dimension"
_FACT_COLUMNS = {
    "'c.year::text'": "'f.year::text'",
    "'t.period_label::text'": "'f.period_label::text'",
    "'h.region_slug::text'": "'f.region_slug::text'",
    "'c.business_hub_slug::text'": "'f.business_hub_slug::text'",
    "'g.category::text'": "'f.category::text'",
    "'t.unit::text'": "'f.unit::text'",
}
_CONTRACT_SOURCE_START = "lineage_cte := $q$WITH lineage_of AS ("
_CONTRACT_SOURCE_END = "ELSIF p_family = 'benchmark_observations' THEN"
_FACT_SOURCE = """lineage_cte := $q$WITH lineage_of AS (
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
        """


#: Fingerprints of 0008's contract branches this migration was written against.  When 0008 changes them (new
#: rules, dimensions or columns), upgrading stops here: bring `contract_target_source` and `_FACT_SOURCE` (or
#: `_FACT_COLUMNS`) in line with the new branch, then update the fingerprint printed in the error.
_SOURCE_BRANCH_SHA = "2bb181d3d9999a74"
_DIMENSION_BRANCH_SHA = "36105f6a6de6756d"


def _check_branch(branch: str, expected: str, what: str) -> None:
    actual = hashlib.sha256(branch.encode()).hexdigest()[:16]
    if actual != expected:
        raise RuntimeError(f"migration 0008's contract branch of {what} changed (fingerprint {actual}, 0010 was "
                           f"written for {expected}): update 0010's fact table to the new rules first")


def _replace_function(sql: str) -> str:
    assert sql.lstrip().startswith("CREATE FUNCTION"), "0008 no longer creates the function as expected"
    return sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def fact_dimension_function(original: str) -> str:
    start = original.index(_CONTRACT_DIMENSIONS)
    end = original.index("END", start)
    branch = original[start:end]
    _check_branch(branch, _DIMENSION_BRANCH_SHA, "kkr_aggregate_dimension")
    for table_column, fact_column in _FACT_COLUMNS.items():
        assert branch.count(table_column) == 1, f"0008's contract dimension {table_column} changed"
        branch = branch.replace(table_column, fact_column)
    return _replace_function(original[:start] + branch + original[end:])


def fact_source_function(original: str) -> str:
    start = original.index(_CONTRACT_SOURCE_START)
    end = original.index(_CONTRACT_SOURCE_END, start)
    _check_branch(original[start:end], _SOURCE_BRANCH_SHA, "kkr_aggregate_source")
    return _replace_function(original[:start] + _FACT_SOURCE + original[end:])


def upgrade() -> None:
    op.execute("CREATE SCHEMA kkr_facts")
    op.execute(FACT_TABLE)
    op.execute("CREATE INDEX ix_contract_target_group ON kkr_facts.contract_target (tenant_id, business_hub_slug, year)")
    op.execute(FACT_SOURCE)
    op.execute(REFRESH_TARGETS)
    op.execute(REFRESH_GROUPS)
    for table, event, kind in TRIGGERS:
        function, trigger = _trigger_sql(table, event, kind)
        op.execute(function)
        op.execute(trigger)
    for name in ("kkr_contract_fact_refresh_targets(text[], uuid[])",
                 "kkr_contract_fact_refresh_groups(text[], text[], smallint[])"):
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
    # Existing rows: the owner reads every tenant (row-level security applies to a non-superuser owner).
    op.execute("SELECT set_config('kkr.read_tenants', coalesce((SELECT string_agg(slug, ',') FROM region), ''), true)")
    op.execute("INSERT INTO kkr_facts.contract_target SELECT * FROM kkr_facts.contract_target_source")
    op.execute("SELECT set_config('kkr.read_tenants', '', true)")
    aggregates = _aggregates_0008()
    op.execute(fact_dimension_function(aggregates.SOURCE_FUNCTION))
    op.execute(fact_source_function(aggregates.SOURCE_SQL_FUNCTION))


def downgrade() -> None:
    aggregates = _aggregates_0008()
    op.execute(_replace_function(aggregates.SOURCE_FUNCTION))
    op.execute(_replace_function(aggregates.SOURCE_SQL_FUNCTION))
    for table, event, _ in TRIGGERS:
        op.execute(f'DROP TRIGGER IF EXISTS kkr_contract_fact_{event.lower()} ON "{table}"')
        op.execute(f"DROP FUNCTION IF EXISTS {_function_name(table, event)}()")
    op.execute("DROP FUNCTION IF EXISTS kkr_contract_fact_refresh_groups(text[], text[], smallint[])")
    op.execute("DROP FUNCTION IF EXISTS kkr_contract_fact_refresh_targets(text[], uuid[])")
    op.execute("DROP VIEW IF EXISTS kkr_facts.contract_target_source")
    op.execute("DROP TABLE IF EXISTS kkr_facts.contract_target")
    op.execute("DROP SCHEMA IF EXISTS kkr_facts")
