"""Provenance: the source document and locator every curated record carries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from kkr.platform.models import SourceDocument as SourceDocumentModel

from .loaders import OneByKey
from .relations import to_one
from .rows import CopiedFromRow

SOURCE_DOCUMENT_BY_KEY = OneByKey(SourceDocumentModel.key)


@strawberry.type(description="A paper curated figures come from (a seed file of KKR meeting papers, or 'external').")
class SourceDocument(CopiedFromRow):
    key: str = strawberry.field(description="Stable key of the document, e.g. 'seed-002'.")
    title: str = strawberry.field(description="Title of the document, e.g. 'KKR Sjælland, bilag til møde april 2019'.")
    file: str | None = strawberry.field(description="The seed file whose line numbers the locators refer to.")
    region_slug: str | None = strawberry.field(description="Slug of the region whose papers these are, if any.")
    published_on: dt.date | None = strawberry.field(description="Publication date, when known.")
    note: str | None = strawberry.field(description="Curator's note on the document.")


@strawberry.type(description="Where a curated record comes from: document, place in it, and the curator's note.")
class Source:
    document_key: str | None = strawberry.field(
        description="Key of the source document, e.g. 'seed-002' or 'external'."
    )
    locator: str | None = strawberry.field(
        description="Line range ('L240-332') or page ('p. 4') in the source document."
    )
    note: str | None = strawberry.field(
        description="Curator's note, e.g. a discrepancy in the source that was kept as printed."
    )

    document = to_one(
        SOURCE_DOCUMENT_BY_KEY,
        "document_key",
        SourceDocument,
        nullable=True,
        description="The source document (title, region, publication date).",
    )


def source_of(row: Any) -> Source:
    """The `Source` of a row with the `Sourced` columns."""
    return Source(document_key=row.source_document_key, locator=row.source_locator, note=row.note)
