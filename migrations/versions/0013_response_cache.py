"""Response cache: per-tenant data versions bumped by every committed write (filled in by the response-cache work).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
