"""GraphQL types of benchmarking: published, comparable figures per hub or region."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry import relay

from ..common.nodes import LoadedNode
from ..common.rows import copied
from ..common.source import Source
from ..geography.relations import REGION
from ..organisations.relations import BUSINESS_HUB
from .loaders import OBSERVATION_BY_ID


@strawberry.type(
    description="A published, comparable figure for one hub or region (or the whole country),"
    " e.g. awareness of each hub in September 2020."
)
class BenchmarkObservation(LoadedNode):
    id: relay.NodeID[str]
    node_loader = OBSERVATION_BY_ID
    indicator_key: str = strawberry.field(description="Stable key of what is measured, e.g. 'hub-awareness'.")
    indicator_name: str = strawberry.field(description="What is measured, as printed.")
    business_hub_slug: str | None = strawberry.field(description="Slug of the hub the figure is for, if any.")
    region_slug: str | None = strawberry.field(description="Slug of the region the figure is for, if any.")
    period_label: str = strawberry.field(description="Period as printed, e.g. '2020-09'.")
    value: Decimal = strawberry.field(description="The figure.")
    unit: str = strawberry.field(description="Unit of the figure, e.g. 'percent'.")
    source: Source = strawberry.field(description="Where the figure is printed.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return copied(cls, row, id=str(row.id))

    business_hub = BUSINESS_HUB.field("The hub the figure is for, if any.", nullable=True)
    region = REGION.field("The region the figure is for, if any.", nullable=True)
