"""The public projection is contracts and goals only; the audit trigger ignores temporary tables.

- PUBLIC_CONTRACTS=true opens published contracts and their goals to anonymous
  callers; indicators, targets and results were readable too.  Their
  `public_read` policies are dropped.
- The `partner_read` policies of indicators, targets and results admitted the
  rows below any *visible* shared goal, and a goal may be visible for other
  reasons than a partnership (published, with PUBLIC_CONTRACTS): anonymous
  callers read the targets of shared goals.  They now ask for a partnership the
  caller is a party of, all the way up.
- `kkr_audit()` is SECURITY DEFINER with `search_path = public`, under which
  PostgreSQL still searches the session's temporary schema first: the API role
  could divert the audit trail into a temporary `audit_event` table of its own.
  With `pg_temp` listed last it never can.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BELOW_GOALS = ("indicator", "target", "result")

#: The goal of a row, joined up from each table; a partnership row is visible to its parties only.
_SHARED_GOAL = "g.partnership_id IN (SELECT id FROM partnership)"
PARTNER_ROWS = {
    "indicator": f"goal_id IN (SELECT g.id FROM goal g WHERE {_SHARED_GOAL})",
    "target": "indicator_id IN (SELECT i.id FROM indicator i JOIN goal g ON g.tenant_id = i.tenant_id"
    f" AND g.id = i.goal_id WHERE {_SHARED_GOAL})",
    "result": "target_id IN (SELECT t.id FROM target t JOIN indicator i ON i.tenant_id = t.tenant_id"
    " AND i.id = t.indicator_id JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id"
    f" WHERE {_SHARED_GOAL})",
}
#: As migration 0001 created them (for downgrade).
OLD_PARTNER_ROWS = {
    "indicator": "goal_id IN (SELECT id FROM goal WHERE partnership_id IS NOT NULL)",
    "target": "indicator_id IN (SELECT id FROM indicator)",
    "result": "target_id IN (SELECT id FROM target)",
}


def _partner_read(rows: dict[str, str]) -> None:
    for table, condition in rows.items():
        op.execute(f'DROP POLICY IF EXISTS partner_read ON "{table}"')
        op.execute(f'CREATE POLICY partner_read ON "{table}" FOR SELECT USING ({condition})')


def upgrade() -> None:
    for table in BELOW_GOALS:
        op.execute(f'DROP POLICY IF EXISTS public_read ON "{table}"')
    op.execute("ALTER FUNCTION kkr_audit() SET search_path = public, pg_temp")
    _partner_read(PARTNER_ROWS)


def downgrade() -> None:
    _partner_read(OLD_PARTNER_ROWS)
    op.execute("ALTER FUNCTION kkr_audit() SET search_path = public")
    spec = importlib.util.spec_from_file_location("kkr_migration_0002", Path(__file__).with_name("0002_auth.py"))
    assert spec is not None and spec.loader is not None
    migration_0002 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration_0002)
    visible_when = migration_0002.visible_when
    for table in BELOW_GOALS:
        op.execute(
            f'CREATE POLICY public_read ON "{table}" FOR SELECT'
            f" USING ({visible_when(table, 'public:contracts', comparable_goals_only=False)})"
        )
