"""Rate limits kept in PostgreSQL (migration 0011, platform/rate_limits.py): the sliding-window counter on a
clock of the test's own, the app role's access, and live servers with small limits of their own that share
their counts through the database.

Every test counts in buckets of its own (a fresh token subject or client id, a loopback address of its own
as the source of its connections: Linux routes all of 127.0.0.0/8 to the loopback), so the session's
other servers, which share the database, never touch them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kkr.platform import rate_limits
from kkr.platform.auth.clients import hash_secret
from kkr.platform.auth.identity import ANONYMOUS, Identity
from kkr.platform.auth.keys import read_key_set
from kkr.platform.auth.tokens import issue_token
from kkr.platform.database import Database
from kkr.platform.rate_limits import RateLimiter, address_key, bucket_of
from kkr.platform.settings import Settings

from .conftest import LiveServer
from .tokens import bearer

QUERY = {"query": "{ __typename }"}
T0 = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)  # a multiple of every window length used here


def fresh(kind: str = "t") -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def fresh_address() -> str:
    part = uuid.uuid4().bytes
    return f"127.{1 + part[0] % 254}.{part[1]}.{1 + part[2] % 254}"


@contextmanager
def caller(server: LiveServer, address: str | None = None) -> Iterator[httpx.Client]:
    """An HTTP client whose connections come from `address` (a fresh loopback address by default)."""
    transport = httpx.HTTPTransport(local_address=address or fresh_address())
    with httpx.Client(base_url=server.url, transport=transport, timeout=30) as client:
        yield client


@contextmanager
def servers(settings: Settings, count: int = 1, **limits: object) -> Iterator[list[LiveServer]]:
    """`count` live servers on the session's database with the given settings (small limits)."""
    with ExitStack() as stack:
        limited = settings.model_copy(update=limits)
        yield [stack.enter_context(LiveServer(limited)) for _ in range(count)]


# --- the counter itself, on the test's clock (kkr_limits.hit runs as the owner) ---------------------------


async def hit(
    engine: AsyncEngine, bucket: str, seconds: float, *, max_hits: int = 3, window: int = 60, consume: bool = True
) -> tuple[bool, float]:
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                text("SELECT * FROM kkr_limits.hit(:b, :m, :w, :c, :at)"),
                {"b": bucket, "m": max_hits, "w": window, "c": consume, "at": T0 + dt.timedelta(seconds=seconds)},
            )
        ).one()
    return row.allowed, row.retry_after


async def test_just_under_the_limit_passes_and_one_more_waits_until_it_would_fit(owner_engine: AsyncEngine) -> None:
    bucket = fresh()
    assert [await hit(owner_engine, bucket, 0) for _ in range(3)] == [(True, 0)] * 3
    allowed, retry_after = await hit(owner_engine, bucket, 0)
    # 3 hits this window: in the next one they weigh 3 * (1 - elapsed); one more fits at elapsed = 1/3
    assert not allowed and retry_after == pytest.approx(80)
    assert (await hit(owner_engine, bucket, 79.5))[0] is False
    assert await hit(owner_engine, bucket, 80) == (True, 0)
    assert (await hit(owner_engine, bucket, 80))[0] is False  # 3 * 2/3 + 1 + 1 > 3


async def test_no_burst_of_twice_the_limit_across_a_window_boundary(owner_engine: AsyncEngine) -> None:
    bucket = fresh()
    assert [(await hit(owner_engine, bucket, 59))[0] for _ in range(3)] == [True] * 3
    allowed, retry_after = await hit(owner_engine, bucket, 61)  # a fixed window would allow 3 more here
    assert not allowed and retry_after == pytest.approx(19)  # at 80 s: 3 * 40/60 + 1 <= 3
    assert await hit(owner_engine, bucket, 80) == (True, 0)


async def test_refused_and_asked_hits_are_not_counted_and_old_windows_reset(owner_engine: AsyncEngine) -> None:
    bucket = fresh()
    assert await hit(owner_engine, bucket, 1, consume=False) == (True, 0)
    for _ in range(3):
        await hit(owner_engine, bucket, 1)
    assert [(await hit(owner_engine, bucket, 2))[0] for _ in range(5)] == [False] * 5
    assert (await hit(owner_engine, bucket, 2, consume=False))[0] is False
    assert await hit(owner_engine, bucket, 80) == (True, 0)  # the refusals did not push the time back
    assert [(await hit(owner_engine, bucket, 180 + 5))[0] for _ in range(3)] == [True] * 3  # a quiet window later
    assert (await hit(owner_engine, fresh(), 2))[0] is True  # buckets are independent


async def test_windows_are_swept_two_window_lengths_after_they_start(owner_engine: AsyncEngine) -> None:
    bucket = fresh()
    await hit(owner_engine, bucket, 1)
    await hit(owner_engine, bucket, 61)
    count = text("SELECT count(*) FROM kkr_limits.rate_window WHERE bucket = :b")
    async with owner_engine.begin() as conn:
        await conn.execute(text("SELECT kkr_limits.sweep(:at)"), {"at": T0 + dt.timedelta(seconds=119)})
        assert (await conn.execute(count, {"b": bucket})).scalar() == 2  # window 0 still counts in window 1
        await conn.execute(text("SELECT kkr_limits.sweep(:at)"), {"at": T0 + dt.timedelta(seconds=120)})
        assert (await conn.execute(count, {"b": bucket})).scalar() == 1
        unlogged = (
            await conn.execute(
                text("SELECT relpersistence::text FROM pg_class WHERE oid = 'kkr_limits.rate_window'::regclass")
            )
        ).scalar()
    assert unlogged == "u"


async def test_the_app_role_may_only_call_kkr_rate_limit(app_db: Database) -> None:
    limiter = RateLimiter(app_db.engine)
    bucket = fresh()
    decisions = [await limiter.hit(bucket, 2, 60) for _ in range(3)]
    assert [d and d.allowed for d in decisions] == [True, True, False]
    assert (
        decisions[2] is not None and 30 <= decisions[2].retry_after <= 90
    )  # 2 hits: one more fits halfway into the next window
    for statement in (
        "SELECT * FROM kkr_limits.rate_window",
        "DELETE FROM kkr_limits.rate_window",
        "SELECT * FROM kkr_limits.hit('x', 1, 1, true, now())",
        "SELECT kkr_limits.sweep(now())",
    ):
        async with app_db.engine.connect() as conn:
            with pytest.raises(DBAPIError, match="permission denied"):
                await conn.execute(text(statement))
    async with app_db.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="max_hits >= 1"):
            await conn.execute(text("SELECT * FROM kkr_rate_limit('x', 0, 60)"))


async def test_the_limiter_fails_open_and_backs_off_while_the_database_is_unreachable() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    limiter = RateLimiter(engine)
    try:
        started = time.monotonic()
        assert await limiter.hit(fresh(), 1, 60) is None  # refused connection: no decision, the request goes on
        assert await limiter.hit(fresh(), 1, 60) is None  # paused: not asked again
        assert time.monotonic() - started < 2 * rate_limits.CALL_TIMEOUT + 1
        assert limiter._paused_until > time.monotonic()
    finally:
        await engine.dispose()


async def test_a_database_that_does_not_answer_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    released = asyncio.Event()

    class Hanging:  # an engine whose server accepts connections and never answers
        def execution_options(self, **_: object) -> Hanging:
            return self

        def connect(self) -> Hanging:
            return self

        async def __aenter__(self) -> None:
            await released.wait()
            raise ConnectionResetError("gone")

        async def __aexit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(rate_limits, "CALL_TIMEOUT", 0.2)
    limiter = RateLimiter(Hanging())  # type: ignore[arg-type]
    started = time.monotonic()
    assert await limiter.hit(fresh(), 1, 60) is None and await limiter.hit(fresh(), 1, 60) is None
    assert time.monotonic() - started < 5  # one short wait, then not asked again
    assert len(limiter._calls) == 1  # the late call is left to finish on its own, not cancelled mid-statement
    released.set()
    await asyncio.sleep(0.05)
    assert not limiter._calls


def test_buckets_come_from_the_verified_identity_or_the_peer_address() -> None:
    assert bucket_of(Identity(subject="client:em", client_id="em"), ("10.0.0.1", 1)) == "client:em"
    assert bucket_of(Identity(subject="anne@sjaelland"), ("10.0.0.1", 1)) == "subject:anne@sjaelland"
    assert bucket_of(ANONYMOUS, ("10.0.0.1", 1)) == "address:10.0.0.1"
    assert bucket_of(ANONYMOUS, ("2001:db8:1:2:3:4:5:6", 1)) == "address:2001:db8:1:2::/64"
    assert address_key(("::ffff:10.0.0.9", 1)) == "address:10.0.0.9"
    assert address_key(None) == "address:unknown"
    long = bucket_of(Identity(subject="x" * 1000), None)
    assert long.startswith("subject-sha256:") and len(long) < 100


# --- live servers -------------------------------------------------------------------------------------------


def refused_properly(response: httpx.Response, setting: str, window: int = 60) -> int:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= 2 * window
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["limit"] == setting
    assert error["extensions"]["retryAfter"] == retry_after and setting in error["message"]
    assert response.headers["cache-control"] == "no-store"
    return retry_after


def test_tokens_are_counted_by_subject_across_two_servers(settings: Settings) -> None:
    with servers(settings, 2, rate_limit_authenticated=3) as (one, two), caller(one) as a, caller(two) as b:
        anne, bo = bearer(subject=fresh("anne")), bearer(subject=fresh("bo"))
        assert [a.post("/graphql", json=QUERY, headers=anne).status_code for _ in range(2)] == [200, 200]
        assert b.post("/graphql", json=QUERY, headers=anne).status_code == 200  # the third, on the other server
        refused = a.post("/graphql", json=QUERY, headers={**anne, "Accept": "application/graphql-response+json"})
        refused_properly(refused, "RATE_LIMIT_AUTHENTICATED")
        assert refused.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
        assert "this client sent more than 3 requests in 60 s" in refused.json()["errors"][0]["message"]
        assert refused_properly(b.get("/graphql", params=QUERY, headers=anne), "RATE_LIMIT_AUTHENTICATED")
        assert b.post("/graphql", json=QUERY, headers=bo).status_code == 200  # another subject, another bucket
        assert a.post("/graphql", json=QUERY).status_code == 200  # anonymous from the same address: by address


async def test_tokens_of_one_client_share_a_bucket(settings: Settings, owner_engine: AsyncEngine) -> None:
    ids = [fresh("client"), fresh("client")]
    async with owner_engine.begin() as conn:
        for client_id in ids:
            await conn.execute(
                text(
                    "INSERT INTO oauth_client (client_id, name, secret_hash, scopes) "
                    "VALUES (:id, 'rate-limit test', :hash, '{benchmark:read}')"
                ),
                {"id": client_id, "hash": hash_secret(uuid.uuid4().hex)},
            )
    assert settings.signing_key_file is not None
    keys = read_key_set(settings.signing_key_file, private=True)

    def token(client_id: str) -> dict[str, str]:
        jwt = issue_token(
            keys,
            issuer=settings.token_issuer,
            audience=settings.auth_audience,
            subject=f"client:{client_id}",
            scopes=["benchmark:read"],
            lifetime=300,
            client_id=client_id,
        )
        return {"Authorization": f"Bearer {jwt}"}

    with servers(settings, rate_limit_authenticated=2) as (server,), caller(server) as c:
        first, second, other = token(ids[0]), token(ids[0]), token(ids[1])
        assert first != second
        assert [c.post("/graphql", json=QUERY, headers=h).status_code for h in (first, second)] == [200, 200]
        refused_properly(c.post("/graphql", json=QUERY, headers=token(ids[0])), "RATE_LIMIT_AUTHENTICATED")
        assert c.post("/graphql", json=QUERY, headers=other).status_code == 200


def test_anonymous_callers_are_counted_by_address(settings: Settings) -> None:
    with servers(settings, rate_limit_anonymous=2) as (server,), caller(server) as c:
        address = fresh_address()
        with caller(server, address) as same:
            assert [same.post("/graphql", json=QUERY).status_code for _ in range(2)] == [200, 200]
            refused = same.post("/graphql", json=QUERY)
            refused_properly(refused, "RATE_LIMIT_ANONYMOUS")
            assert refused.headers["content-type"] == "application/json"
            assert "this address" in refused.json()["errors"][0]["message"]
            assert same.post("/graphql", json=QUERY, headers=bearer(subject=fresh())).status_code == 200
        with caller(server, address) as again:  # a new connection from the same address, whatever it claims
            refused_properly(again.post("/graphql", json=QUERY), "RATE_LIMIT_ANONYMOUS")
            claims = {
                "X-Forwarded-For": fresh_address(),
                "X-Real-IP": fresh_address(),
                "Forwarded": "for=10.1.1.1",
                "X-Client-Id": fresh(),
            }  # uvicorn trusts X-Forwarded-For only from 127.0.0.1 and ::1
            refused_properly(again.post("/graphql", json=QUERY, headers=claims), "RATE_LIMIT_ANONYMOUS")
        assert c.post("/graphql", json=QUERY).status_code == 200  # another address


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = fresh_address()
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", proxy)  # uvicorn's --forwarded-allow-ips, read as the server starts
    with servers(settings, rate_limit_anonymous=1) as (server,), caller(server, proxy) as via_proxy:
        first, second = ({"X-Forwarded-For": f"{fresh_address()}, {proxy}"} for _ in range(2))
        assert via_proxy.post("/graphql", json=QUERY, headers=first).status_code == 200
        refused_properly(via_proxy.post("/graphql", json=QUERY, headers=first), "RATE_LIMIT_ANONYMOUS")
        assert via_proxy.post("/graphql", json=QUERY, headers=second).status_code == 200


def test_the_window_resets(settings: Settings) -> None:
    with servers(settings, rate_limit_authenticated=2, rate_limit_window_seconds=1) as (server,), caller(server) as c:
        headers = bearer(subject=fresh())
        assert [c.post("/graphql", json=QUERY, headers=headers).status_code for _ in range(2)] == [200, 200]
        refused = c.post("/graphql", json=QUERY, headers=headers)
        retry_after = refused_properly(refused, "RATE_LIMIT_AUTHENTICATED", window=1)
        time.sleep(retry_after)
        assert c.post("/graphql", json=QUERY, headers=headers).status_code == 200


def test_the_exports_and_the_token_endpoint_are_limited_too(settings: Settings) -> None:
    with servers(settings, rate_limit_authenticated=1, rate_limit_anonymous=1) as (server,), caller(server) as c:
        ministry = bearer("aggregates:read", subject=fresh())
        assert c.get("/aggregates.csv", headers=ministry).status_code == 400  # no family: counted all the same
        refused = c.get("/aggregates.json", params={"family": "BENCHMARK_OBSERVATIONS"}, headers=ministry)
        refused_properly(refused, "RATE_LIMIT_AUTHENTICATED")
        assert refused.headers["content-type"] == "application/json"
        assert c.post("/oauth/token", data={"grant_type": "client_credentials"}).status_code == 401
        token = c.post("/oauth/token", data={"grant_type": "client_credentials"})
        assert token.status_code == 429 and 0 < int(token.headers["retry-after"]) <= 120
        assert token.json()["error"] == "temporarily_unavailable"
        assert "RATE_LIMIT_ANONYMOUS" in token.json()["error_description"]


def test_the_switch_turns_the_limits_off(settings: Settings) -> None:
    with servers(settings, rate_limit_authenticated=1, rate_limit_enabled=False) as (server,), caller(server) as c:
        headers = bearer(subject=fresh())
        assert [c.post("/graphql", json=QUERY, headers=headers).status_code for _ in range(3)] == [200] * 3


# --- the /oauth/token failure throttle (platform/auth/throttle.py), on the same counters ---------------------


def get_token(client: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))


async def test_failed_client_authentications_are_throttled_across_servers(
    settings: Settings, owner_engine: AsyncEngine
) -> None:
    client_id, secret = fresh("kl"), uuid.uuid4().hex
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO oauth_client (client_id, name, secret_hash, scopes) "
                "VALUES (:id, 'throttle test', :hash, '{benchmark:read}')"
            ),
            {"id": client_id, "hash": hash_secret(secret)},
        )
    with servers(settings, 2, token_failure_limit=3, token_failure_window_seconds=60) as (one, two):
        address = fresh_address()
        with caller(one, address) as a, caller(two, address) as b:
            assert [get_token(a, client_id, "guess").status_code for _ in range(2)] == [401, 401]
            assert get_token(b, client_id, "guess").status_code == 401  # the third, on the other server
            refused = get_token(a, client_id, secret)  # even the right secret, until the failures age out
            assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 120
            assert "Too many failed client authentications" in refused.json()["error_description"]
            assert get_token(b, client_id, secret).status_code == 429
        with caller(one) as elsewhere:  # successes never count
            assert [get_token(elsewhere, client_id, secret).status_code for _ in range(5)] == [200] * 5
