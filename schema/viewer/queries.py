"""`viewer`: who is calling.  Open to every caller, anonymous included.

It reads only the verified identity of the request (no database), so it
reveals nothing a caller does not already hold in its token; it also gives an
anonymous caller's schema a field, so that GraphiQL and other tools accept it.
"""

from __future__ import annotations

import strawberry

from ..common.fields import field
from ..permissions import Everyone
from .types import Viewer


@strawberry.type
class ViewerQuery:
    @field(
        description="Who the caller is: subject, machine client, scopes and the regions it may read and change. "
        "Open to everyone; anonymous callers get `isAnonymous: true` and no scopes.",
        permission_classes=[Everyone],
    )
    def viewer(self, info: strawberry.Info) -> Viewer:
        info.context.personal = True  # the same scopes, another subject: another answer (response cache)
        return Viewer.of(info.context.identity)
