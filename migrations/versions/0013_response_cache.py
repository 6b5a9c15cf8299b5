"""Response cache: a data version per tenant, changed by every committed write (platform/response_cache.py).

Revision ID: 0013
Revises: 0012

`kkr_cache.data_version` holds one row per tenant (a region's slug) and one for the shared tables (`*`:
regions, hubs, national goals, reference figures, clients...).  Statement-level triggers on every table the
API reads set the changed tenants' version to a new random uuid, in the writing transaction: a reader sees
the new version exactly when it can see the new rows.  The response cache keys every answer by the versions
of the tenants its caller can read, so an answer cached before a write is never served after it, from any
worker process or instance (they share nothing but the database).

Why a random uuid and not a counter: a value is never reused, also not after a dump is restored (pg_dump
takes the versions in the same snapshot as the rows, so a restored version again names exactly the restored
rows) or when two writers race.  Triggers are `ENABLE ALWAYS`: they fire in replica mode too
(`session_replication_role = replica`, which tools use to load data), so no write can skip them.

Not tracked: `access_log` (written on every logged read, read by no query of the API) and `audit_event`
(written only by the audit trigger, row by row, in the transaction of a tracked write of the same tenant).
A table added later is tracked by calling `kkr_cache.track('<table>')` in its migration;
tests/test_response_cache_versions.py fails for any readable table that is not.
"""

from __future__ import annotations

from alembic import op

from kkr.migrations.tenancy import app_role

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UNTRACKED = ("access_log", "audit_event", "alembic_version")

FUNCTIONS = (
    """
CREATE FUNCTION kkr_cache.bump_rows() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        -- Transition tables: new_rows (INSERT, UPDATE), old_rows (UPDATE, DELETE).  A statement that
        -- changed no row changes no version.
        IF TG_OP = 'INSERT' THEN
            INSERT INTO kkr_cache.data_version AS v (tenant, version)
            SELECT tenant_id, gen_random_uuid() FROM (SELECT DISTINCT tenant_id FROM new_rows) AS changed
            ON CONFLICT (tenant) DO UPDATE SET version = excluded.version;
        ELSIF TG_OP = 'UPDATE' THEN
            INSERT INTO kkr_cache.data_version AS v (tenant, version)
            SELECT tenant_id, gen_random_uuid() FROM (SELECT tenant_id FROM new_rows
                                                      UNION SELECT tenant_id FROM old_rows) AS changed
            ON CONFLICT (tenant) DO UPDATE SET version = excluded.version;
        ELSE
            INSERT INTO kkr_cache.data_version AS v (tenant, version)
            SELECT tenant_id, gen_random_uuid() FROM (SELECT DISTINCT tenant_id FROM old_rows) AS changed
            ON CONFLICT (tenant) DO UPDATE SET version = excluded.version;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
CREATE FUNCTION kkr_cache.bump_shared() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        INSERT INTO kkr_cache.data_version AS v (tenant, version) VALUES ('*', gen_random_uuid())
        ON CONFLICT (tenant) DO UPDATE SET version = excluded.version;
        RETURN NULL;
    END
    $$
    """,
    """
CREATE FUNCTION kkr_cache.bump_all() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        -- TRUNCATE names no rows: every version changes.
        UPDATE kkr_cache.data_version SET version = gen_random_uuid();
        INSERT INTO kkr_cache.data_version (tenant, version) VALUES ('*', gen_random_uuid())
        ON CONFLICT (tenant) DO NOTHING;
        RETURN NULL;
    END
    $$
    """,
    """
CREATE FUNCTION kkr_cache.track(target regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    AS $$
    DECLARE
        per_tenant boolean := EXISTS (SELECT FROM pg_attribute WHERE attrelid = target
                                      AND attname = 'tenant_id' AND NOT attisdropped);
        trigger_name name;
    BEGIN
        IF per_tenant THEN
            EXECUTE format('CREATE TRIGGER kkr_cache_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                           ' FOR EACH STATEMENT EXECUTE FUNCTION kkr_cache.bump_rows()', target);
            EXECUTE format('CREATE TRIGGER kkr_cache_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows'
                           ' NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kkr_cache.bump_rows()',
                           target);
            EXECUTE format('CREATE TRIGGER kkr_cache_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                           ' FOR EACH STATEMENT EXECUTE FUNCTION kkr_cache.bump_rows()', target);
            EXECUTE format('CREATE TRIGGER kkr_cache_truncate AFTER TRUNCATE ON %s'
                           ' FOR EACH STATEMENT EXECUTE FUNCTION kkr_cache.bump_all()', target);
        ELSE
            EXECUTE format('CREATE TRIGGER kkr_cache_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s'
                           ' FOR EACH STATEMENT EXECUTE FUNCTION kkr_cache.bump_shared()', target);
        END IF;
        FOR trigger_name IN SELECT tgname FROM pg_trigger WHERE tgrelid = target AND tgname LIKE 'kkr_cache_%'
        LOOP
            EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', target, trigger_name);
        END LOOP;
    END
    $$
    """,
)


def upgrade() -> None:
    op.execute("CREATE SCHEMA kkr_cache")
    op.execute("CREATE TABLE kkr_cache.data_version (tenant varchar(32) PRIMARY KEY, version uuid NOT NULL)")
    for function in FUNCTIONS:
        op.execute(function)
    untracked = ", ".join(f"'{name}'" for name in UNTRACKED)
    op.execute(f"""
        SELECT kkr_cache.track(c.oid::regclass)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname NOT IN ({untracked})
        ORDER BY c.relname
    """)
    # Every tenant starts with a version, so the first write changes one rather than adding one.
    op.execute("""
        INSERT INTO kkr_cache.data_version (tenant, version)
        SELECT slug, gen_random_uuid() FROM region UNION ALL SELECT '*', gen_random_uuid()
    """)
    role = app_role()
    op.execute(f'GRANT USAGE ON SCHEMA kkr_cache TO "{role}"')
    op.execute(f'GRANT SELECT ON kkr_cache.data_version TO "{role}"')
    op.execute("REVOKE ALL ON FUNCTION kkr_cache.track(regclass) FROM PUBLIC")


def downgrade() -> None:
    op.execute("""
        DO $$
        DECLARE t record;
        BEGIN
            FOR t IN SELECT tgrelid::regclass AS tab, tgname FROM pg_trigger WHERE tgname LIKE 'kkr_cache_%' LOOP
                EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.tab);
            END LOOP;
        END $$
    """)
    op.execute("DROP SCHEMA kkr_cache CASCADE")
