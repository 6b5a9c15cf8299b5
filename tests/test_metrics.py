"""Prometheus metrics at /metrics: exact counts, bounded labels, protection, and one total across workers.

The live servers here run in this process and share its metrics, so each test compares a scrape after its
requests with one before them; a request is counted just after its answer was sent, so a scrape is
repeated until the counts settle.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from kkr.platform.metrics import observe_pool
from kkr.platform.settings import Settings

from .api_client import SJAELLAND_READ
from .conftest import LiveServer, _free_port
from .paths import REPO_ROOT
from .processes import serve_env, stop_process, wait_until_answering
from .tokens import bearer

DASHBOARD = (REPO_ROOT / "frontend-contract" / "operations" / "regional" / "Dashboard.graphql").read_text("utf-8")
KKR = Path(sys.executable).with_name("kkr")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base: str, **headers: str) -> Samples:
    response = httpx.get(f"{base}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, found), v in samples.items() if n == name and wanted <= found)


def settled(read: Callable[[], Samples], check: Callable[[Samples], bool], timeout: float = 5) -> Samples:
    deadline = time.monotonic() + timeout
    while True:
        samples = read()
        if check(samples) or time.monotonic() > deadline:
            return samples
        time.sleep(0.05)


@pytest.fixture
def limited(settings: Settings) -> Iterator[LiveServer]:
    """A server whose authenticated callers may send 4 requests per minute."""
    with LiveServer(settings.model_copy(update={"rate_limit_authenticated": 4})) as server:
        yield server


def test_requests_errors_cache_and_refusals_move_by_exactly_what_was_sent(limited: LiveServer, demo_data) -> None:
    base = limited.url
    caller = bearer(SJAELLAND_READ, subject=f"metrics-{uuid.uuid4().hex}")  # a fresh rate-limit bucket
    dashboard = {"query": DASHBOARD, "variables": {"region": "sjaelland", "year": 2020}}
    before = scrape(base)
    answers = [
        httpx.post(f"{base}/graphql", json=dashboard, headers=caller),  # a miss
        httpx.post(f"{base}/graphql", json=dashboard, headers=caller),  # a hit
        httpx.post(
            f"{base}/graphql",
            json={"query": f"query Hostile{uuid.uuid4().hex} {{ regions {{ slug }} }}"},  # a name never seen
            headers=caller,
        ),
        httpx.post(
            f"{base}/graphql",
            json={"query": "query Mistake { goals(year: 2147483647) { totalCount } }"},
            headers=caller,
        ),
        httpx.post(f"{base}/graphql", json=dashboard, headers=caller),  # the fifth: over the limit
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429], [a.text[:200] for a in answers]
    assert [a.headers.get("x-cache") for a in answers[:2]] == ["miss", "hit"]
    assert (
        "errors" not in answers[0].json() and answers[3].json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    )

    def moved(samples: Samples, name: str, **labels: str) -> float:
        return value(samples, name, **labels) - value(before, name, **labels)

    after = settled(
        lambda: scrape(base),
        lambda s: moved(s, "kkr_http_requests_total", route="/graphql") == 5,
    )
    graphql = {"route": "/graphql"}
    assert moved(after, "kkr_http_requests_total", **graphql) == 5
    assert moved(after, "kkr_http_requests_total", **graphql, operation="Dashboard", status="200") == 2
    assert moved(after, "kkr_http_requests_total", **graphql, operation="other", status="200") == 2
    assert moved(after, "kkr_http_requests_total", **graphql, operation="none", status="429") == 1
    assert moved(after, "kkr_request_errors_total", **graphql, operation="other", code="BAD_USER_INPUT") == 1
    assert moved(after, "kkr_request_errors_total", **graphql, operation="none", code="RATE_LIMITED") == 1
    assert moved(after, "kkr_request_errors_total", **graphql) == 2
    assert moved(after, "kkr_http_request_duration_seconds_count", **graphql, operation="Dashboard") == 2
    assert moved(after, "kkr_response_cache_lookups_total", result="hit") == 1
    assert moved(after, "kkr_response_cache_lookups_total", result="miss") == 3  # the dashboard, Hostile, Mistake
    assert moved(after, "kkr_rate_limit_refusals_total", limit="RATE_LIMIT_AUTHENTICATED") == 1
    assert moved(after, "kkr_sql_statements_total", **graphql) >= 5  # at least the rate limit's, one per request
    # The hostile client's operation name made no series of its own.
    assert not [labels for (_, labels) in after if "Hostile" in str(labels)]
    assert value(after, "kkr_db_pool_connections_in_use", database="primary") == 0  # all idle again
    assert ("kkr_db_pool_waiting", frozenset({("database", "primary")})) in after


async def test_the_pool_gauges_follow_checkouts(app_url: URL) -> None:
    engine = create_async_engine(app_url, pool_size=2, max_overflow=3)
    observe_pool(engine, "gauge-test")
    try:
        samples = lambda: scrape_registry("gauge-test")  # noqa: E731
        assert samples() == {"in_use": 0, "overflow": 0, "waiting": 0}
        async with engine.connect() as one, engine.connect() as two, engine.connect() as three:
            assert {one, two, three} and samples() == {"in_use": 3, "overflow": 1, "waiting": 0}
        assert samples()["in_use"] == 0
    finally:
        await engine.dispose()


def scrape_registry(database: str) -> dict[str, float]:
    from prometheus_client import generate_latest

    from kkr.platform.metrics import REGISTRY

    text = generate_latest(REGISTRY).decode()
    found = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("database") == database
    }
    return {
        "in_use": found["kkr_db_pool_connections_in_use"],
        "overflow": found["kkr_db_pool_overflow"],
        "waiting": found["kkr_db_pool_waiting"],
    }


def test_metrics_need_the_token_when_one_is_set(settings: Settings) -> None:
    token = "metrics-" + uuid.uuid4().hex
    with LiveServer(settings.model_copy(update={"metrics_token": token})) as server:
        for headers in ({}, {"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": token}):
            refused = httpx.get(f"{server.url}/metrics", headers=headers)
            assert refused.status_code == 401 and "kkr_" not in refused.text
            assert refused.headers["www-authenticate"].startswith("Bearer")
        samples = scrape(server.url, Authorization=f"Bearer {token}")
        assert value(samples, "kkr_http_requests_total", route="/metrics", status="401") >= 3


@pytest.mark.parametrize(
    "update",
    [{"metrics_enabled": False}, {"environment": "production"}],
    ids=["disabled", "production-without-token"],
)
def test_metrics_are_not_served_when_disabled_or_unprotected_in_production(settings: Settings, update) -> None:
    with LiveServer(settings.model_copy(update=update)) as server:
        assert httpx.get(f"{server.url}/metrics").status_code == 404
        assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_two_workers_report_one_total(settings: Settings, owner_url: URL, demo_data, tmp_path: Path) -> None:
    """`kkr serve --workers 2`: whichever worker answers a scrape, it reports every worker's requests."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    temporary = tmp_path / "tmp"  # where `kkr serve` creates the workers' metrics directory
    temporary.mkdir()
    env = serve_env(settings, owner_url, TMPDIR=str(temporary))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [str(KKR), "serve", "--port", str(port), "--workers", "2"], cwd=tmp_path, env=env, stdout=out, stderr=out
        )
    try:
        wait_until_answering(proc, f"{base}/readyz", 60, lambda: log_path.read_text(errors="replace")[-4000:])
        sent = 24
        query = {"query": "query Regions { regions { slug } }"}

        def send(_: int) -> int:
            return httpx.post(f"{base}/graphql", json=query, headers=bearer(SJAELLAND_READ), timeout=30).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(send, range(sent))) == {200}

        def total(samples: Samples) -> float:
            return value(samples, "kkr_http_requests_total", route="/graphql")

        settled(lambda: scrape(base), lambda s: total(s) == sent)
        scrapes = [scrape(base) for _ in range(8)]  # answered by either worker (fresh connections)
        assert [total(s) for s in scrapes] == [sent] * 8
        [directory] = temporary.glob("kkr-metrics-*")
        assert len(list(directory.glob("counter_*.db"))) == 2, "each worker writes its counts there"
        assert all(
            value(s, "kkr_http_requests_total", route="/graphql", operation="other", status="200") == sent
            for s in scrapes
        )
    finally:
        stop_process(proc)
    assert proc.returncode == 0, log_path.read_text(errors="replace")[-4000:]
    assert not list(temporary.glob("kkr-metrics-*")), "the metrics directory is removed when the server stops"
