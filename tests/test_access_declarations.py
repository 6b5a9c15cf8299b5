"""Access is declared where a field is defined, and a root field that declares nothing stops the build."""

from __future__ import annotations

import pytest
import strawberry
from strawberry.types.base import get_object_definition

from kkr.schema.access import AccessNotDeclared, check_access_declared, requires, undeclared_fields
from kkr.schema.mutations import Mutation
from kkr.schema.permissions import Admin, BenchmarkRead, RegionalRead, SharedRead
from kkr.schema.schema import Query, build_schema


def test_every_root_field_of_the_schema_declares_its_access() -> None:
    assert undeclared_fields(Query, Mutation) == []
    for root in (Query, Mutation):
        for field in get_object_definition(root, strict=True).fields:
            assert field.permission_classes, field.python_name


def test_a_root_field_without_a_declaration_stops_the_build() -> None:
    @strawberry.type
    class Extended(Query):
        @strawberry.field(description="Forgot to say who may use it.")
        def secret_field(self) -> int:
            return 1

        @strawberry.field(description="Declared.", permission_classes=[RegionalRead])
        def declared_field(self) -> int:
            return 2

    with pytest.raises(AccessNotDeclared, match=r"Extended\.secretField") as raised:
        build_schema(Extended, Mutation)  # the server's own build refuses it
    assert "declaredField" not in str(raised.value)
    assert undeclared_fields(Extended) == ["Extended.secretField"]


def test_a_mutation_without_a_declaration_stops_the_build() -> None:
    @strawberry.type
    class MoreMutations(Mutation):
        @strawberry.mutation(description="No permission classes.")
        def undeclared_mutation(self) -> bool:
            return True

    with pytest.raises(AccessNotDeclared, match=r"MoreMutations\.undeclaredMutation"):
        check_access_declared(Query, MoreMutations)


def test_the_type_decorator_guards_every_field_that_declares_nothing_itself() -> None:
    @requires(BenchmarkRead)
    @strawberry.type
    class Figures:
        plain: int = strawberry.field(description="Gets the type's class.")
        own: int = strawberry.field(description="Keeps its own.", permission_classes=[Admin])

    fields = {f.python_name: f for f in get_object_definition(Figures, strict=True).fields}
    assert fields["plain"].permission_classes == [BenchmarkRead]
    assert fields["own"].permission_classes == [Admin]


def test_node_fields_declare_shared_read_and_resolve_only_visible_types() -> None:
    from kkr.schema.visibility import VisibleNodeTypes

    fields = {f.python_name: f for f in get_object_definition(Query, strict=True).fields}
    for name in ("node", "nodes"):
        assert fields[name].permission_classes == [SharedRead]
        assert any(isinstance(e, VisibleNodeTypes) for e in fields[name].extensions)
