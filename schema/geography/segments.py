"""The canonical segment (course type or customer segment) of a printed segment text.

`target.segment` keeps the text as printed ("handlingsplan", "handlingsplaner");
`segment_spelling` maps every printed variant to one canonical segment, so
filters and series line up across years.  One SQL statement per batch of
printed texts.
"""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select

from kkr.platform.models import Segment as SegmentModel
from kkr.platform.models import SegmentSpelling as SpellingModel

from ..common.database import execute
from ..common.enums import SegmentKind
from ..common.loaders import request_loader


@strawberry.type(
    description="A canonical course type (forløbstype) or customer segment (kundesegment) that printed "
    "segment texts map to."
)
class CanonicalSegment:
    key: str = strawberry.field(description="Stable key, e.g. 'action-plan'.")
    name: str = strawberry.field(description="Danish canonical name, e.g. 'handlingsplaner'.")
    kind: SegmentKind = strawberry.field(
        description="A course type, a customer segment or several course types counted together."
    )
    description: str | None = strawberry.field(description="What the segment covers.")


async def _batch(context: Any, printed: list[str]) -> list[CanonicalSegment | None]:
    statement = (
        select(SpellingModel.printed, SegmentModel.key, SegmentModel.name, SegmentModel.kind, SegmentModel.description)
        .join(SegmentModel, SegmentModel.key == SpellingModel.segment_key)
        .where(SpellingModel.printed.in_(printed))
    )
    found = {
        r.printed: CanonicalSegment(key=r.key, name=r.name, kind=SegmentKind(r.kind), description=r.description)
        for r in (await execute(context, statement)).all()
    }
    return [found.get(p) for p in printed]


async def canonical_segment(info: strawberry.Info, printed: str | None) -> CanonicalSegment | None:
    """The canonical segment of a printed segment text; None when nothing is printed or the text is unmapped."""
    if not printed:
        return None
    segment: CanonicalSegment | None = await request_loader(info, "canonical-segment", _batch).load(printed)
    return segment
