"""DataLoaders of the climate domain."""

from __future__ import annotations

from kkr.platform.models import ClimateInitiative, ClimateParticipant, ClimateTarget

from ..common.loaders import ManyByKey, OneByKey
from ..common.text import danish_sort_key

INITIATIVE_BY_ID = OneByKey(ClimateInitiative.id)
INITIATIVES_BY_TENANT = ManyByKey(
    ClimateInitiative.tenant_id,
    order_by=(danish_sort_key(ClimateInitiative.name), ClimateInitiative.id),
    partner_rows=True,  # a partner's region lists the initiative it shares with the caller
)
PARTICIPANT_BY_ID = OneByKey(ClimateParticipant.id)
PARTICIPANTS_BY_INITIATIVE = ManyByKey(
    ClimateParticipant.initiative_id,
    order_by=(
        ClimateParticipant.municipality_code.is_(None),
        ClimateParticipant.municipality_code,
        ClimateParticipant.organisation,
        ClimateParticipant.id,
    ),
)
CLIMATE_TARGET_BY_ID = OneByKey(ClimateTarget.id)
TARGETS_BY_INITIATIVE = ManyByKey(ClimateTarget.initiative_id, order_by=(ClimateTarget.target_year, ClimateTarget.id))
