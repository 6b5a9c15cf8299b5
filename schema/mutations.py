"""The root `Mutation` type: every domain's mutations merged into one.

Every mutation takes one `input`, runs in one transaction with the caller's tenant
context and returns a payload with the object (or null) and `errors`
(see `schema/common/mutations.py`).  The domains' mutations need a `region:<slug>:write`
scope; the operators' (`admin/mutations.py`: machine clients) need `admin`.
"""

from __future__ import annotations

import strawberry

from .admin.mutations import AdminMutation
from .climate.mutations import ClimateMutation
from .contracts.mutations import ContractsMutation
from .growth.mutations import GrowthMutation


@strawberry.type(description="Everything a region's editors (and, for machine clients, operators) can change.")
class Mutation(ContractsMutation, GrowthMutation, ClimateMutation, AdminMutation):
    pass
