"""Indexes matching the read paths' query shapes: the parent key first (issue 11).

Revision ID: 0014
Revises: 0013

The loaders read children by their parent's id alone (`goal.contract_id IN (...)`, `indicator.goal_id`,
`target.indicator_id`, `result.target_id`), and row-level security adds no usable tenant condition: its
policies are OR-ed (tenant, partner, benchmark), so `tenant_id` never becomes an index condition.  The
existing indexes all lead with `tenant_id`, so each such read scanned a whole index: on the demo data
scaled up (963,667 results) the Dashboard's results read took 3.7 s (421,264 buffers), its targets read
20 ms.  With the parent key first they are index look-ups (15 ms and 2 ms).  `tenant_id` second keeps the
indexes serving the composite foreign keys and the fact table's joins (equality on both columns), so the
two indexes of 0008 are replaced, not doubled; the unique constraints stay as they are (their column order
is their rule), and `result` gets (target_id, revision) beside its unique key: the latest-revision reads.
Declared in the models too (platform/models/contracts.py).
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: name, table, columns
INDEXES = (
    ("ix_goal_contract_id_tenant_id", "goal", "contract_id, tenant_id"),
    ("ix_indicator_goal_id_tenant_id", "indicator", "goal_id, tenant_id"),
    ("ix_target_indicator_id_tenant_id", "target", "indicator_id, tenant_id"),
    ("ix_result_target_id_revision", "result", "target_id, revision"),
)
#: migration 0008's, tenant first: replaced by the two above
REPLACED = (
    ("ix_indicator_tenant_id_goal_id", "indicator", "tenant_id, goal_id"),
    ("ix_target_tenant_id_indicator_id", "target", "tenant_id, indicator_id"),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.execute(f'CREATE INDEX {name} ON "{table}" ({columns})')
    for name, _, _ in REPLACED:
        op.execute(f"DROP INDEX {name}")


def downgrade() -> None:
    for name, table, columns in REPLACED:
        op.execute(f'CREATE INDEX {name} ON "{table}" ({columns})')
    for name, _, _ in INDEXES:
        op.execute(f"DROP INDEX {name}")
