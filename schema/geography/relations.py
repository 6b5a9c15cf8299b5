"""The to-one relations to geography that other types share: a record's region and municipality."""

from __future__ import annotations

from ..common.relations import ToOne, lazy_type
from .loaders import MUNICIPALITY_BY_CODE, REGION_BY_SLUG

_TYPES = "kkr.schema.geography.types"

#: the region of a record with `region_slug` (a tenant's records: the region that owns them)
REGION = ToOne(REGION_BY_SLUG, "region_slug", lazy_type("Region", _TYPES))
#: the municipality of a record with `municipality_code`
MUNICIPALITY = ToOne(MUNICIPALITY_BY_CODE, "municipality_code", lazy_type("Municipality", _TYPES))
