"""Fields of mutation inputs, each declared once: its GraphQL type, description, rule and id type.

A field of an input is declared with one of the helpers below; the `FieldSpec` in its Strawberry
metadata says what the mutation pipeline (`schema/common/mutations.py`) does with it:

- `editable(rule, description)`: a column of the object, checked by its `Rule`
  (`kkr.platform.services.validation`) and handed to the service in `Input.values`;
- `reference(type_name, description)`: a global ID, decoded and checked against `type_name`
  (`SELF`: the mutation's own object type), handed over as the row's key; with `editable=True`
  a column (a goal's national goal), else in `Input.args` (the parent a new row belongs to);
- `parameter(rule, description)`: steers the mutation without being a column (a status, a date,
  `expectedRevision`), in `Input.args`;
- `nested(description)`: a list of nested inputs created with the object (an indicator's targets).

A field whose rule is required is non-null in GraphQL on a create input; every other one may be left
out (UNSET).  A `Choice()` on a field of a GraphQL enum checks the model enum that enum mirrors.  An update input is derived from the create input by `updating()`: the same editable
fields, all optional, plus `id` and `rowVersion`, so a new field is declared in one place.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
import uuid
from typing import Any

import strawberry
from strawberry import UNSET, relay
from strawberry.types.base import get_object_definition

from kkr.platform.services.validation import Given, Ref, Rule, Text

#: The key of a field's `FieldSpec` in its Strawberry metadata.
SPEC = "kkr.mutation_field"
#: The id type of an `id` field: the object type of the mutation the input is used by.
SELF = "SELF"
#: Node types whose ids are slugs or codes; every other node id is a UUID.
KEYED_BY_TEXT = frozenset({"Region", "BusinessHub", "FrameworkAgreement", "Municipality"})

ROW_VERSION = "The object's rowVersion as you last read it; a stale one is refused with STALE_VERSION."


class Kind(enum.Enum):
    EDITABLE = "editable"
    PARAMETER = "parameter"
    NESTED = "nested"


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """What the mutation pipeline does with one input field."""

    kind: Kind
    rule: Rule
    #: The GraphQL type a global ID must be of (`SELF`: the mutation's object type); None for other fields.
    id_type: str | None = None


def _field(spec: FieldSpec, description: str) -> Any:
    default: Any = dataclasses.MISSING if spec.rule.required else UNSET
    return strawberry.field(default=default, description=description, metadata={SPEC: spec})


def editable(rule: Rule, description: str) -> Any:
    """A column of the object, checked by `rule` (required: non-null on create)."""
    return _field(FieldSpec(Kind.EDITABLE, rule), description)


def parameter(rule: Rule, description: str) -> Any:
    """A field that steers the mutation without being a column (a status, a date, an expected revision)."""
    return _field(FieldSpec(Kind.PARAMETER, rule), description)


def reference(
    type_name: str,
    description: str,
    *,
    required: bool = False,
    editable: bool = False,
    column: str | None = None,
    max_length: int = 64,
) -> Any:
    """A global ID of `type_name`, handed over as the row's key (a UUID, or a slug or code)."""
    key_type = str if type_name in KEYED_BY_TEXT else uuid.UUID
    rule = Ref(key_type=key_type, required=required, column=column, max_length=max_length)
    kind = Kind.EDITABLE if editable or column else Kind.PARAMETER
    return _field(FieldSpec(kind, rule, type_name), description)


def nested(description: str) -> Any:
    """A list of nested inputs, created with the object; each is checked with its index in the path."""
    return _field(FieldSpec(Kind.NESTED, Given()), description)


def row_version() -> Any:
    """The `rowVersion` of an update or delete (the service refuses a stale one)."""
    return parameter(Given(required=True), ROW_VERSION)


def spec_of(field: Any) -> FieldSpec | None:
    """The `FieldSpec` of a Strawberry input field (None for a field not declared with these helpers)."""
    spec = field.metadata.get(SPEC)
    return spec if isinstance(spec, FieldSpec) else None


@strawberry.input(description="Provenance of a record: source document, place in it and a note.")
class SourcedInput:
    source_document: str | None = editable(
        Text(max_length=64, column="source_document_key"), "Key of the source document, e.g. 'seed-002'."
    )
    source_locator: str | None = editable(
        Text(max_length=64), "Line range ('L240-332') or page ('p. 4') in the source document."
    )
    note: str | None = editable(Text(), "A note on the record, e.g. a discrepancy in the source kept as printed.")


@strawberry.input(description="The object to delete, at the version you last read.")
class DeleteInput:
    id: relay.GlobalID = reference(SELF, "The object to delete.", required=True)
    row_version: int = row_version()


def _on_update(description: str | None) -> str | None:
    """A create field's description for the update: without what applies when it is left out on create."""
    return re.sub(r"\s*\(default\b[^)]*\)", "", description) if description else description


def updating(
    fields: type,
    name: str,
    description: str,
    id_description: str,
    *,
    with_row_version: bool = True,
) -> type:
    """The update input of an object: `id` (and `rowVersion`) and the editable fields of `fields`, all optional.

    Fields left out are not changed; null clears an optional one (a required one is REQUIRED)."""
    definition = get_object_definition(fields, strict=True)
    hints = typing.get_type_hints(fields)
    annotations: dict[str, Any] = {"id": relay.GlobalID}
    namespace: dict[str, Any] = {"id": reference(SELF, id_description, required=True)}
    if with_row_version:
        annotations["row_version"] = int
        namespace["row_version"] = row_version()
    for field in definition.fields:
        spec = spec_of(field)
        if spec is None or spec.kind is not Kind.EDITABLE:
            continue
        annotations[field.python_name] = hints[field.python_name] | None
        namespace[field.python_name] = strawberry.field(
            default=UNSET, description=_on_update(field.description), metadata=field.metadata
        )
    namespace["__annotations__"] = annotations
    namespace["__module__"] = fields.__module__
    return strawberry.input(type(name, (), namespace), name=name, description=description)
