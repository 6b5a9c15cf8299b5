"""`Int` arguments stored in `smallint` columns are bounded in one place: `ARGUMENT_BOUNDS`.

Every `Int` argument whose name is in it, on any field, must lie in its range, else the field fails with
BAD_USER_INPUT naming the argument.  Without the bound a year such as 2147483647 or a `version` of 32768
(valid GraphQL Ints) reached PostgreSQL as a parameter out of range and came back as a masked internal
error.  `bound_int_arguments` wraps the resolvers of the built schema once, so a new field with such an
argument is bounded without anything to remember.  Mutation inputs are checked by the services (a value
out of range is refused with the field's path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type

from .connection import bad_input

MIN_YEAR = 1000
MAX_YEAR = 9999
#: The year arguments: a four-digit year.
YEAR_ARGUMENTS = frozenset({"year", "yearFrom", "yearTo", "fromYear", "toYear"})
MAX_SMALLINT = 32767

#: Argument name -> (smallest, largest, what it must be, for the message).
ARGUMENT_BOUNDS: Mapping[str, tuple[int, int, str]] = {
    **{name: (MIN_YEAR, MAX_YEAR, f"a year from {MIN_YEAR} to {MAX_YEAR}") for name in YEAR_ARGUMENTS},
    "version": (1, MAX_SMALLINT, f"a version from 1 to {MAX_SMALLINT}"),
}


def check_bounds(arguments: dict[str, Any], names: frozenset[str]) -> None:
    for name in sorted(names):
        value = arguments.get(name)
        low, high, what = ARGUMENT_BOUNDS[name]
        if value is not None and not low <= value <= high:
            raise bad_input(f"Argument '{name}' must be {what}.")


def _bounded(resolve: Callable[..., Any], names: frozenset[str]) -> Callable[..., Any]:
    def resolve_bounded(source: Any, info: Any, **arguments: Any) -> Any:
        check_bounds(arguments, names)
        return resolve(source, info, **arguments)

    return resolve_bounded


def bound_int_arguments(schema: GraphQLSchema) -> None:
    """Wrap the resolver of every field with bounded arguments (see the module docstring); call once."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        for field in graphql_type.fields.values():
            names = frozenset(
                name
                for name, argument in field.args.items()
                if name in ARGUMENT_BOUNDS and get_named_type(argument.type).name == "Int"
            )
            if names and field.resolve is not None:
                field.resolve = _bounded(field.resolve, names)
