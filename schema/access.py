"""Access to the API: one mechanism, declared where the guarded field or type is defined, deny by default.

Access is Strawberry's permission classes (`schema/permissions.py`), nothing else:

- a field declares its own: ``strawberry.field(..., permission_classes=[SharedRead])``, likewise
  `connection(...)`, `relay.node(...)` and the write side's `editor_mutation` (`RegionalWrite`);
- a type whose every field is for the same callers declares it once, at the type:
  ``@requires(BenchmarkRead)`` above ``@strawberry.type`` (each of its fields gets the classes).

Deny by default is a hard rule: `check_access_declared(Query, Mutation)` runs when the schema is built
(`schema/schema.py`) and raises `AccessNotDeclared` naming every root field that declares no permission
class, so a new root field without a declaration stops the server from starting and fails the tests.
The same classes decide what is in each caller's schema (`schema/visibility.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

T = TypeVar("T", bound=type)


class AccessNotDeclared(TypeError):
    """Root fields that declare no permission class (deny by default: the schema is not built)."""


def requires(*classes: type[BasePermission]) -> Callable[[T], T]:
    """Class decorator (above `@strawberry.type`): every field of the type is guarded by `classes`.

    A field of the type that declares permission classes itself keeps them, and gets none of these."""

    def decorate(cls: T) -> T:
        definition = get_object_definition(cls, strict=True)
        for field in definition.fields:
            if not field.permission_classes:
                field.permission_classes = list(classes)
                field.extensions.append(PermissionExtension([c() for c in classes], use_directives=False))
        return cls

    return decorate


def undeclared_fields(*root_types: type) -> list[str]:
    """`Type.field` (GraphQL names) of the root fields that declare no permission class."""
    missing: list[str] = []
    for root in root_types:
        definition = get_object_definition(root, strict=True)
        missing.extend(
            f"{definition.name}.{field.graphql_name or to_camel_case(field.python_name)}"
            for field in definition.fields
            if not field.permission_classes
        )
    return missing


def check_access_declared(*root_types: type) -> None:
    """Deny by default: raise `AccessNotDeclared` if any root field declares no permission class."""
    missing = undeclared_fields(*root_types)
    if missing:
        raise AccessNotDeclared(
            "Every root field declares who may use it (permission_classes=[...] where it is defined, see "
            "kkr.schema.access); these declare nothing: " + ", ".join(missing)
        )
