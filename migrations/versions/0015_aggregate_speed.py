"""The ministries' aggregates over a million results (filled in by the aggregates work).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
