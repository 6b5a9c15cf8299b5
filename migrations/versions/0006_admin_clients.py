"""Operators register and disable machine clients through the API (`admin` scope).

The API role may only read `oauth_client`.  Two SECURITY DEFINER functions let
it write clients, and only in a transaction whose tenant context carries the
`admin` flag (set from the `admin` scope, `Identity.tenant_context`):

- `kkr_register_client(...)` inserts a client (the secret's hash only), with
  `created_by` = the transaction's actor;
- `kkr_disable_client(client_id)` disables it and announces the change on the
  `kkr_client_changed` channel, so every API process refuses its tokens at once.

Validation (client id, scopes, regions, expiry) stays in Python
(`platform/auth/clients.py`), shared with the command line.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

from kkr.migrations import tenancy

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_REFUSE = """
        IF NOT kkr_flag('admin') THEN
            RAISE EXCEPTION 'managing clients needs the admin scope' USING ERRCODE = 'insufficient_privilege';
        END IF;"""

REGISTER_CLIENT = f"""
CREATE FUNCTION kkr_register_client(client_id text, name text, secret_hash text, scopes text[], tenants text[],
                                    expires_at timestamptz) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    BEGIN{_REFUSE}
        INSERT INTO oauth_client (client_id, name, secret_hash, scopes, tenants, expires_at, created_by)
        VALUES (kkr_register_client.client_id, kkr_register_client.name, kkr_register_client.secret_hash,
                coalesce(kkr_register_client.scopes, '{{}}'), coalesce(kkr_register_client.tenants, '{{}}'),
                kkr_register_client.expires_at, left(nullif(current_setting('kkr.actor', true), ''), 128));
    END
    $$
"""

DISABLE_CLIENT = f"""
CREATE FUNCTION kkr_disable_client(client_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    BEGIN{_REFUSE}
        UPDATE oauth_client SET disabled_at = now() WHERE oauth_client.client_id = kkr_disable_client.client_id;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
        PERFORM pg_notify('kkr_client_changed', kkr_disable_client.client_id);
        RETURN true;
    END
    $$
"""

FUNCTIONS = (
    "kkr_register_client(text, text, text, text[], text[], timestamptz)",
    "kkr_disable_client(text)",
)


def upgrade() -> None:
    op.execute(REGISTER_CLIENT)
    op.execute(DISABLE_CLIENT)
    for signature in FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {signature} TO "{tenancy.app_role()}"')


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
