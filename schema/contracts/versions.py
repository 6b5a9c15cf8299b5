"""The latest-version rule of result contracts, written once for the read side.

A hub's contract for a year may have several versions (a new version supersedes the earlier one); unless a
caller asks for all versions, only the **latest visible version** counts: no version of the same region,
hub and year with a higher number is visible to the caller (row-level security decides what is visible).

Every read path filters with `is_latest_version()` in SQL: the contract lists (`resultContracts`,
`Region.resultContracts`, `BusinessHub.resultContracts`), `resultContract`, `goals` and
`publishedContracts`.  The aggregate functions of migration 0002 and the benchmarking SQL of the platform
spell the same condition in SQL text (`LATEST_VERSION_SQL` below is that text); tests/test_latest_version.py
checks that every path gives the same answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import aliased

from kkr.platform.models import ResultContract

#: The rule as SQL text for a contract aliased `c` (migration 0002's `LATEST_VERSION`, word for word).
LATEST_VERSION_SQL = (
    "NOT EXISTS (SELECT 1 FROM result_contract n WHERE n.tenant_id = c.tenant_id"
    " AND n.business_hub_slug = c.business_hub_slug AND n.year = c.year AND n.version > c.version)"
)


def is_latest_version(contract: Any = ResultContract) -> ColumnElement[bool]:
    """`contract` (the model or an alias of it) is the latest visible version of its region, hub and year."""
    newer = aliased(ResultContract)
    return ~exists().where(
        newer.tenant_id == contract.tenant_id,
        newer.business_hub_slug == contract.business_hub_slug,
        newer.year == contract.year,
        newer.version > contract.version,
    )
