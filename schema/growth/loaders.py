"""DataLoaders of the growth-team domain."""

from __future__ import annotations

from kkr.platform.models import GrowthTeam, GrowthTeamMember

from ..common.loaders import ManyByKey, OneByKey
from ..common.text import danish_sort_key

GROWTH_TEAM_BY_ID = OneByKey(GrowthTeam.id)
GROWTH_TEAMS_BY_TENANT = ManyByKey(GrowthTeam.tenant_id, order_by=(danish_sort_key(GrowthTeam.name), GrowthTeam.id))
MEMBER_BY_ID = OneByKey(GrowthTeamMember.id)
MEMBERS_BY_TEAM = ManyByKey(GrowthTeamMember.growth_team_id, order_by=(GrowthTeamMember.position, GrowthTeamMember.id))
