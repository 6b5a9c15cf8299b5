"""`where_given` (kkr.schema.common.database): one equality per filter argument given, none for one left out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql

from kkr.platform.models import Municipality
from kkr.schema.common.database import where_given


def _sql(statement: Select[Any]) -> str:
    return str(statement.compile(dialect=postgresql.dialect()))


def test_no_value_given_leaves_the_statement_as_it_is() -> None:
    statement = select(Municipality).where(Municipality.name == "Aarhus")
    assert where_given(statement, (Municipality.region_slug, None), (Municipality.code, None)) is statement


def test_each_given_value_is_one_equality_in_order() -> None:
    m = Municipality
    statement = where_given(select(m), (m.region_slug, "sjaelland"), (m.business_hub_slug, None), (m.code, "0"))
    where = _sql(statement).split("WHERE", 1)[1]
    assert (
        where.strip()
        == "municipality.region_slug = %(region_slug_1)s::VARCHAR AND municipality.code = %(code_1)s::VARCHAR"
    )
