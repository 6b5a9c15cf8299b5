"""Source documents name their seed file; text search splits words joined by '/'.

PostgreSQL's parser reads "rådgivning/vejledning" as one file-path token, so
neither word was found; the search vectors now treat '/' as a space.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# table -> (text expression before, after, GIN index name or None)
SEARCH = {
    "result_contract": ("coalesce(title, '')", None),
    "goal": ("coalesce(title, '') || ' ' || coalesce(description, '')", "ix_goal_search_vector"),
    "growth_team": ("coalesce(name, '') || ' ' || coalesce(mandate, '')", "ix_growth_team_search_vector"),
    "climate_initiative": (
        "coalesce(name, '') || ' ' || coalesce(description, '')",
        "ix_climate_initiative_search_vector",
    ),
}


def _rebuild(table: str, expression: str, index: str | None) -> None:
    if index:
        op.drop_index(index, table_name=table)
    op.drop_column(table, "search_vector")
    op.add_column(
        table,
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(f"to_tsvector('danish'::regconfig, {expression})", persisted=True),
            nullable=True,
        ),
    )
    if index:
        op.create_index(index, table, ["search_vector"], postgresql_using="gin")


def upgrade() -> None:
    op.add_column("source_document", sa.Column("file", sa.String(length=128), nullable=True))
    for table, (expression, index) in SEARCH.items():
        _rebuild(table, f"replace({expression}, '/', ' ')", index)


def downgrade() -> None:
    for table, (expression, index) in SEARCH.items():
        _rebuild(table, expression, index)
    op.drop_column("source_document", "file")
