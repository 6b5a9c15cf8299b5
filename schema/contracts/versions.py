"""The latest-version rule of result contracts, written once for the read side (and what "published" means).

A hub's contract for a year may have several versions (a new version supersedes the earlier one); unless a
caller asks for all versions, only the **latest visible version** counts: no version of the same region,
hub and year with a higher number is visible to the caller (row-level security decides what is visible).

Every read path filters with `is_latest_version()` in SQL: the contract lists (`resultContracts`,
`Region.resultContracts`, `BusinessHub.resultContracts`), `resultContract`, `goals` and
`publishedContracts`, KL's `comparableFigures`.  The platform's SQL text (the benchmarking statements) uses
`kkr.platform.models.contracts.LATEST_VERSION_SQL`, which is also, word for word, the text of the aggregate
functions of migration 0002 (an applied migration keeps its text); tests/test_latest_version.py checks that
the expression and the text choose the same rows and that every read path gives the same answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists
from sqlalchemy.orm import aliased

from kkr.platform.models import ResultContract
from kkr.platform.models import enums as model_enums
from kkr.platform.models.contracts import LATEST_VERSION_SQL

#: A contract is published when it is marked so and adopted, signed or reported (SQL: kkr_contract_published).
PUBLISHED_STATUSES = (
    model_enums.ContractStatus.adopted,
    model_enums.ContractStatus.signed,
    model_enums.ContractStatus.reported,
)

__all__ = ["LATEST_VERSION_SQL", "PUBLISHED_STATUSES", "is_latest_published", "is_latest_version", "is_published"]


def is_latest_version(contract: Any = ResultContract) -> ColumnElement[bool]:
    """`contract` (the model or an alias of it) is the latest visible version of its region, hub and year."""
    newer = aliased(ResultContract)
    return ~exists().where(
        newer.tenant_id == contract.tenant_id,
        newer.business_hub_slug == contract.business_hub_slug,
        newer.year == contract.year,
        newer.version > contract.version,
    )


def is_published(contract: Any = ResultContract) -> ColumnElement[bool]:
    """`contract` is published: marked published and adopted, signed or reported."""
    return and_(contract.published.is_(True), contract.status.in_(PUBLISHED_STATUSES))


def is_latest_published(contract: Any = ResultContract) -> ColumnElement[bool]:
    """The latest visible version of its region, hub and year, and published (what others may compare)."""
    return and_(is_published(contract), is_latest_version(contract))
