"""Relay cursor pagination over real HTTP: first/after, last/before, totalCount, the maximum page size,
both for lists paginated in SQL (root queries) and in memory (nested lists from DataLoaders)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .api_client import SJAELLAND_READ, gql, post

pytestmark = pytest.mark.usefixtures("demo_data")

PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  municipalities(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name } }
  }
}"""


def page(client: httpx.Client, **arguments: object) -> dict[str, Any]:
    return gql(client, PAGE, arguments, SJAELLAND_READ)["municipalities"]


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


@pytest.fixture(scope="module")
def all_names(client_module: httpx.Client) -> list[str]:
    return names(page(client_module, first=100))


@pytest.fixture(scope="module")
def client_module(live_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        yield c


def test_forward_pages_cover_the_list_exactly_once(client: httpx.Client, all_names: list[str]) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        current = page(client, first=15, after=after)
        assert current["totalCount"] == 98
        assert current["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += names(current)
        pages += 1
        if not current["pageInfo"]["hasNextPage"]:
            break
        after = current["pageInfo"]["endCursor"]
        assert current["edges"][-1]["cursor"] == after
    assert pages == 7 and seen == all_names


def test_last_and_before_page_backwards(client: httpx.Client, all_names: list[str]) -> None:
    tail = page(client, last=5)
    assert names(tail) == all_names[-5:]
    assert tail["pageInfo"]["hasPreviousPage"] is True and tail["pageInfo"]["hasNextPage"] is False
    first_ten = page(client, first=10)
    tenth = first_ten["edges"][9]["cursor"]
    before = page(client, last=3, before=tenth)
    assert names(before) == all_names[6:9]
    assert before["pageInfo"]["hasPreviousPage"] is True and before["pageInfo"]["hasNextPage"] is True
    between = page(client, first=50, after=first_ten["edges"][1]["cursor"], before=tenth)
    assert names(between) == all_names[2:9]


def test_an_empty_page_past_the_end(client: httpx.Client) -> None:
    last = page(client, last=1)
    beyond = page(client, first=10, after=last["pageInfo"]["endCursor"])
    assert beyond["edges"] == [] and beyond["pageInfo"]["hasNextPage"] is False
    assert beyond["pageInfo"]["startCursor"] is None and beyond["totalCount"] == 98


def test_total_count_alone_fetches_no_rows(client: httpx.Client) -> None:
    data = gql(client, "{ municipalities { totalCount } businessHubs { totalCount } }", None, SJAELLAND_READ)
    assert data == {"municipalities": {"totalCount": 98}, "businessHubs": {"totalCount": 6}}


def test_a_page_without_first_or_last_is_at_most_the_maximum_page_size(client: httpx.Client) -> None:
    data = gql(
        client, "{ benchmarkObservations { totalCount pageInfo { hasNextPage } nodes { id } } }", None, SJAELLAND_READ
    )["benchmarkObservations"]
    assert data["totalCount"] > 100
    assert len(data["nodes"]) == 100 and data["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("arguments", "message", "code"),
    [
        (
            {"first": 101},
            "Argument 'first' is 101, above the maximum page size of 100 (setting MAX_PAGE_SIZE)",
            "PAGE_TOO_LARGE",
        ),
        ({"last": 500}, "Argument 'last' is 500, above the maximum page size of 100", "PAGE_TOO_LARGE"),
        ({"first": -1}, "Argument 'first' must be a non-negative integer.", "BAD_USER_INPUT"),
    ],
)
def test_page_sizes_are_checked_before_execution(
    client: httpx.Client, arguments: dict[str, Any], message: str, code: str
) -> None:
    """Static checks of first/last (schema/limits): a request error, nothing runs."""
    body = post(client, PAGE, arguments, SJAELLAND_READ)
    assert "data" not in body
    [error] = body["errors"]
    assert error["message"].startswith(message)
    assert error["extensions"]["code"] == code and "path" not in error


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"after": "bm9wZQ=="}, "Argument 'after' is not a valid cursor."),
        ({"before": "not base64 at all"}, "Argument 'before' is not a valid cursor."),
        (
            {"after": "YXJyYXljb25uZWN0aW9uOjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"},  # offset 99999999999999999999999
            "Argument 'after' is not a valid cursor.",
        ),
    ],
)
def test_bad_pagination_arguments_are_clear_errors(
    client: httpx.Client, arguments: dict[str, Any], message: str
) -> None:
    body = post(client, PAGE, arguments, SJAELLAND_READ)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"].startswith(message)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["path"] == ["municipalities"]


def test_the_maximum_page_size_itself_is_allowed(client: httpx.Client) -> None:
    assert len(page(client, first=100)["edges"]) == 98


def test_nested_connections_paginate_too(client: httpx.Client) -> None:
    query = """query($after: String) { resultContract(businessHub: "sjaelland", year: 2020) {
        goals(first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { code } } } }"""
    first = gql(client, query, {}, SJAELLAND_READ)["resultContract"]["goals"]
    second = gql(client, query, {"after": first["pageInfo"]["endCursor"]}, SJAELLAND_READ)["resultContract"]["goals"]
    assert [g["code"] for g in first["nodes"]] == ["1", "2", "3", "4"]
    assert [g["code"] for g in second["nodes"]] == ["5", "6", "7", "8"]
    assert first["totalCount"] == second["totalCount"] >= 9 and first["pageInfo"]["hasNextPage"]
    body = post(
        client, '{ region(slug: "sjaelland") { municipalities(first: 1000) { totalCount } } }', None, SJAELLAND_READ
    )
    assert "above the maximum page size of 100" in body["errors"][0]["message"]


def test_nodes_takes_at_most_one_page_of_ids(client: httpx.Client) -> None:
    first_three = gql(client, "{ municipalities(first: 3) { nodes { id } } }", None, SJAELLAND_READ)
    ids = [n["id"] for n in first_three["municipalities"]["nodes"]]
    found = gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}, SJAELLAND_READ)["nodes"]
    assert [n["id"] for n in found] == ids
    body = post(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids * 34}, SJAELLAND_READ)
    [error] = body["errors"]
    assert error["message"] == "Argument 'ids' has 102 ids, above the maximum page size of 100."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
