"""The audit trail is append-only: UPDATE, DELETE and TRUNCATE of `audit_event` are refused for everyone.

Revision ID: 0010
Revises: 0009

The application role was only ever granted SELECT on `audit_event` (migration 0001); rows are written by
the SECURITY DEFINER trigger `kkr_audit()`, which only inserts.  Privileges do not bind the table's owner
(or a superuser), so two triggers now refuse any change or removal of a row whoever asks:

- `audit_event_append_only`, BEFORE UPDATE OR DELETE, FOR EACH ROW;
- `audit_event_no_truncate`, BEFORE TRUNCATE, FOR EACH STATEMENT.

Both raise SQLSTATE 42501 (insufficient_privilege) with the message
"audit_event is append-only: <OPERATION> is not allowed".  They are ENABLEd ALWAYS, so they fire also under
`session_replication_role = replica` (which silences ordinary triggers).  Only DDL by the owner, i.e. a
migration, can lift the rule (`ALTER TABLE ... DISABLE TRIGGER` or this migration's downgrade); INSERT
(the trigger, `pg_restore`, `COPY`) and `DROP TABLE` are unaffected.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FUNCTION = "kkr_audit_append_only()"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION {FUNCTION} RETURNS trigger
            LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
                    USING ERRCODE = 'insufficient_privilege',
                          DETAIL = 'The audit trail only grows: kkr_audit() inserts rows; none may be changed or removed.',
                          HINT = 'See docs/architecture.md, "Audit trail".';
            END
            $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
        f" FOR EACH ROW EXECUTE FUNCTION {FUNCTION}"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}"
    )
    op.execute("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_append_only")
    op.execute("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_truncate")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
