"""The contract families' fact table: what the ministries' aggregates read, kept exact by triggers.

Revision ID: 0008
Revises: 0007

`kkr_facts.contract_target` holds one row per target of a *comparable* contract version: a target of a
national or common goal in the latest published version of a hub's contract for a year, with the value of
its latest result revision.  Its dimensions are denormalised (year, hub, region, goal category, national
goal, goal code, indicator name, period, unit, segment as printed), so an aggregate (migration 0009) scans
one table instead of joining target, indicator, goal, result_contract and result and picking the latest
version and revision on every call.  It is the only derived store of the aggregates: no refresh, no
freshness bookkeeping.

- Derived data in a schema of its own (no model: the models describe what is stored), owned by the schema
  owner; the application role has no privilege on it, not even USAGE (ministries reach it only through the
  SECURITY DEFINER aggregate function).  `kkr_facts.contract_target_source` is the view that defines its
  rows from the contract tables (the migration fills the table from it; a bulk loader that disabled the
  triggers rebuilds from it: `TRUNCATE kkr_facts.contract_target; INSERT INTO kkr_facts.contract_target
  SELECT * FROM kkr_facts.contract_target_source`; so does a TRUNCATE of a contract table, which no trigger
  sees and neither the API nor the importer issues).
- Statement-level triggers keep it exact within the writing transaction: result and target changes
  refresh the targets concerned; goal and indicator updates, and every change of a result contract, refresh
  the (tenant, hub, year) groups concerned (a new or republished version changes which version counts);
  a hub moving to another region refreshes the hub's groups.  The refresh functions are SECURITY DEFINER and
  read under the writer's tenant context, which always covers the rows they refresh (all versions of a
  group belong to one tenant).  Concurrent writers of one group refresh one after the other (an advisory
  transaction lock per group, taken before reading), so in READ COMMITTED, the API's isolation level, each
  refresh sees what the previous one committed (tests/test_aggregates_facts.py).
- Indexes for the refreshes' joins from a goal to its indicators and from an indicator to its targets
  (also in the models: platform/models/contracts.py).
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
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

# The rows of the fact table, computed from the contract tables: the comparable figures of the contract families.
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
    "UPDATE": (
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "(SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows)",
    ),
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
    trigger = (
        f'CREATE TRIGGER kkr_contract_fact_{event.lower()} AFTER {event} ON "{table}" {referencing}'
        f" FOR EACH STATEMENT EXECUTE FUNCTION {_function_name(table, event)}()"
    )
    return function, trigger


#: Indexes of the contract tables the refreshes join along (declared in the models too).
INDEXES = (
    ("ix_indicator_tenant_id_goal_id", "indicator", "tenant_id, goal_id"),
    ("ix_target_tenant_id_indicator_id", "target", "tenant_id, indicator_id"),
)
REFRESH_FUNCTIONS = (
    "kkr_contract_fact_refresh_targets(text[], uuid[])",
    "kkr_contract_fact_refresh_groups(text[], text[], smallint[])",
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.execute(f'CREATE INDEX {name} ON "{table}" ({columns})')
    op.execute("CREATE SCHEMA kkr_facts")
    op.execute(FACT_TABLE)
    op.execute(
        "CREATE INDEX ix_contract_target_group ON kkr_facts.contract_target (tenant_id, business_hub_slug, year)"
    )
    op.execute(FACT_SOURCE)
    op.execute(REFRESH_TARGETS)
    op.execute(REFRESH_GROUPS)
    for table, event, kind in TRIGGERS:
        function, trigger = _trigger_sql(table, event, kind)
        op.execute(function)
        op.execute(trigger)
    for name in REFRESH_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
    # Existing rows: the owner reads every tenant (row-level security applies to a non-superuser owner).
    op.execute("SELECT set_config('kkr.read_tenants', coalesce((SELECT string_agg(slug, ',') FROM region), ''), true)")
    op.execute("INSERT INTO kkr_facts.contract_target SELECT * FROM kkr_facts.contract_target_source")
    op.execute("SELECT set_config('kkr.read_tenants', '', true)")


def downgrade() -> None:
    for table, event, _ in TRIGGERS:
        op.execute(f'DROP TRIGGER IF EXISTS kkr_contract_fact_{event.lower()} ON "{table}"')
        op.execute(f"DROP FUNCTION IF EXISTS {_function_name(table, event)}()")
    for name in REFRESH_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.execute("DROP VIEW IF EXISTS kkr_facts.contract_target_source")
    op.execute("DROP TABLE IF EXISTS kkr_facts.contract_target")
    op.execute("DROP SCHEMA IF EXISTS kkr_facts")
    for name, _, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
