"""The to-one relations to organisations that other types share: a record's business hub and partnership."""

from __future__ import annotations

from ..common.relations import ToOne, lazy_type
from .loaders import HUB_BY_SLUG, PARTNERSHIP_BY_ID

_TYPES = "kkr.schema.organisations.types"

#: the business hub of a record with `business_hub_slug`
BUSINESS_HUB = ToOne(HUB_BY_SLUG, "business_hub_slug", lazy_type("BusinessHub", _TYPES))
#: the cross-region partnership of a record with `partnership_id` (null when it has none or it is not visible)
PARTNERSHIP = ToOne(PARTNERSHIP_BY_ID, "partnership_id", lazy_type("Partnership", _TYPES))
