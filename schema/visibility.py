"""Each caller sees only the part of the schema it may use.

The full schema still validates and executes every valid operation, so a field
the caller may not use answers with a FORBIDDEN error rather than "cannot query
field".  Introspection (`__schema`, `__type`) is instead executed against a
pruned copy of the schema: fields whose scope permissions refuse the caller are
removed, then every type no longer reachable from the root types.  Pruned
schemas are built from the printed SDL (introspection needs no resolvers) and
cached per audience, i.e. per set of permission classes that admit the caller.

Validation errors must not reveal the rest either: they never carry "Did you
mean ...?" suggestions, and an invalid document is reported as the caller's
pruned schema sees it (a hidden field is simply unknown there).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    OperationDefinitionNode,
    SchemaDefinitionNode,
    SelectionSetNode,
    TypeNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    execute,
    get_operation_ast,
    parse,
    print_schema,
    specified_rules,
    validate,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from kkr.platform.auth.identity import Identity
from kkr.platform.settings import Settings

from .permissions import ScopePermission

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
ROOT_NAMES = ("Query", "Mutation", "Subscription")


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, (NonNullTypeNode, ListTypeNode)):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


class SchemaVisibility:
    """Pruned copies of one Strawberry schema, per audience."""

    def __init__(self, schema: strawberry.Schema) -> None:
        core: GraphQLSchema = schema._schema
        self.document = parse(print_schema(core))
        #: (type name, field name) -> the field's scope permission classes
        self.guards: dict[tuple[str, str], tuple[type[ScopePermission], ...]] = {}
        for type_name, graphql_type in core.type_map.items():
            if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
                continue
            for field_name, field in graphql_type.fields.items():
                definition = (field.extensions or {}).get("strawberry-definition")
                classes = tuple(
                    cls for cls in getattr(definition, "permission_classes", None) or ()
                    if issubclass(cls, ScopePermission)
                )
                if classes:
                    self.guards[(type_name, field_name)] = classes
        self.permission_classes = frozenset(cls for classes in self.guards.values() for cls in classes)
        self._cache: dict[frozenset[type], GraphQLSchema] = {}

    def audience(self, identity: Identity, settings: Settings | None) -> frozenset[type]:
        return frozenset(cls for cls in self.permission_classes if cls().allows(identity, settings))

    def schema_for(self, identity: Identity, settings: Settings | None) -> GraphQLSchema:
        key = self.audience(identity, settings)
        if key not in self._cache:
            self._cache[key] = self._build(key)
        return self._cache[key]

    def hidden_fields(self, allowed: frozenset[type]) -> set[tuple[str, str]]:
        return {name for name, classes in self.guards.items() if not all(cls in allowed for cls in classes)}

    def _build(self, allowed: frozenset[type]) -> GraphQLSchema:
        hidden = self.hidden_fields(allowed)
        types: dict[str, Any] = {}
        directives: list[DirectiveDefinitionNode] = []
        for node in self.document.definitions:
            if isinstance(node, DirectiveDefinitionNode):
                directives.append(node)
            elif isinstance(node, SchemaDefinitionNode):
                continue  # rebuilt from the root type names below
            elif hasattr(node, "name"):
                if isinstance(node, ObjectTypeDefinitionNode):
                    kept = tuple(f for f in node.fields or () if (node.name.value, f.name.value) not in hidden)
                    node = ObjectTypeDefinitionNode(**{key: getattr(node, key) for key in node.keys if key != "fields"},
                                                    fields=kept)
                types[node.name.value] = node
        roots = [name for name in ROOT_NAMES if name in types]
        roots = [name for name in roots if name == "Query" or types[name].fields]
        reachable = _reachable(types, roots, directives)
        definitions = [types[name] for name in types if name in reachable]
        document = DocumentNode(definitions=(*directives, *definitions))
        return build_ast_schema(document, assume_valid=True, assume_valid_sdl=True)


def _reachable(types: dict[str, Any], roots: list[str], directives: list[DirectiveDefinitionNode]) -> set[str]:
    """Type names reachable from the roots through fields, arguments, interfaces and union members.
    An interface does not make its implementations reachable: only types some visible field returns."""
    seen: set[str] = set()
    pending = list(roots)
    for directive in directives:
        pending.extend(_named(arg.type) for arg in directive.arguments or ())
    while pending:
        name = pending.pop()
        if name in seen or name not in types:
            seen.add(name)
            continue
        seen.add(name)
        node = types[name]
        if isinstance(node, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
            for field in node.fields or ():
                pending.append(_named(field.type))
                pending.extend(_named(arg.type) for arg in field.arguments or ())
            pending.extend(i.name.value for i in node.interfaces or ())
        elif isinstance(node, InputObjectTypeDefinitionNode):
            pending.extend(_named(field.type) for field in node.fields or ())
        elif isinstance(node, UnionTypeDefinitionNode):
            pending.extend(member.name.value for member in node.types or ())
    return seen


@lru_cache(maxsize=8)
def visibility_of(schema: strawberry.Schema) -> SchemaVisibility:
    return SchemaVisibility(schema)


def root_field_names(operation: OperationDefinitionNode, document: DocumentNode) -> set[str]:
    """Names of the fields selected at the root of an operation, through fragments."""
    fragments = {d.name.value: d for d in document.definitions if hasattr(d, "selection_set") and
                 not isinstance(d, OperationDefinitionNode)}
    names: set[str] = set()

    def walk(selection_set: SelectionSetNode, visited: frozenset[str]) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in visited:
                    walk(fragments[name].selection_set, visited | {name})

    walk(operation.selection_set, frozenset())
    return names


class CallerVisibility(SchemaExtension):
    """Answers introspection from the caller's pruned schema, and validates without revealing the rest."""

    def on_validate(self):  # noqa: ANN201
        # This runs the validation itself (Strawberry then skips its own), with the rules collected so far:
        # an extension that adds validation rules (depth or cost limits) must come before it in the list.
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.validation_rules and context.pre_execution_errors is None:
            rules = (*context.validation_rules, MaybeNullValidationRule, OneOfInputValidationRule)
            errors = validate(context.schema._schema, document, rules, hide_suggestions=True)
            if errors:
                request = context.context
                pruned = visibility_of(context.schema).schema_for(request.identity, request.settings)
                errors = validate(pruned, document, specified_rules, hide_suggestions=True) or errors
            context.pre_execution_errors = errors  # Strawberry does not validate again
        yield

    def on_execute(self):  # noqa: ANN201
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document is not None else None
        if operation is not None:
            roots = root_field_names(operation, document)
            if roots & INTROSPECTION_FIELDS:
                if roots - INTROSPECTION_FIELDS - {"__typename"}:
                    error = GraphQLError(
                        "Send introspection (__schema, __type) in an operation of its own.",
                        extensions={"code": "BAD_REQUEST"},
                    )
                    context.result = GraphQLExecutionResult(data=None, errors=[error])
                else:
                    request = context.context
                    pruned = visibility_of(context.schema).schema_for(request.identity, request.settings)
                    context.result = execute(
                        pruned, document, variable_values=context.variables, operation_name=context.operation_name
                    )
        yield
