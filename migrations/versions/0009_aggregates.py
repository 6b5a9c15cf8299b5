"""Ministries' aggregates with statistical disclosure control, computed in the database.

Revision ID: 0009
Revises: 0008

`kkr_aggregate(...)` (SECURITY DEFINER, for the `aggregates:read` and `benchmark:read` flags only) returns
the cells of one aggregate table: count, sum, mean, median, min and max of a figure family grouped by up
to six dimensions, with every subtotal of the CUBE the caller asked for.  Nothing row-level leaves it:

1. the rows of the family are aggregated per (cell, contributor) with `GROUP BY contributor, CUBE(...)`;
2. primary suppression: a cell with fewer than `p_min_contributors` contributors (FEW_CONTRIBUTORS), or
   whose `n` largest contributors hold more than `k` % of the sum of the absolute contributions
   (DOMINANCE, every (n, k) pair given);
3. secondary suppression (`kkr_aggregate_protect`): for every primary cell P (largest first) a hypercube
   of cells of the full CUBE is suppressed: P is one corner; per dimension a second index, a sibling
   category (sign -1), the total (sign +1) or, where P is itself a total, a category (sign +1).  Moving
   the corners by +/- d keeps every line relation (total = sum of its categories) balanced, so P's
   value cannot be pinned down from the published cells.  Every corner must exist (a cell with no
   contributor is known to be zero) and hold |sum| >= p % of |P's sum|, so that P's feasible interval
   contains [x (1 - p/100), x (1 + p/100)] (protection level p, non-negative contributions assumed);
   counts move by d >= 1 with it (every corner has a figure), so a count is never pinned either.  Where
   P is a total (first such dimension j), the second index along j may be a group of its categories,
   each moving by its own amount (at most its smallest corner), the amounts adding up to P's: the
   largest categories until they reach p % of P.  Hypercubes of siblings only are preferred (they
   leave every total unchanged), then the fewest new suppressions (totals weighted by how many
   dimensions they sum over), then the most primary cells protected on the way, then the smallest
   suppressed sum.  A primary cell that is a corner of a chosen hypercube whose every corner holds
   p % of it needs none of its own.  First, in one statement, every primary cell of the finest grouping
   that is a corner of a hypercube of siblings whose corners are all primary cells holding p % of it is
   protected by it (nothing new suppressed; per dimension its two largest primary siblings among the
   line's three largest primary cells are tried); the search above runs for the others only.  If no
   hypercube exists every cell of the table is suppressed;
4. min, median and max (one contributor's value each) are published only for a published cell with no
   suppressed cell below it in the CUBE (a cell contained in it, itself included); otherwise they are
   withheld (`order_statistics_withheld`).  The rule depends on the suppression pattern only, never on
   values.  Medians are computed after the suppression, for the grouping sets of such cells only.

Filters never select contributors (region, hub, urban/rural are refused as filters: group by them):
otherwise the total of all and the total of all but one would give that one away.

The function returns the grouping sets asked for (`none`, `grand_total`, `rollup` or `cube`); protection
computed on the whole CUBE carries over to any subset of its grouping sets.

The contract families read the fact table of migration 0008 (`kkr_facts.contract_target`, exact at every
commit); the other families read their tables.  The SQL bodies are in the folder `0009_aggregates/` beside
this file (shipped as package data, see setup.py):

- `cell_type.sql`: `kkr_aggregate_cell`, one cell of the CUBE while the rules run;
- `dimension.sql`: `kkr_aggregate_dimension(family, dimension)`, the SQL expression of a dimension;
- `source.sql`: `kkr_aggregate_source(family, group_by, filter)`, the SQL text of a family's rows;
- `protect.sql`: `kkr_aggregate_protect(cells, d, p)`, the secondary suppression (step 3);
- `aggregate.sql`: `kkr_aggregate(...)`, the checks of the arguments, the cells, steps 2-4.
"""

from __future__ import annotations

from pathlib import Path

from alembic import op

from kkr.migrations import tenancy

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SQL = Path(__file__).with_name("0009_aggregates")
#: In the order they are created (each may use the ones before it).
FILES = ("cell_type.sql", "dimension.sql", "source.sql", "protect.sql", "aggregate.sql")

SIGNATURE = "kkr_aggregate(text, text[], jsonb, text, text[], integer, integer[], numeric[], numeric)"
HELPERS = (
    "kkr_aggregate_protect(kkr_aggregate_cell[], integer, numeric)",
    "kkr_aggregate_source(text, text[], jsonb)",
    "kkr_aggregate_dimension(text, text)",
)


def upgrade() -> None:
    for name in FILES:
        op.execute((SQL / name).read_text(encoding="utf-8"))
    for signature in (SIGNATURE, *HELPERS):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {SIGNATURE} TO "{tenancy.app_role()}"')


def downgrade() -> None:
    for signature in (SIGNATURE, *HELPERS):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP TYPE IF EXISTS kkr_aggregate_cell")
