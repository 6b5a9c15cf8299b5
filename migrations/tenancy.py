"""SQL objects the models do not describe: tenancy functions, row-level security,
grants for the application role, the audit trigger and the Danish sort key.

Migrations call these helpers so that every tenant-owned table gets exactly the
same policies.  Policies compare `tenant_id` with the transaction's context,
which the platform sets with `set_config(..., true)` from the verified token.
"""

from __future__ import annotations

from alembic import op

from kkr.platform.settings import get_settings

FUNCTIONS: tuple[str, ...] = (
    """
CREATE FUNCTION kkr_setting_list(name text) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(string_to_array(nullif(current_setting(name, true), ''), ','), '{}'::text[]) $$
    """,
    """
CREATE FUNCTION kkr_read_tenants() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT kkr_setting_list('kkr.read_tenants') $$
    """,
    """
CREATE FUNCTION kkr_write_tenants() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT kkr_setting_list('kkr.write_tenants') $$
    """,
    """
CREATE FUNCTION kkr_flag(flag text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT flag = ANY (kkr_setting_list('kkr.flags')) $$
    """,
    """
-- Danish alphabetical order (Æ, Ø, Å after Z; "Aa" as "Å") under the C collation.
-- Migration 0005 replaces this first version with one that also knows accented letters (Ç, Ó, Ñ, ...).
-- The embedded PostgreSQL is built without ICU, so the rule is spelled out once here
-- and gives the same order on every server (tests compare it with ICU da-DK where present).
CREATE FUNCTION kkr_danish_sort_key(s text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
    SELECT (
        translate(replace(lower(translate(s, 'ÆØÅÄÖÜÉÈÁÀ', 'æøåäöüéèáà')), 'aa', 'å'), 'æøåäöüéèáà', '{|}{|yeeaa')
        -- tie-break between spellings with the same letters: "Århus" before "Aarhus", as ICU da-DK does
        || chr(1) || replace(replace(s, 'Aa', 'Å~'), 'aa', 'å~')
    ) COLLATE "C"
    $$
    """,
    """
CREATE FUNCTION kkr_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public  -- pg_temp appended by migration 0004
    AS $$
    DECLARE
        subject record;
    BEGIN
        IF TG_OP = 'DELETE' THEN subject := OLD; ELSE subject := NEW; END IF;
        INSERT INTO audit_event (tenant_id, actor, operation, table_name, row_id, before, after)
        VALUES (
            subject.tenant_id,
            coalesce(nullif(current_setting('kkr.actor', true), ''), session_user),
            lower(TG_OP),
            TG_TABLE_NAME,
            subject.id,
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'search_vector' END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'search_vector' END
        );
        RETURN NULL;
    END
    $$
    """,
)

DROP_FUNCTIONS: tuple[str, ...] = tuple(
    f"DROP FUNCTION IF EXISTS {signature}"
    for signature in (
        "kkr_audit()",
        "kkr_danish_sort_key(text)",
        "kkr_flag(text)",
        "kkr_write_tenants()",
        "kkr_read_tenants()",
        "kkr_setting_list(text)",
    )
)


def install_functions() -> None:
    for statement in FUNCTIONS:
        op.execute(statement)


def drop_functions() -> None:
    for statement in DROP_FUNCTIONS:
        op.execute(statement)


def app_role() -> str:
    return get_settings().app_db_role


def create_app_role() -> None:
    """The login role the API uses: owns nothing, no BYPASSRLS.  Roles are cluster-wide,
    so it is created once and never dropped by a downgrade."""
    role = app_role()
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$;
        """
    )
    op.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')


def grant(table: str, privileges: str) -> None:
    op.execute(f'GRANT {privileges} ON TABLE "{table}" TO "{app_role()}"')


def enable_tenant_rls(table: str, *, audited: bool = True) -> None:
    """FORCE row-level security on a tenant-owned table with the four standard policies."""
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'CREATE POLICY tenant_read ON "{table}" FOR SELECT USING (tenant_id = ANY (kkr_read_tenants()))')
    op.execute(
        f'CREATE POLICY tenant_insert ON "{table}" FOR INSERT WITH CHECK (tenant_id = ANY (kkr_write_tenants()))'
    )
    op.execute(
        f'CREATE POLICY tenant_update ON "{table}" FOR UPDATE USING (tenant_id = ANY (kkr_write_tenants()))'
        " WITH CHECK (tenant_id = ANY (kkr_write_tenants()))"
    )
    op.execute(f'CREATE POLICY tenant_delete ON "{table}" FOR DELETE USING (tenant_id = ANY (kkr_write_tenants()))')
    if audited:
        op.execute(
            f'CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON "{table}"'
            " FOR EACH ROW EXECUTE FUNCTION kkr_audit()"
        )


def enable_party_rls(table: str) -> None:
    """Row-level security for cross-region rows: visible to the regions in `parties` only."""
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'CREATE POLICY party_read ON "{table}" FOR SELECT USING (parties && kkr_read_tenants())')
    op.execute(
        f'CREATE POLICY party_write ON "{table}" FOR ALL USING (parties && kkr_write_tenants())'
        " WITH CHECK (parties <@ kkr_write_tenants())"
    )


def enable_partner_read(table: str, shared_rows: str) -> None:
    """Let the other parties of a partnership read the rows linked to it (read only).

    `shared_rows` is a condition on the table's columns; it may query `partnership`
    (or a parent table), whose own row-level security limits it to the reader's
    partnerships, so a row is visible exactly to the partnership's parties.
    """
    op.execute(f'CREATE POLICY partner_read ON "{table}" FOR SELECT USING ({shared_rows})')
