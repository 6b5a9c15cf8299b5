"""DataLoaders of the organisations domain: hubs, their offices and boards, KKR members, partnerships."""

from __future__ import annotations

from sqlalchemy import Case, case
from sqlalchemy.orm import InstrumentedAttribute

from kkr.platform.models import BusinessHub, HubBoardMember, HubOffice, KkrMember, Partnership
from kkr.platform.models.enums import CouncilRole, OfficeKind

from ..common.loaders import ManyByKey, OneByKey
from ..common.text import danish_sort_key

#: chair, vice chair, members, secretariat
_ROLE_ORDER = {CouncilRole.chair: 0, CouncilRole.vice_chair: 1, CouncilRole.member: 2, CouncilRole.secretariat: 3}


def role_rank(column: InstrumentedAttribute[CouncilRole]) -> Case[int]:
    """chair, vice chair, members, secretariat (for ORDER BY)."""
    return case(_ROLE_ORDER, value=column, else_=9)


HUB_BY_SLUG = OneByKey(BusinessHub.slug)
#: the region's hubs answer the look-ups by slug too (a dashboard's contracts name their hub)
HUBS_BY_REGION = ManyByKey(
    BusinessHub.region_slug, order_by=(danish_sort_key(BusinessHub.name), BusinessHub.slug), primes=(HUB_BY_SLUG,)
)
OFFICE_BY_ID = OneByKey(HubOffice.id)
#: head office first, then branches (filialer) by town in Danish order
OFFICES_BY_HUB = ManyByKey(
    HubOffice.business_hub_slug,
    order_by=(
        case({OfficeKind.head_office: 0}, value=HubOffice.kind, else_=1),
        danish_sort_key(HubOffice.town),
        HubOffice.id,
    ),
)
BOARD_MEMBER_BY_ID = OneByKey(HubBoardMember.id)
BOARD_BY_HUB = ManyByKey(
    HubBoardMember.business_hub_slug,
    order_by=(
        HubBoardMember.position,
        role_rank(HubBoardMember.role),
        danish_sort_key(HubBoardMember.name),
        HubBoardMember.id,
    ),
)
KKR_MEMBER_BY_ID = OneByKey(KkrMember.id)
KKR_MEMBERS_BY_TENANT = ManyByKey(
    KkrMember.tenant_id, order_by=(role_rank(KkrMember.role), danish_sort_key(KkrMember.name), KkrMember.id)
)
PARTNERSHIP_BY_ID = OneByKey(Partnership.id)
