"""The access policy of the root fields: deny by default.

A root field that declares no permission class gets its root type's default:
regional staff (`RegionalRead`) for queries and regional editors
(`RegionalWrite`) for mutations.  So anonymous callers, KL and ministries reach
only fields that were opened to them on purpose (`POLICY` below, or the
field's own `permission_classes`).  `requires()` puts permissions on every
field of a type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from strawberry.permission import BasePermission, PermissionExtension

from .permissions import RegionalRead, RegionalWrite, SharedRead
from .visibility import VisibleNodeTypes

DEFAULTS: dict[str, type[BasePermission]] = {"Query": RegionalRead, "Mutation": RegionalWrite}

#: Root fields (GraphQL type, Python name) open beyond the default, when the field declares nothing itself.
POLICY: dict[tuple[str, str], list[type[BasePermission]]] = {
    ("Query", name): [SharedRead]
    for name in (
        "regions",
        "region",
        "municipality",
        "municipalities",
        "business_hub",
        "business_hubs",
        "framework_agreement",
        "framework_agreements",
        "benchmark_observations",
        # Global ids: each caller resolves only the Node types of its own schema (schema/visibility.py), and
        # row-level security answers null for rows outside its reach (KL: drafts, local goals).
        "node",
        "nodes",
    )
}
#: Root fields that resolve global ids: null for an id whose type is not in the caller's schema.
NODE_FIELDS = frozenset({("Query", "node"), ("Query", "nodes")})

T = TypeVar("T")


def add_permissions(field: Any, classes: Iterable[type[BasePermission]]) -> None:
    """Give a Strawberry field permission classes after its definition (before the schema is built)."""
    classes = list(classes)
    field.permission_classes = [*field.permission_classes, *classes]
    field.extensions.append(PermissionExtension([cls() for cls in classes], use_directives=False))


def apply_access_policy(*root_types: type) -> None:
    """Give every root field without permission classes its policy or its root type's default."""
    for root in root_types:
        definition = root.__strawberry_definition__
        default = DEFAULTS[definition.name]
        for field in definition.fields:
            if (definition.name, field.python_name) in NODE_FIELDS:
                field.extensions.append(VisibleNodeTypes())  # inside the permission check added below
            if not field.permission_classes:
                add_permissions(field, POLICY.get((definition.name, field.python_name), [default]))


def requires(*classes: type[BasePermission]) -> Callable[[T], T]:
    """Class decorator (after @strawberry.type): every field of the type without permissions gets `classes`."""

    def decorate(cls: T) -> T:
        for field in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            if not field.permission_classes:
                add_permissions(field, classes)
        return cls

    return decorate
