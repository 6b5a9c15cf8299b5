"""Rate limits kept in PostgreSQL, shared by every API process and instance (docs/security.md, "Abuse").

Revision ID: 0011
Revises: 0010

Algorithm: the **sliding-window counter** (as Cloudflare describes it): hits are counted
per bucket in fixed windows of `window_seconds`; a hit is allowed while

    hits of the previous window * (the share of the sliding window still in it) + hits of this window + 1
        <= max_hits

so a caller cannot send twice its limit across a window boundary, as with plain fixed windows, and only
two counters per bucket are kept.  Refused hits are not counted.

- `kkr_limits.rate_window`: an UNLOGGED table (counters need no WAL and no replica; a crash empties it,
  which only forgets recent counts) of (bucket, window_start) -> hits, in a schema of its own without a
  model (derived, ephemeral data, like kkr_facts in migration 0008).  The application role has no
  privilege on it, not even USAGE of the schema.
- `kkr_rate_limit(bucket, max_hits, window_seconds, consume)` (SECURITY DEFINER, the app role's only
  way in: EXECUTE): one call per request, one statement for the caller; returns `allowed` and
  `retry_after`, the seconds until one more hit would be allowed (0 when allowed).  With `consume` false
  it only asks whether one more hit would be allowed (the /oauth/token throttle checks before it counts
  a failure).  It takes the time from `clock_timestamp()`.
- `kkr_limits.hit(..., at)` does the work at a given time (owner only; tests call it with their own clock),
  `kkr_limits.sweep(at)` deletes the windows no longer needed (a window is the "previous" one until two
  window lengths after its start: `expires_at`, indexed).  `hit` sweeps on about 1 % of its allowed calls,
  so the table stays about as large as two windows' worth of callers without a scheduled job.
"""

from __future__ import annotations

from alembic import op

from kkr.migrations import tenancy

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = """
CREATE UNLOGGED TABLE kkr_limits.rate_window (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT pk_rate_window PRIMARY KEY (bucket, window_start)
) WITH (fillfactor = 70)  -- room for HOT updates of `hits` (no index covers it)
"""

SWEEP = """
CREATE FUNCTION kkr_limits.sweep(at timestamptz) RETURNS bigint
    LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
    AS $$
    WITH gone AS (DELETE FROM kkr_limits.rate_window WHERE expires_at <= at RETURNING 1)
    SELECT count(*) FROM gone
    $$
"""

HIT = """
CREATE FUNCTION kkr_limits.hit(bucket text, max_hits integer, window_seconds integer, consume boolean,
                               at timestamptz)
    RETURNS TABLE (allowed boolean, retry_after double precision)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
    AS $$
    DECLARE
        span constant interval := make_interval(secs => window_seconds);
        epoch constant double precision := extract(epoch FROM at);
        start_epoch constant double precision := floor(epoch / window_seconds) * window_seconds;
        this_start constant timestamptz := to_timestamp(start_epoch);
        elapsed constant double precision := (epoch - start_epoch) / window_seconds;  -- in [0, 1)
        last_hits integer;
        this_hits integer;
    BEGIN
        IF hit.bucket IS NULL OR max_hits IS NULL OR max_hits < 1 OR window_seconds IS NULL OR window_seconds < 1
                OR at IS NULL THEN
            RAISE EXCEPTION 'kkr_rate_limit: a bucket, max_hits >= 1 and window_seconds >= 1 are required'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT w.hits INTO last_hits FROM kkr_limits.rate_window w
         WHERE w.bucket = hit.bucket AND w.window_start = this_start - span;
        last_hits := coalesce(last_hits, 0);
        IF coalesce(consume, true) AND last_hits * (1 - elapsed) + 1 <= max_hits THEN
            INSERT INTO kkr_limits.rate_window AS w (bucket, window_start, hits, expires_at)
            VALUES (hit.bucket, this_start, 1, this_start + 2 * span)
            ON CONFLICT ON CONSTRAINT pk_rate_window DO UPDATE SET hits = w.hits + 1
                WHERE last_hits * (1 - elapsed) + w.hits + 1 <= max_hits
            RETURNING w.hits INTO this_hits;
            IF FOUND THEN
                IF random() < 0.01 THEN
                    PERFORM kkr_limits.sweep(at);
                END IF;
                RETURN QUERY SELECT true, 0::double precision;
                RETURN;
            END IF;
        END IF;
        SELECT w.hits INTO this_hits FROM kkr_limits.rate_window w
         WHERE w.bucket = hit.bucket AND w.window_start = this_start;
        this_hits := coalesce(this_hits, 0);
        IF last_hits * (1 - elapsed) + this_hits + 1 <= max_hits THEN  -- only asked (consume false): it fits
            RETURN QUERY SELECT true, 0::double precision;
        ELSIF this_hits + 1 <= max_hits THEN
            -- later in this window, once the previous window's share has shrunk enough (last_hits > 0 here)
            RETURN QUERY SELECT false,
                ((1 - (max_hits - this_hits - 1)::double precision / last_hits) - elapsed) * window_seconds;
        ELSE
            -- in the next window, once this window's share has shrunk enough
            RETURN QUERY SELECT false,
                ((1 - elapsed) + (1 - (max_hits - 1)::double precision / this_hits)) * window_seconds;
        END IF;
    END
    $$
"""

RATE_LIMIT = """
CREATE FUNCTION kkr_rate_limit(bucket text, max_hits integer, window_seconds integer, consume boolean DEFAULT true)
    RETURNS TABLE (allowed boolean, retry_after double precision)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT * FROM kkr_limits.hit(bucket, max_hits, window_seconds, consume, clock_timestamp()) $$
"""

FUNCTIONS = (
    "kkr_rate_limit(text, integer, integer, boolean)",
    "kkr_limits.hit(text, integer, integer, boolean, timestamptz)",
    "kkr_limits.sweep(timestamptz)",
)


def upgrade() -> None:
    op.execute("CREATE SCHEMA kkr_limits")
    op.execute(TABLE)
    op.execute("CREATE INDEX ix_rate_window_expires_at ON kkr_limits.rate_window (expires_at)")
    op.execute(SWEEP)
    op.execute(HIT)
    op.execute(RATE_LIMIT)
    for signature in FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {FUNCTIONS[0]} TO "{tenancy.app_role()}"')


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTIONS[0]}")
    op.execute("DROP SCHEMA IF EXISTS kkr_limits CASCADE")
