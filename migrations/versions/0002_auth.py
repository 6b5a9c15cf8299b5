"""Authentication and authorisation: registered OAuth2 clients, the access log of cross-region reads,
row-level security for KL's benchmarking and for public contracts, and aggregate functions for ministries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

Row visibility added here (policies are permissive: they widen `tenant_read`):

- flag `benchmark:read` (KL): published contracts (`kkr_contract_published`) and their
  national and common goals (never local ones) with indicators, targets and results;
- flag `public:contracts` (setting PUBLIC_CONTRACTS): published contracts with everything in them.

Ministries (`aggregates:read`) get no rows at all: they call the SECURITY DEFINER functions
`kkr_contract_status_counts()` and `kkr_national_goal_results()`, which return aggregates only
and suppress cells of fewer than three hubs or contracts inside the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kkr.migrations import tenancy

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: Smallest cell an aggregate may report (n < 3 is suppressed).
MIN_CELL = 3

CONTRACT_TREE = ("result_contract", "goal", "indicator", "target", "result")

PUBLISHED_FUNCTION = """
CREATE FUNCTION kkr_contract_published(status text, published boolean) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(published, false) AND status IN ('adopted', 'signed', 'reported') $$
"""

# For each table below the contract: the joins from its parent up to the goal `g` (the empty string for
# `goal` itself) and how the parent matches the row.  A policy never reads its own table (no recursion).
_PATH = {
    "goal": ("", ""),
    "indicator": ("goal g", "g.tenant_id = indicator.tenant_id AND g.id = indicator.goal_id"),
    "target": (
        "indicator i JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id",
        "i.tenant_id = target.tenant_id AND i.id = target.indicator_id",
    ),
    "result": (
        "target t JOIN indicator i ON i.tenant_id = t.tenant_id AND i.id = t.indicator_id"
        " JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id",
        "t.tenant_id = result.tenant_id AND t.id = result.target_id",
    ),
}


def visible_when(table: str, flag: str, *, comparable_goals_only: bool) -> str:
    """The USING clause: `flag` is set and the row belongs to a published contract (and, for benchmarking,
    to a national or common goal)."""
    if table == "result_contract":
        return f"kkr_flag('{flag}') AND kkr_contract_published(status, published)"
    if table == "goal":
        goal_rule = " AND goal.category <> 'local'" if comparable_goals_only else ""
        return (
            f"kkr_flag('{flag}'){goal_rule} AND EXISTS (SELECT 1 FROM result_contract c"
            " WHERE c.tenant_id = goal.tenant_id AND c.id = goal.contract_id"
            " AND kkr_contract_published(c.status, c.published))"
        )
    source, match = _PATH[table]
    goal_rule = " AND g.category <> 'local'" if comparable_goals_only else ""
    return (
        f"kkr_flag('{flag}') AND EXISTS (SELECT 1 FROM {source}"
        " JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id"
        f" WHERE {match}{goal_rule} AND kkr_contract_published(c.status, c.published))"
    )


#: Only the latest version of a hub's contract for a year counts (as in the contracts queries).
LATEST_VERSION = (
    "NOT EXISTS (SELECT 1 FROM result_contract n WHERE n.tenant_id = c.tenant_id"
    " AND n.business_hub_slug = c.business_hub_slug AND n.year = c.year AND n.version > c.version)"
)

CONTRACT_STATUS_COUNTS = f"""
CREATE FUNCTION kkr_contract_status_counts()
    RETURNS TABLE (year smallint, status text, contracts bigint, suppressed boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    BEGIN
        IF NOT (kkr_flag('aggregates:read') OR kkr_flag('benchmark:read')) THEN
            RAISE EXCEPTION 'aggregates need the aggregates:read or benchmark:read scope'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN QUERY
        SELECT c.year, c.status::text,
               CASE WHEN count(*) >= {MIN_CELL} THEN count(*) END,
               count(*) < {MIN_CELL}
        FROM result_contract c
        WHERE {LATEST_VERSION}
        GROUP BY c.year, c.status
        ORDER BY c.year, c.status;
    END
    $$
"""

NATIONAL_GOAL_RESULTS = f"""
CREATE FUNCTION kkr_national_goal_results()
    RETURNS TABLE (framework_agreement_slug text, national_goal_code text, national_goal_title text,
                   period_label text, unit text, segment text, hubs bigint, average numeric, median numeric,
                   suppressed boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    BEGIN
        IF NOT (kkr_flag('aggregates:read') OR kkr_flag('benchmark:read')) THEN
            RAISE EXCEPTION 'aggregates need the aggregates:read or benchmark:read scope'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN QUERY
        WITH latest AS (
            SELECT DISTINCT ON (r.tenant_id, r.target_id) r.tenant_id, r.target_id, r.value
            FROM result r ORDER BY r.tenant_id, r.target_id, r.revision DESC
        ), per_hub AS (
            SELECT ng.framework_agreement_slug AS agreement, ng.code, ng.title, ng.position,
                   t.period_label AS period, t.unit::text AS unit, coalesce(t.segment, '') AS segment,
                   c.business_hub_slug AS hub, avg(l.value) AS value
            FROM latest l
            JOIN target t ON t.tenant_id = l.tenant_id AND t.id = l.target_id
            JOIN indicator i ON i.tenant_id = t.tenant_id AND i.id = t.indicator_id
            JOIN goal g ON g.tenant_id = i.tenant_id AND g.id = i.goal_id
            JOIN result_contract c ON c.tenant_id = g.tenant_id AND c.id = g.contract_id
            JOIN national_goal ng ON ng.id = g.national_goal_id
            WHERE g.category = 'national' AND l.value IS NOT NULL
              AND kkr_contract_published(c.status, c.published) AND {LATEST_VERSION}
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        )
        SELECT p.agreement::text, p.code::text, p.title, p.period::text, p.unit, nullif(p.segment, '')::text,
               count(*),
               CASE WHEN count(*) >= {MIN_CELL} THEN avg(p.value) END,
               CASE WHEN count(*) >= {MIN_CELL}
                    THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY p.value)::numeric END,
               count(*) < {MIN_CELL}
        FROM per_hub p
        GROUP BY p.agreement, p.code, p.title, p.position, p.period, p.unit, p.segment
        ORDER BY p.agreement, p.position, p.code, p.period, p.unit, p.segment;
    END
    $$
"""

AGGREGATE_FUNCTIONS = ("kkr_contract_status_counts()", "kkr_national_goal_results()")


def upgrade() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("tenants", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_oauth_client")),
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("operation_name", sa.Text(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("variables", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index(op.f("ix_access_log_occurred_at"), "access_log", ["occurred_at"], unique=False)

    # The API authenticates clients and checks them on every use; it never writes them.
    tenancy.grant("oauth_client", "SELECT")
    # The API appends to the access log; it can neither read nor change it.
    tenancy.grant("access_log", "INSERT")

    op.execute(PUBLISHED_FUNCTION)
    for table in CONTRACT_TREE:
        op.execute(
            f'CREATE POLICY benchmark_read ON "{table}" FOR SELECT'
            f" USING ({visible_when(table, 'benchmark:read', comparable_goals_only=True)})"
        )
        op.execute(
            f'CREATE POLICY public_read ON "{table}" FOR SELECT'
            f" USING ({visible_when(table, 'public:contracts', comparable_goals_only=False)})"
        )
        # The aggregate functions run as the owner; when the owner is not a superuser, FORCEd row-level
        # security applies to it too, so it may scan the contract tables inside those functions only.
        op.execute(
            f'CREATE POLICY aggregate_scan ON "{table}" FOR SELECT TO CURRENT_USER'
            " USING (kkr_flag('aggregates:read') OR kkr_flag('benchmark:read'))"
        )

    op.execute(CONTRACT_STATUS_COUNTS)
    op.execute(NATIONAL_GOAL_RESULTS)
    for signature in AGGREGATE_FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {signature} TO "{tenancy.app_role()}"')


def downgrade() -> None:
    for signature in AGGREGATE_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    for table in CONTRACT_TREE:
        for policy in ("aggregate_scan", "public_read", "benchmark_read"):
            op.execute(f'DROP POLICY IF EXISTS {policy} ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS kkr_contract_published(text, boolean)")
    op.drop_index(op.f("ix_access_log_occurred_at"), table_name="access_log")
    op.drop_table("access_log")
    op.drop_table("oauth_client")
