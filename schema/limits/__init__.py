"""Query limits (issue 10; docs/security.md, "Limits"): every GraphQL request is measured before it is
validated or run, and refused with `extensions.code` naming the limit it passes.

- `document`: document size and tokens (the one bounded parser of request documents), variables' size;
- `analysis`: one linear walk for depth, aliases, root fields, repeated fields, directives, page sizes,
  searches and the cost;
- `sizes`: the cost model's assumed list sizes (one place);
- `extension`: `QueryLimits`, the Strawberry extension that applies them (first in schema/schema.py's list);
- `errors`: the codes and the error shape.

The settings are in platform/settings.py, section "Query limits".
"""

from .document import parse_document
from .errors import LimitExceeded
from .extension import PARSED_DOCUMENT, QueryLimits

__all__ = ["PARSED_DOCUMENT", "LimitExceeded", "QueryLimits", "parse_document"]
