"""The Danish sort key knows accented Latin letters: Çelik under C, Óscar under O, Ñandu under N.

Migration 0001's key translated only æ ø å ä ö ü é è á à, so names such as
"Çelik" or "Hôtel" sorted after Å.  The new key gives the order of ICU `da-DK`
for these too (tests/test_danish_collation.py compares them where the server
has ICU).  The municipality name index is rebuilt with it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

from kkr.migrations import tenancy

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPPER = "ÆØÅÄÖÜÉÈÊËÁÀÂÃÍÌÎÏÓÒÔÕÚÙÛÝÇÑŠČŽŁŃŚ"
LOWER = "æøåäöüéèêëáàâãíìîïóòôõúùûýçñščžłńś"
#: Where each lower-case letter sorts: æ ä -> '{', ø ö -> '|', å -> '}' (after z), ü -> y, the rest to their base.
SORTS_AS = "{|}{|yeeeeaaaaiiiioooouuuycnsczlns"

SORT_KEY = f"""
CREATE OR REPLACE FUNCTION kkr_danish_sort_key(s text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
    SELECT (
        translate(replace(lower(translate(s, '{UPPER}', '{LOWER}')), 'aa', 'å'), '{LOWER}', '{SORTS_AS}')
        -- tie-break between spellings with the same letters: "Århus" before "Aarhus", as ICU da-DK does
        || chr(1) || replace(replace(s, 'Aa', 'Å~'), 'aa', 'å~')
    ) COLLATE "C"
    $$
"""


def upgrade() -> None:
    op.execute(SORT_KEY)
    op.execute("REINDEX INDEX ix_municipality_danish_name")


def downgrade() -> None:
    [original] = [f for f in tenancy.FUNCTIONS if "kkr_danish_sort_key" in f]
    op.execute(original.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute("REINDEX INDEX ix_municipality_danish_name")
