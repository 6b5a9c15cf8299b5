"""Readiness: the application role may read `alembic_version`.

Revision ID: 0012
Revises: 0011

`GET /readyz` (platform/readiness.py) compares the database's revision with the head of the migrations the
running code ships, connected as the API's role; that role owns nothing and was never granted this table.
SELECT only: the version is no secret (it is the shipped code's), and only the owner migrates.  A database
where the role cannot read it is older than this revision, so not at head either.
"""

from __future__ import annotations

from alembic import op

from kkr.migrations.tenancy import app_role

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f'GRANT SELECT ON TABLE alembic_version TO "{app_role()}"')


def downgrade() -> None:
    op.execute(f'REVOKE SELECT ON TABLE alembic_version FROM "{app_role()}"')
