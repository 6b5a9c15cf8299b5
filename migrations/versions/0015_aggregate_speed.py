"""No change: reserved for work on the ministries' aggregates that measuring showed was not needed (W3 is
27 ms computed over 1 M results).  Kept because databases were migrated through it; it changes nothing.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
