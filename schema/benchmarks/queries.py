"""Queries of benchmarking: published comparable figures (shared reference data)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import strawberry
from sqlalchemy import select

from kkr.platform.models import BenchmarkObservation as BenchmarkObservationModel

from ..common.connection import Connection, QueryNodes, connection
from ..common.database import where_given
from ..permissions import SharedRead
from .types import BenchmarkObservation


@strawberry.type
class BenchmarksQuery:
    @connection(
        Connection[BenchmarkObservation],
        description="Published comparable figures per hub or region, by indicator, period and hub.",
        permission_classes=[SharedRead],
    )
    async def benchmark_observations(
        self,
        info: strawberry.Info,
        indicator_key: Annotated[str | None, strawberry.argument(description="Only this indicator's figures.")] = None,
        business_hub: Annotated[
            str | None, strawberry.argument(description="Only figures for this hub (slug).")
        ] = None,
        region: Annotated[str | None, strawberry.argument(description="Only figures for this region (slug).")] = None,
        period: Annotated[
            str | None, strawberry.argument(description="Only this period label, e.g. '2020-09'.")
        ] = None,
    ) -> Iterable[BenchmarkObservation]:
        b = BenchmarkObservationModel
        statement = select(b).order_by(b.indicator_key, b.period_label, b.business_hub_slug, b.region_slug, b.id)
        statement = where_given(
            statement,
            (b.indicator_key, indicator_key),
            (b.business_hub_slug, business_hub),
            (b.region_slug, region),
            (b.period_label, period),
        )
        return QueryNodes(statement, BenchmarkObservation.from_row)
