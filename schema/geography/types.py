"""GraphQL types of the geography domain: regions (tenants)."""

from __future__ import annotations

import strawberry

from kkr.platform.models import Region as RegionModel


@strawberry.type(description="One of the five KKR regions (Kommunekontaktråd); the tenant of all regional data.")
class Region:
    slug: str = strawberry.field(description="Stable identifier, e.g. 'sjaelland'.")
    name: str = strawberry.field(description="Name of the region, e.g. 'Sjælland'.")
    kkr_name: str = strawberry.field(description="Name of the council, e.g. 'KKR Sjælland'.")

    @classmethod
    def from_model(cls, row: RegionModel) -> Region:
        return cls(slug=row.slug, name=row.name, kkr_name=row.kkr_name)
