"""The input declarations drive the mutations: every field of every mutation input declares its rule
(and, for a global ID, the type it must be of), update inputs are derived from the create inputs, and
the pipeline applies exactly what is declared (schema/common/inputs.py, schema/common/mutations.py)."""

from __future__ import annotations

import enum
import uuid
from typing import Any

import pytest
import strawberry
from strawberry import relay
from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition

from kkr.platform.services.errors import ErrorCode, ServiceError
from kkr.platform.services.validation import Choice, Integer, Text
from kkr.schema.common.errors import mutation_errors
from kkr.schema.common.inputs import KEYED_BY_TEXT, SELF, Kind, editable, reference, spec_of, updating
from kkr.schema.common.mutations import SERVICES, field_specs, validate
from kkr.schema.contracts.inputs import CreateIndicatorInput
from kkr.schema.schema import NODE_TYPES, schema


def _unwrap(type_: Any) -> tuple[Any, bool]:
    """The named type of a field and whether GraphQL lets it be null."""
    nullable = isinstance(type_, StrawberryOptional)
    while isinstance(type_, StrawberryOptional | StrawberryList):
        type_ = type_.of_type
    return type_, nullable


def _inputs() -> dict[type, str]:
    """Every input type of the schema's mutations (nested ones included) -> a mutation using it."""
    mutation = schema.mutation
    assert mutation is not None
    found: dict[type, str] = {}

    def visit(input_type: type, where: str) -> None:
        if input_type in found:
            return
        found[input_type] = where
        for field in get_object_definition(input_type, strict=True).fields:
            inner, _ = _unwrap(field.type)
            if get_object_definition(inner) is not None:
                visit(inner, where)

    for field in get_object_definition(mutation, strict=True).fields:
        for argument in field.arguments:
            inner, _ = _unwrap(argument.type)
            visit(inner, field.python_name)
    return found


def test_every_field_of_every_mutation_input_declares_its_rule_and_id_type() -> None:
    node_types = {get_object_definition(t, strict=True).name for t in NODE_TYPES}
    inputs = _inputs()
    assert len(inputs) >= 29
    for input_type, mutation in inputs.items():
        fields = get_object_definition(input_type, strict=True).fields
        for name, (checked, _) in field_specs(input_type).items():  # a Choice() gets its field's model enum
            if isinstance(checked.rule, Choice):
                assert checked.rule.enum_type is not enum.Enum, f"{input_type.__name__}.{name}"
        changes = any(f.python_name == "id" for f in fields)
        for field in fields:
            where = f"{input_type.__name__}.{field.python_name} (used by {mutation})"
            spec = spec_of(field)
            assert spec is not None, f"{where}: declare it with editable/reference/parameter/nested"
            inner, nullable = _unwrap(field.type)
            is_id = inner is relay.GlobalID
            assert is_id == (spec.id_type is not None), f"{where}: a global ID names its type, nothing else does"
            if spec.id_type is not None and spec.id_type != SELF:
                assert spec.id_type in node_types, f"{where}: {spec.id_type} is no Node type"
                key_type = getattr(spec.rule, "key_type", None)
                assert (key_type is str) == (spec.id_type in KEYED_BY_TEXT), where
            if spec.kind is Kind.NESTED:
                assert get_object_definition(inner) is not None and nullable, where
            elif changes and spec.kind is Kind.EDITABLE:
                assert nullable, f"{where}: an update leaves out what does not change"
            elif not changes:
                assert spec.rule.required == (not nullable), f"{where}: required rule <=> non-null"


def test_self_ids_belong_to_mutations_that_know_their_object_type() -> None:
    for input_type, mutation in _inputs().items():
        for field in get_object_definition(input_type, strict=True).fields:
            spec = spec_of(field)
            if spec is not None and spec.id_type == SELF:
                assert input_type in {i for i, _ in SERVICES.values()}, f"{input_type.__name__} (used by {mutation})"


def test_update_inputs_have_the_editable_fields_of_the_create_input() -> None:
    """Derived by `updating()`: a field added to a create input is editable on update too, with its rule."""

    def editable_fields(input_type: type) -> dict[str, Any]:
        return {
            f.python_name: spec.rule
            for f in get_object_definition(input_type, strict=True).fields
            if (spec := spec_of(f)) is not None and spec.kind is Kind.EDITABLE
        }

    by_object: dict[str, list[type]] = {}
    for input_type, own_type in SERVICES.values():
        by_object.setdefault(own_type, []).append(input_type)
    pairs = 0
    for own_type, input_types in by_object.items():
        creates = [editable_fields(t) for t in input_types if "id" not in editable_fields(t) and _creates(t)]
        for input_type in input_types:
            fields = editable_fields(input_type)
            if _creates(input_type) or not fields:
                continue
            assert fields in creates, f"{input_type.__name__} differs from the create input of {own_type}"
            pairs += 1
    assert pairs >= 9


def _creates(input_type: type) -> bool:
    return all(f.python_name != "id" for f in get_object_definition(input_type, strict=True).fields)


def test_the_pipeline_applies_the_declared_rules_with_their_paths() -> None:
    goal = uuid.uuid4()
    checked = validate(
        CreateIndicatorInput,
        {
            "goal_id": relay.GlobalID("Goal", str(goal)),
            "name": "  ",
            "position": 40000,
            "targets": [
                {"period_label": "2041", "unit": "count"},
                {"period_label": "x" * 65, "unit": "count", "value": "n/a"},
            ],
        },
        "Indicator",
    )
    assert checked.get("goal_id") == goal  # decoded to the row's key, in args: not a column
    assert checked.values["description"] is None and "goal_id" not in checked.values
    errors = [(e.field, e.code.name) for e in mutation_errors(checked.check.errors)]
    assert errors == [
        (["input", "name"], "REQUIRED"),
        (["input", "position"], "INVALID"),
        (["input", "targets", 1, "periodLabel"], "INVALID"),
        (["input", "targets", 1, "value"], "INVALID"),
    ]
    first = checked.nested("targets")[0]
    assert first.values["period_label"] == "2041" and first.values["unit"].value == "count"
    with pytest.raises(ServiceError) as refused:
        validate(CreateIndicatorInput, {"goal_id": relay.GlobalID("Target", str(goal)), "name": "x"}, "Indicator")
    assert [(e.field, e.code) for e in refused.value.errors] == [(("goal_id",), ErrorCode.INVALID)]
    assert refused.value.errors[0].message == "This is not a valid Goal id."


def test_a_new_field_is_declared_in_one_place() -> None:
    """What adding a field takes (docs/architecture.md, "Adding an editable field"): one declaration."""

    @strawberry.input(description="A new thing.")
    class CreateThingInput:
        goal_id: relay.GlobalID = reference("Goal", "The goal.", required=True)
        label: str = editable(Text(required=True, max_length=8), "A label.")
        size: int | None = editable(Integer(minimum=0), "A size.")

    update = updating(CreateThingInput, "UpdateThingInput", "Changes to a thing.", "The thing.")
    fields = {f.python_name: f for f in get_object_definition(update, strict=True).fields}
    assert list(fields) == ["id", "row_version", "label", "size"]
    assert all(_unwrap(fields[name].type)[1] for name in ("label", "size"))
    thing = uuid.uuid4()
    changed = validate(update, {"id": relay.GlobalID("Thing", str(thing)), "row_version": 3, "size": -1}, "Thing")
    assert (changed.get("id"), changed.get("row_version"), changed.sent) == (thing, 3, frozenset({"size"}))
    assert [(e.field, e.code) for e in changed.check.errors] == [(("size",), ErrorCode.INVALID)]
    cleared = validate(update, {"id": relay.GlobalID("Thing", str(thing)), "row_version": 3, "label": None}, "Thing")
    assert [(e.field, e.code) for e in cleared.check.errors] == [(("label",), ErrorCode.REQUIRED)]
    created = validate(CreateThingInput, {"goal_id": relay.GlobalID("Goal", str(thing)), "label": "ok"}, "Thing")
    assert created.values == {"label": "ok", "size": None} and not created.check.errors
    assert validate(CreateThingInput, {"goal_id": thing, "label": "x", "size": 2}, "Thing").values["size"] == 2


def test_every_editable_field_fills_a_column_of_its_object() -> None:
    """An editable field is written as it is declared: its column (the rule's `column`, else its name) is a
    column of the model the mutation changes, so a field without its migration fails here."""
    from kkr.platform import models

    checked = 0
    for input_type, own_type in SERVICES.values():
        columns = set(getattr(models, own_type).__table__.c.keys())
        for name, (spec, _) in field_specs(input_type).items():
            if spec.kind is Kind.EDITABLE:
                assert (spec.rule.column or name) in columns, f"{input_type.__name__}.{name}: no {own_type} column"
                checked += 1
    assert checked >= 80
