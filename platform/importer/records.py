"""Reading one curated record with typed fields, collecting errors that name file, record and field."""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from ..text import PROBLEM, unstorable
from .numbers import parse_danish_number

E = TypeVar("E", bound=enum.Enum)

#: Namespace of the ids the importer derives from natural keys (UUID version 5).
#: Rows created through the API get random (version 4) ids, so the two never mix.
CURATED_NAMESPACE = uuid.UUID("5b0c6f6e-1f0a-4a53-9d0c-6b6b7272a001")


def curated_id(*key: object) -> uuid.UUID:
    return uuid.uuid5(CURATED_NAMESPACE, "/".join(str(k) for k in key))


@dataclass(frozen=True)
class DataError:
    """One bad value: where it is and what is wrong with it."""

    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: field '{self.field}': {self.message}"


class InvalidData(Exception):
    """The curated files contain errors; nothing was written."""

    def __init__(self, errors: list[DataError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Reader:
    """Typed access to one record (a YAML mapping).  Errors are collected, not raised."""

    file: str
    label: str
    data: Any
    errors: list[DataError]
    #: source document key -> number of lines of its seed file (None: not a line-numbered file)
    sources: dict[str, int | None] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)
    _figures: list[str] = field(default_factory=list)
    _is_part: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.data, dict):
            self.error("(record)", f"expected a mapping, got {type(self.data).__name__}")
            self.data = {}

    def error(self, name: str, message: str) -> None:
        self.errors.append(DataError(self.file, self.label, name, message))

    def child(self, label: str, data: Any) -> Reader:
        """A record nested in this one, with a source of its own."""
        return Reader(self.file, f"{self.label} > {label}", data, self.errors, self.sources)

    def part(self, label: str, data: Any) -> Reader:
        """A part of this record (e.g. a target's baseline): its figures are this record's, under its source."""
        return Reader(
            self.file, f"{self.label} > {label}", data, self.errors, self.sources, _figures=self._figures, _is_part=True
        )

    def raw(self, name: str) -> Any:
        self._seen.add(name)
        return self.data.get(name)

    def _given(self, name: str, required: bool) -> Any:
        """The field's value; None when it is not given (an error if it is `required`)."""
        value = self.raw(name)
        if value is None and required:
            self.error(name, "is required")
        return value

    def require(self, name: str, why: str) -> None:
        """An error unless the field is given: `why` says what it must hold."""
        if self.raw(name) is None:
            self.error(name, f"is required: {why}")

    def present(self, name: str) -> bool:
        return self.data.get(name) is not None

    def text(self, name: str, *, required: bool = True, max_length: int | None = None) -> str | None:
        value = self._given(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.error(name, f"expected text, got {type(value).__name__}")
            return None
        text = str(value).strip()
        if required and not text:
            self.error(name, "must not be empty")
        if unstorable(text):
            self.error(name, PROBLEM)
        if max_length and len(text) > max_length:
            self.error(name, f"is longer than {max_length} characters")
        return text

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self._given(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, f"expected a whole number, got {value!r}")
            return None
        return value

    def number(self, name: str, *, required: bool = False) -> Decimal | None:
        """A number: a YAML integer, or a string in Danish format ("1.445.162", "6,04")."""
        value = self._given(name, required)
        if value is None:
            return None
        self._figures.append(name)
        if isinstance(value, bool):
            self.error(name, f"expected a number, got {value!r}")
        elif isinstance(value, int):
            return Decimal(value)
        elif isinstance(value, float):
            self.error(name, f"{value!r} is ambiguous: write decimals as a string in Danish format, e.g. '6,04'")
        elif isinstance(value, str):
            try:
                return parse_danish_number(value)
            except ValueError as exc:
                self.error(name, str(exc))
        else:
            self.error(name, f"expected a number, got {type(value).__name__}")
        return None

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        value = self._given(name, required)
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.error(name, f"{value!r} is not an ISO date (YYYY-MM-DD)")
            return None

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(name, f"expected true or false, got {value!r}")
            return default
        return value

    def choice(self, name: str, enum_type: type[E], *, default: E | None = None) -> E | None:
        value = self.raw(name)
        if value is None:
            if default is None:
                self.error(name, "is required")
            return default
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum_type)
            self.error(name, f"{value!r} is not one of: {allowed}")
            return None

    def ref(self, name: str, known: set[str] | dict[str, Any], what: str, *, required: bool = True) -> str | None:
        value = self.text(name, required=required)
        if value is not None and value not in known:
            self.error(name, f"unknown {what} {value!r}")
            return None
        return value

    def strings(self, name: str) -> list[str]:
        value = self.raw(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(name, "expected a list of texts")
            return []
        return [v.strip() for v in value]

    def records(self, name: str) -> list[Any]:
        value = self.raw(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(name, "expected a list")
            return []
        return value

    def each(
        self, name: str, label: str | Callable[[int, Any], str], *, required: str | None = None
    ) -> Iterator[tuple[int, Reader]]:
        """The records of the list `name`, each with its position as a child reader labelled `label[i]` (or
        `label(i, record)`), each `done()` as the loop moves on; `required`: the error when there is none."""
        items = self.records(name)
        if required and not items:
            self.error(name, required)
        for i, item in enumerate(items):
            child = self.child(label(i, item) if callable(label) else f"{label}[{i}]", item)
            yield i, child
            child.done()

    def source(self) -> dict[str, Any]:
        """The `source` of the record as column values (document key and locator) plus `note`."""
        note = self.text("note", required=False)
        value = self.raw("source")
        if value is None:
            return {"source_document_key": None, "source_locator": None, "note": note}
        src = self.child("source", value)
        doc = src.ref("doc", self.sources, "source document (see national/sources.yaml)")
        lines = src.text("lines", required=False)
        page = src.text("page", required=False)
        if lines and not re.fullmatch(r"\d+(\s*[-–]\s*\d+)?(\s*,\s*\d+(\s*[-–]\s*\d+)?)*", lines):
            src.error("lines", f"{lines!r} is not a line range like '240-332'")
        elif lines and doc:
            _check_ranges(src, lines, self.sources.get(doc))
        src.done()
        locator = f"L{lines}" if lines else (f"p. {page}" if page else None)
        return {"source_document_key": doc, "source_locator": locator, "note": note}

    def done(self) -> None:
        """Report fields nobody asked for (typos or unsupported data), and figures without a source."""
        if self._figures and not self._is_part and self.raw("source") is None:
            self.error("source", f"is required for a record with figures ({', '.join(dict.fromkeys(self._figures))})")
        for name in self.data:
            if name not in self._seen:
                self.error(str(name), "unknown field")


def by_code(what: str) -> Callable[[int, Any], str]:
    """A label of nested records named by their `code` ("goal 1a"), by position when they have none."""
    return lambda i, item: f"{what} {item.get('code') if isinstance(item, dict) else i}"


def _check_ranges(src: Reader, lines: str, line_count: int | None) -> None:
    """Each range of `lines` ("331, 362-366") runs forwards and lies inside its seed file."""
    for part in (piece.strip() for piece in lines.split(",")):
        start, _, end = part.replace("–", "-").partition("-")
        first, last = int(start), int(end.strip() or start)
        if first < 1 or first > last:
            src.error("lines", f"the range {part!r} does not run forwards from line 1 or later")
        elif line_count is not None and last > line_count:
            src.error("lines", f"the range {part!r} ends after the seed file's last line ({line_count})")


def year_bounds(label: str | None) -> tuple[dt.date | None, dt.date | None]:
    """Start and end of a period label that is a year ('2021') or a span of years ('2021-2023')."""
    if label is None:
        return None, None
    match = re.fullmatch(r"(\d{4})(?:\s*[-–]\s*(\d{4}))?", label.strip())
    if not match:
        return None, None
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    return dt.date(first, 1, 1), dt.date(last, 12, 31)
