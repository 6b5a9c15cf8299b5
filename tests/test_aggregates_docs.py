"""docs/benchmarking.md, the ministries' part: every GraphQL example runs for a ministry token, and the
payments table printed after the first one is its answer."""

from __future__ import annotations

import re

import httpx
import pytest

from .api_client import gql
from .paths import REPO_ROOT
from .test_aggregates_helpers import MINISTRY

pytestmark = pytest.mark.usefixtures("demo_data")

SECTION = (REPO_ROOT / "docs" / "benchmarking.md").read_text(encoding="utf-8").split("\n## Ministries", 1)[1]
QUERIES = re.findall(r"```graphql\n(.*?)```", SECTION, re.S)
INLINE = re.findall(r"`(aggregate\(family: [^`]*\))`", SECTION)


def test_the_section_has_examples() -> None:
    assert QUERIES and len(INLINE) >= 2


@pytest.mark.parametrize(
    "query", QUERIES + [f"{{ {q} {{ cells {{ sum mean median min max suppressed }} }} }}" for q in INLINE]
)
def test_every_example_runs_for_a_ministry(client: httpx.Client, query: str) -> None:
    assert gql(client, query, None, MINISTRY)["aggregate"]["cells"]


def test_the_payments_table_is_the_answer(client: httpx.Client) -> None:
    table = SECTION.split(QUERIES[0], 1)[1].split("|---|", 1)[1].split("\n\n", 1)[0]
    printed = [[c.strip() for c in line.strip("|").split("|")] for line in table.strip().splitlines()[1:]]
    cells = gql(client, QUERIES[0], None, MINISTRY)["aggregate"]["cells"]
    rows = [
        [("total" if c["total"] else c["value"]) for c in cell["coordinates"]]
        + [str(cell["contributors"]), str(cell["count"]), cell["sum"]]
        for cell in cells
    ]
    assert [[*row[:4], row[4].split(" ")[0]] for row in printed] == rows
