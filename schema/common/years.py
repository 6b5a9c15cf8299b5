"""Year arguments are bounded in one place: every `Int` argument named `year`, `yearFrom`, `yearTo`,
`fromYear` or `toYear`, on any field, must be a four-digit year (MIN_YEAR..MAX_YEAR), else the field fails
with BAD_USER_INPUT naming the argument.

Years are `smallint` columns in the data model: without the bound a year such as 2147483647 (a valid GraphQL
Int) reached PostgreSQL as a parameter out of range and came back as a masked internal error.
`bound_year_arguments` wraps the resolvers of the built schema once, so a new field with a year argument is
bounded without anything to remember.  Mutation inputs are checked by the services (a value out of range is
refused with the field's path).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type

from .connection import bad_input

MIN_YEAR = 1000
MAX_YEAR = 9999
YEAR_ARGUMENTS = frozenset({"year", "yearFrom", "yearTo", "fromYear", "toYear"})


def check_years(arguments: dict[str, Any], names: frozenset[str]) -> None:
    for name in names:
        value = arguments.get(name)
        if value is not None and not MIN_YEAR <= value <= MAX_YEAR:
            raise bad_input(f"Argument '{name}' must be a year from {MIN_YEAR} to {MAX_YEAR}.")


def _bounded(resolve: Callable[..., Any], names: frozenset[str]) -> Callable[..., Any]:
    def resolve_bounded(source: Any, info: Any, **arguments: Any) -> Any:
        check_years(arguments, names)
        return resolve(source, info, **arguments)

    return resolve_bounded


def bound_year_arguments(schema: GraphQLSchema) -> None:
    """Wrap the resolver of every field with year arguments (see the module docstring); call once."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        for field in graphql_type.fields.values():
            names = frozenset(name for name, argument in field.args.items()
                              if name in YEAR_ARGUMENTS and get_named_type(argument.type).name == "Int")
            if names and field.resolve is not None:
                field.resolve = _bounded(field.resolve, names)
