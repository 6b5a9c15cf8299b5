"""`schema.common.rows.copied`: rows read into Strawberry types by field name (enums, Private fields, overrides,
source), and a loud error when a row lacks a field's attribute."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest

from kkr.platform.models import Goal as GoalModel
from kkr.platform.models import ResultContract as ResultContractModel
from kkr.platform.models import enums as model_enums
from kkr.schema.common.enums import ContractStatus, GoalCategory
from kkr.schema.common.rows import RowMismatch, copied
from kkr.schema.common.source import Source, SourceDocument
from kkr.schema.contracts.types import Goal, ResultContract


def _contract_row() -> ResultContractModel:
    return ResultContractModel(
        id=uuid.uuid4(),
        supersedes_id=uuid.uuid4(),
        tenant_id="sjaelland",
        business_hub_slug="sjaelland",
        framework_agreement_slug=None,
        year=2021,
        title="Resultatkontrakt 2021",
        status=model_enums.ContractStatus.signed,
        version=2,
        published=True,
        adopted_on=dt.date(2021, 1, 20),
        signed_on=None,
        fulfilment_rule=None,
        reported_fulfilment_pct=Decimal("87.5"),
        row_version=3,
        source_document_key="seed-002",
        source_locator="L240-332",
        note="as printed",
    )


def test_a_contract_row_is_copied_by_name_with_ids_region_enum_and_source() -> None:
    row = _contract_row()
    contract = ResultContract.from_row(row)
    assert contract.id == str(row.id)
    assert contract.row_id == row.id
    assert contract.supersedes_id == row.supersedes_id  # a strawberry.Private field
    assert contract.region_slug == "sjaelland"  # the override region_slug=row.tenant_id
    assert contract.status is ContractStatus.SIGNED  # the GraphQL enum, not the model's member
    assert (contract.year, contract.version, contract.published) == (2021, 2, True)
    assert contract.reported_fulfilment_pct == Decimal("87.5")
    assert contract.row_version == 3
    assert contract.source == Source(document_key="seed-002", locator="L240-332", note="as printed")


def test_overrides_win_and_optional_enums_convert() -> None:
    row = GoalModel(
        id=uuid.uuid4(),
        contract_id=uuid.uuid4(),
        national_goal_id=None,
        partnership_id=None,
        tenant_id="nordjylland",
        code="5C",
        category=model_enums.GoalCategory.local,
        title="Flere virksomheder",
        description=None,
        measurement_method=None,
        data_source=None,
        position=1,
        reported_fulfilment_pct=None,
        row_version=1,
        source_document_key=None,
        source_locator=None,
        note=None,
    )
    goal = Goal.from_row(row)
    assert goal.category is GoalCategory.LOCAL
    assert goal.contract_id == row.contract_id and goal.national_goal_id is None
    renamed = copied(Goal, row, id="x", row_id=row.id, region_slug="other", title="Overridden")
    assert (renamed.id, renamed.region_slug, renamed.title, renamed.code) == ("x", "other", "Overridden", "5C")


def test_a_type_without_source_columns_copies_plain_attributes() -> None:
    row = SimpleNamespace(
        key="seed-002", title="Bilag", file="seed-002.md", region_slug=None, published_on=None, note="n"
    )
    document = SourceDocument.from_row(row)
    assert (document.key, document.title, document.file, document.note) == ("seed-002", "Bilag", "seed-002.md", "n")


def test_a_missing_row_attribute_names_the_type_and_the_field() -> None:
    row = SimpleNamespace(key="seed-002", title="Bilag", file=None, region_slug=None, published_on=None)
    with pytest.raises(RowMismatch, match=r"SourceDocument\.from_row: .*no attribute 'note'"):
        SourceDocument.from_row(row)
