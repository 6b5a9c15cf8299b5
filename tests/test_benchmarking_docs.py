"""docs/benchmarking.md, KL's part: every GraphQL query runs for a KL token, and every JSON answer printed
after a query is exactly what the query returns on the demo data."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from kkr.platform.database import Database
from kkr.platform.settings import Settings

from .paths import REPO_ROOT
from .test_benchmarking import run

pytestmark = pytest.mark.usefixtures("demo_data")

DOC = REPO_ROOT / "docs" / "benchmarking.md"
FENCE = re.compile(r"```(graphql|json)\n(.*?)```", re.S)


def kl_examples() -> list[tuple[str, dict[str, Any] | None]]:
    """(query, printed answer or None) of KL's section (up to the ministries' section)."""
    text = DOC.read_text(encoding="utf-8").split("\n## Ministries", 1)[0]
    blocks = FENCE.findall(text)
    examples = []
    for index, (kind, body) in enumerate(blocks):
        if kind == "graphql":
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            answer = json.loads(following[1]) if following and following[0] == "json" else None
            examples.append((body, answer))
    return examples


def test_the_doc_has_kl_examples() -> None:
    examples = kl_examples()
    assert len(examples) >= 6 and sum(answer is not None for _, answer in examples) >= 5


@pytest.mark.parametrize("index", range(len(kl_examples())))
async def test_kl_example_answers_as_printed(app_db: Database, settings: Settings, index: int) -> None:
    query, answer = kl_examples()[index]
    data, _ = await run(app_db, settings, query)
    if answer is not None:
        assert {"data": data} == answer


async def test_the_series_table_is_the_series_answer(app_db: Database, settings: Settings) -> None:
    text = DOC.read_text(encoding="utf-8").split("\n## Ministries", 1)[0]
    [query] = [body for kind, body in FENCE.findall(text) if kind == "graphql" and "benchmarkSeries" in body]
    table = text.split(query, 1)[1].split("| --- |", 1)[1].split("\n\n", 1)[0]
    printed = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[1:] if line]
    data, _ = await run(app_db, settings, query)
    rows = [
        [
            p["area"]["slug"],
            str(p["year"]),
            p["goalCode"] or "–",
            p["segment"]["key"] or "–",
            f"{p['target']['value']} ({p['target']['sourceKind']})",
            p["result"] or "–",
            str(p["rank"] or "–"),
            p["status"],
        ]
        for p in data["benchmarkSeries"]["points"]
    ]
    assert printed == rows
