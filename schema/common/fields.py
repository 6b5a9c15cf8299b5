"""`field`: Strawberry's `strawberry.field(...)` as a typed decorator of resolvers.

Strawberry annotates the decorator form of `strawberry.field(description=...)` as returning `Any`, which
would make every resolver it decorates untyped for mypy.  This is the same call with the type it has at
run time: a `StrawberryField` that takes the resolver.  Data fields (`name: str = strawberry.field(...)`)
keep using `strawberry.field` itself; list fields use `connection` (`kkr.schema.common.connection`).
"""

from __future__ import annotations

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.field import StrawberryField
from strawberry.types.field import field as strawberry_field


def field(
    *,
    description: str,
    permission_classes: list[type[BasePermission]] | None = None,
    deprecation_reason: str | None = None,
    extensions: list[FieldExtension] | None = None,
) -> StrawberryField:
    """A resolver field with its description (and, at the root, who may use it: `permission_classes`)."""
    made: StrawberryField = strawberry_field(
        description=description,
        permission_classes=permission_classes,
        deprecation_reason=deprecation_reason,
        extensions=extensions,
    )
    return made
