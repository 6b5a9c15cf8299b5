"""Walking a GraphQL schema as a client sees it (tests/test_audience_walk.py).

`Walker` builds, from a schema obtained by introspection, one document per root
field that selects every field reachable to a bounded depth (through interfaces
and unions, with fragments on every possible type).  Required arguments are
filled from values read in an earlier pass (`region(slug:)` gets a `Region.slug`
the caller saw, `node(id:)` an id it saw, `nodes(ids:)` one id of every Node
type), else from `ARGUMENTS`, else with a type-correct guess.  `paths_to_types`
gives, for every type, a way to reach it from `Query`, so that a document can ask
for any field of any type the caller sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    IntrospectionQuery,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_composite_type,
    is_leaf_type,
    is_required_argument,
    is_required_input_field,
    print_ast,
)
from graphql.utilities import ast_from_value

from .tokens import bearer

#: Depth of the walk below a root field (object levels).
DEPTH = 4
#: Page size asked of every paginated field (`first`), to keep the walk small.
PAGE = 2
#: Required arguments the first pass cannot supply: (type, field, argument) -> value.  Most are found generically
#: (a value of the returned type's field of the same name, read in the first pass).
ARGUMENTS: dict[tuple[str, str, str], Any] = {
    ("Query", "region", "slug"): "sjaelland",
    ("Query", "businessHub", "slug"): "sjaelland",
    ("Query", "municipality", "code"): "269",
}


def catalogued_subject(found: dict[str, list[dict[str, Any]]], *, period: bool) -> dict[str, Any] | None:
    """A goal lineage of KL's catalogue (and one of its periods) for the fields that need one subject."""
    for entry in found.get("CatalogueEntry", []):
        if entry.get("lineages") and entry.get("periods"):
            return {"lineage": entry["lineages"][0], **({"period": entry["periods"][0]} if period else {})}
    return None


#: Arguments a field needs although none is required (e.g. "exactly one of ..."), from objects read in the first
#: pass by type name: (type, field) -> function of them giving the arguments (None: not found).
EXTRA_ARGUMENTS: dict[tuple[str, str], Any] = {
    ("Query", "benchmarkComparison"): lambda found: catalogued_subject(found, period=True),
    ("Query", "benchmarkSeries"): lambda found: catalogued_subject(found, period=False),
}


# --- GraphQL over HTTP --------------------------------------------------------------------------------------------


def post(
    client: httpx.Client,
    scopes: tuple[str, ...],
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    headers = bearer(*scopes, subject="walker@test") if scopes else {}
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def data_of(
    client: httpx.Client,
    scopes: tuple[str, ...],
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body = post(client, scopes, query, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


def schema_of(client: httpx.Client, scopes: tuple[str, ...]) -> GraphQLSchema:
    """The caller's schema, from its own introspection."""
    return build_client_schema(
        cast(IntrospectionQuery, data_of(client, scopes, get_introspection_query(descriptions=False)))
    )


def is_validation_failure(body: dict[str, Any]) -> bool:
    errors = body.get("errors") or []
    return (
        body.get("data") is None
        and bool(errors)
        and all(  # request errors carry code BAD_REQUEST
            "path" not in e and (e.get("extensions") or {}).get("code") == "BAD_REQUEST" for e in errors
        )
    )


# --- building documents from a schema ------------------------------------------------------------------------------


class Walker:
    """Builds selections of every field of a schema, with argument values for required arguments."""

    def __init__(
        self,
        schema: GraphQLSchema,
        seen: dict[tuple[str, str], list[Any]] | None = None,
        found: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.schema = schema
        #: (type name, field name) -> scalar values read in an earlier pass
        self.seen = seen or {}
        #: type name -> objects read in an earlier pass (keys are field names)
        self.found = found or {}
        self.complete = True  # False when a required argument had to be guessed or left out

    # arguments

    def literal(self, value: Any, type_: GraphQLInputType) -> str:
        node = ast_from_value(value, type_)
        assert node is not None, (value, type_)
        return print_ast(node)

    def values_seen(self, type_: Any, field: str) -> list[Any]:
        named = get_named_type(type_)
        names = (
            [t.name for t in self.schema.get_possible_types(named)]
            if isinstance(named, (GraphQLInterfaceType, GraphQLUnionType))
            else [named.name]
        )
        return (
            [v for name in names for v in self.seen.get((name, field), [])[:1]]
            if len(names) > 1
            else self.seen.get((names[0], field), [])
        )

    def argument(self, parent: str, field_name: str, field: GraphQLField, name: str, type_: GraphQLInputType) -> Any:
        if (parent, field_name, name) in ARGUMENTS:
            return ARGUMENTS[(parent, field_name, name)]
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        singular = name[:-1] if isinstance(inner, GraphQLList) and name.endswith("s") else name
        found = self.values_seen(field.type, singular)
        if found:
            return found if isinstance(inner, GraphQLList) else found[0]
        self.complete = False
        return self.guess(type_)

    def guess(self, type_: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self.guess(type_.of_type)
        if isinstance(type_, GraphQLList):
            return [self.guess(type_.of_type)]
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values.values())).value
        if isinstance(type_, GraphQLInputObjectType):
            fields = type_.fields.items()
            if type_.is_one_of:
                name, field = next(iter(fields))
                return {name: self.guess(field.type)}
            return {name: self.guess(f.type) for name, f in fields if is_required_input_field(f)}
        assert isinstance(type_, GraphQLScalarType)
        return {"Int": 2021, "Float": 1.0, "Boolean": False, "ID": "eA=="}.get(type_.name, "sjaelland")

    def arguments(self, parent: str, field_name: str, field: GraphQLField) -> str:
        """The argument list of a field: its required arguments, and a small page size."""
        parts = []
        extra = EXTRA_ARGUMENTS.get((parent, field_name), lambda found: None)(self.found) or {}
        for name, argument in field.args.items():
            if name in extra:
                parts.append(f"{name}: {self.literal(extra[name], argument.type)}")
            elif is_required_argument(argument):
                value = self.argument(parent, field_name, field, name, argument.type)
                parts.append(f"{name}: {self.literal(value, argument.type)}")
            elif name == "first" and get_named_type(argument.type).name == "Int":
                parts.append(f"first: {PAGE}")
        return f"({', '.join(parts)})" if parts else ""

    # selections

    def selection(self, type_: Any, depth: int) -> str:
        """The selection set for a composite type: every field, fragments on every possible type."""
        named = get_named_type(type_)
        if not isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)):
            return "{ " + " ".join(self.fields(named, depth)) + " }"
        parts = self.fields(named, depth) if isinstance(named, GraphQLInterfaceType) else ["__typename"]
        for possible in self.schema.get_possible_types(named):
            # aliased: the same field name may have another type in another possible type
            parts.append(f"... on {possible.name} {{ {' '.join(self.fields(possible, depth, alias=True))} }}")
        return "{ " + " ".join(parts) + " }"

    def fields(
        self,
        named: GraphQLObjectType | GraphQLInterfaceType,
        depth: int,
        *,
        alias: bool = False,
    ) -> list[str]:
        parts = ["__typename"]
        for name, field in named.fields.items():
            args = self.arguments(named.name, name, field)
            inner = get_named_type(field.type)
            label = f"{name}{ALIAS}{named.name}: {name}" if alias else name
            if is_leaf_type(inner):
                parts.append(f"{label}{args}")
            elif depth > 0:
                parts.append(f"{label}{args} {self.selection(field.type, depth - 1)}")
        return parts

    def root_documents(self) -> Iterator[tuple[str, str]]:
        """(root field, document) for every root field of Query."""
        query = self.schema.query_type
        assert query is not None
        for name, field in query.fields.items():
            args = self.arguments("Query", name, field)
            if is_leaf_type(get_named_type(field.type)):
                yield name, f"{{ {name}{args} }}"
            else:
                yield name, f"{{ {name}{args} {self.selection(field.type, DEPTH)} }}"


ALIAS = "__in"  # alias of a field in a fragment on a possible type: <field>__in<Type>


def field_name(key: str) -> str:
    """The field a response key stands for (see ALIAS)."""
    return key if key.startswith("__") else key.split(ALIAS)[0]


def collect(
    value: Any,
    seen: dict[tuple[str, str], list[Any]],
    found: dict[str, list[dict[str, Any]]] | None = None,
) -> None:
    """Scalar values by (__typename, field), and objects by __typename, from a response."""
    if isinstance(value, list):
        for item in value:
            collect(item, seen, found)
    elif isinstance(value, dict):
        typename = value.get("__typename")
        if typename and found is not None:
            found.setdefault(typename, []).append({field_name(k): v for k, v in value.items()})
        for key, item in value.items():
            if typename and key != "__typename" and isinstance(item, (str, int, float)) and not isinstance(item, bool):
                values = seen.setdefault((typename, field_name(key)), [])
                if item not in values:
                    values.append(item)
            collect(item, seen, found)


def objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from objects(item)
    elif isinstance(value, dict):
        yield value
        for item in value.values():
            yield from objects(item)


def walk(client: httpx.Client, scopes: tuple[str, ...], schema: GraphQLSchema) -> dict[str, dict[str, Any]]:
    """Run every root field's document twice: first to harvest values, then with them for required arguments."""
    seen: dict[tuple[str, str], list[Any]] = {}
    found: dict[str, list[dict[str, Any]]] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for _ in range(2):
        walker = Walker(schema, seen, found)
        for name, document in walker.root_documents():
            if name in bodies and bodies[name]["document"] == document:
                continue  # nothing read in the first pass changes its arguments
            bodies[name] = body = post(client, scopes, document)
            assert not is_validation_failure(body), (name, document, body["errors"])  # built from its own schema
            bodies[name]["document"] = document
            collect(body.get("data"), seen, found)
    return bodies


def paths_to_types(schema: GraphQLSchema) -> dict[str, tuple[str, str]]:
    """For every composite type of a schema, a document prefix reaching it from Query: (opening, closing)."""
    walker = Walker(schema)
    assert schema.query_type is not None
    paths: dict[str, tuple[str, str]] = {schema.query_type.name: ("", "")}
    queue: list[GraphQLObjectType | GraphQLInterfaceType] = [schema.query_type]
    while queue:
        current = queue.pop(0)
        opening, closing = paths[current.name]
        for name, field in current.fields.items():
            target = get_named_type(field.type)
            if not is_composite_type(target):
                continue
            step = f"{name}{walker.arguments(current.name, name, field)} {{ "
            reached: list[GraphQLNamedType] = [target]
            if isinstance(target, (GraphQLInterfaceType, GraphQLUnionType)):
                reached += schema.get_possible_types(target)
            for graphql_type in reached:
                if graphql_type.name in paths:
                    continue
                fragment = f"... on {graphql_type.name} {{ " if graphql_type is not target else ""
                paths[graphql_type.name] = (opening + step + fragment, (" }" if fragment else "") + " }" + closing)
                if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
                    queue.append(graphql_type)
    return paths


def chunks(items: list[Any], size: int = 90) -> Iterator[list[Any]]:
    """Pieces that stay below graphql-core's limit of 100 validation errors per document."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def hidden_fields(full: GraphQLSchema, schema: GraphQLSchema) -> list[tuple[str, str, bool]]:
    """(type, field, composite) of the fields of the caller's types that the whole schema has and it does not."""
    found = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        whole = full.get_type(name)
        assert isinstance(whole, (GraphQLObjectType, GraphQLInterfaceType))
        for hidden, field in whole.fields.items():
            if hidden not in graphql_type.fields:
                found.append((name, hidden, is_composite_type(get_named_type(field.type))))
    return found
