"""The root `Mutation` type: every domain's mutations merged into one.

Every mutation takes one `input`, runs in one transaction with the caller's tenant
context and returns a payload with the object (or null) and `errors`
(see `schema/common/errors.py`).  Calls need a `region:<slug>:write` scope.
"""

from __future__ import annotations

import strawberry

from .climate.mutations import ClimateMutation
from .contracts.mutations import ContractsMutation
from .growth.mutations import GrowthMutation


@strawberry.type(description="Everything a region's editors can change.")
class Mutation(ContractsMutation, GrowthMutation, ClimateMutation):
    pass
