"""Each caller sees, and may send, only the part of the schema it may use.

For every audience (the set of scope permission classes that admit the caller) a
pruned copy of the schema is built once and cached: the fields whose scope
permissions refuse the audience are removed, then every type no longer reachable
from the root types (a type only a hidden field leads to disappears; `node(id:)`
does not make every Node type reachable).  The pruned schema shares the full
schema's scalars, enums, input types and field definitions (arguments,
descriptions, Strawberry's extensions), so it validates exactly like the full one.

That pruned schema is the caller's whole world:
- every document is validated against it, so a field the caller may not use is
  unknown ("Cannot query field ... on type ..."), at the root and nested alike,
  and validation errors never carry "Did you mean ...?" suggestions;
- introspection (`__schema`, `__type`) is executed against it;
- `node(id:)` / `nodes(ids:)` answer null for ids of types outside it (`VisibleNodeTypes`).
Valid operations still execute on the full schema, where the permission classes
stay as the second line of defence (and row-level security below them).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    execute,
    get_named_type,
    get_operation_ast,
    validate,
    validate_schema,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from kkr.platform.auth.identity import Identity
from kkr.platform.graphql_http import TRUSTED_DOCUMENT
from kkr.platform.settings import Settings
from kkr.platform.trusted_documents import TrustedDocument

from .common.nodes import invalid_id, is_well_formed
from .limits.document import DocumentCache
from .permissions import ScopePermission

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
NODE_INTERFACE = "Node"


@dataclass(frozen=True)
class AudienceSchema:
    """One audience's part of the schema."""

    schema: GraphQLSchema
    #: Object types implementing Node in it: the only types `node(id:)` resolves for this audience.
    node_types: frozenset[str]


class SchemaVisibility:
    """Pruned copies of one Strawberry schema, per audience."""

    def __init__(self, schema: strawberry.Schema) -> None:
        self.core: GraphQLSchema = schema._schema
        #: (type name, field name) -> the field's scope permission classes
        self.guards: dict[tuple[str, str], tuple[type[ScopePermission], ...]] = {}
        for type_name, graphql_type in self.core.type_map.items():
            if not isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)) or type_name.startswith("__"):
                continue
            for field_name, field in graphql_type.fields.items():
                definition = (field.extensions or {}).get("strawberry-definition")
                classes = tuple(
                    cls
                    for cls in getattr(definition, "permission_classes", None) or ()
                    if issubclass(cls, ScopePermission)
                )
                if classes:
                    self.guards[(type_name, field_name)] = classes
        self.permission_classes = frozenset(cls for classes in self.guards.values() for cls in classes)
        self._cache: dict[frozenset[type], AudienceSchema] = {}

    def audience(self, identity: Identity, settings: Settings | None) -> frozenset[type]:
        """The scope permission classes that admit the caller: callers with the same audience see the same schema."""
        return frozenset(cls for cls in self.permission_classes if cls().allows(identity, settings))

    def for_caller(self, identity: Identity, settings: Settings | None) -> AudienceSchema:
        return self.for_audience(self.audience(identity, settings))

    def for_audience(self, key: frozenset[type]) -> AudienceSchema:
        view = self._cache.get(key)
        if view is None:
            view = self._cache[key] = self._build(key)
        return view

    def schema_for(self, identity: Identity, settings: Settings | None) -> GraphQLSchema:
        return self.for_caller(identity, settings).schema

    def hidden_fields(self, allowed: frozenset[type]) -> set[tuple[str, str]]:
        return {name for name, classes in self.guards.items() if not all(cls in allowed for cls in classes)}

    def _build(self, allowed: frozenset[type]) -> AudienceSchema:
        hidden = self.hidden_fields(allowed)
        core = self.core

        def visible_fields(graphql_type: GraphQLObjectType | GraphQLInterfaceType) -> dict[str, GraphQLField]:
            return {name: f for name, f in graphql_type.fields.items() if (graphql_type.name, name) not in hidden}

        roots = [
            root
            for root in (core.query_type, core.mutation_type, core.subscription_type)
            if root is not None and (root is core.query_type or visible_fields(root))
        ]
        reachable = _reachable(core, roots, visible_fields)

        copies: dict[str, GraphQLNamedType] = {}

        def remap(graphql_type: Any) -> Any:
            if isinstance(graphql_type, GraphQLNonNull):
                return GraphQLNonNull(remap(graphql_type.of_type))
            if isinstance(graphql_type, GraphQLList):
                return GraphQLList(remap(graphql_type.of_type))
            return copies.get(graphql_type.name, graphql_type)  # scalars, enums and input types are shared

        def fields_of(graphql_type: GraphQLObjectType | GraphQLInterfaceType) -> Callable[[], dict[str, GraphQLField]]:
            def thunk() -> dict[str, GraphQLField]:
                return {
                    name: GraphQLField(
                        remap(f.type),
                        args=f.args,
                        resolve=f.resolve,
                        subscribe=f.subscribe,
                        description=f.description,
                        deprecation_reason=f.deprecation_reason,
                        extensions=f.extensions,
                        ast_node=f.ast_node,
                    )
                    for name, f in visible_fields(graphql_type).items()
                }

            return thunk

        def interfaces_of(graphql_type: GraphQLObjectType | GraphQLInterfaceType) -> Callable[[], list[Any]]:
            return lambda: [copies[i.name] for i in graphql_type.interfaces if i.name in copies]

        for name in reachable:
            graphql_type = core.type_map[name]
            common: dict[str, Any] = {
                "name": name,
                "description": graphql_type.description,
                "extensions": graphql_type.extensions,
                "ast_node": graphql_type.ast_node,
                "extension_ast_nodes": graphql_type.extension_ast_nodes,
            }
            if isinstance(graphql_type, GraphQLObjectType):
                copies[name] = GraphQLObjectType(
                    fields=fields_of(graphql_type),
                    interfaces=interfaces_of(graphql_type),
                    is_type_of=graphql_type.is_type_of,
                    **common,
                )
            elif isinstance(graphql_type, GraphQLInterfaceType):
                copies[name] = GraphQLInterfaceType(
                    fields=fields_of(graphql_type),
                    interfaces=interfaces_of(graphql_type),
                    resolve_type=graphql_type.resolve_type,
                    **common,
                )
            elif isinstance(graphql_type, GraphQLUnionType):
                copies[name] = GraphQLUnionType(
                    types=_members_of(graphql_type, copies),
                    resolve_type=graphql_type.resolve_type,
                    **common,
                )

        def root(graphql_type: GraphQLObjectType | None) -> Any:
            return copies[graphql_type.name] if graphql_type is not None and graphql_type in roots else None

        pruned = GraphQLSchema(
            query=root(core.query_type),
            mutation=root(core.mutation_type),
            subscription=root(core.subscription_type),
            directives=core.directives,
            description=core.description,
            extensions=core.extensions,
        )
        errors = validate_schema(pruned)
        if errors:  # e.g. a hidden field that an interface of its type requires
            names = sorted(cls.__name__ for cls in allowed)
            raise TypeError(f"The schema pruned for {names} is invalid: " + "; ".join(e.message for e in errors))
        node_types = frozenset(
            name
            for name, graphql_type in pruned.type_map.items()
            if isinstance(graphql_type, GraphQLObjectType)
            and any(i.name == NODE_INTERFACE for i in graphql_type.interfaces)
        )
        return AudienceSchema(schema=pruned, node_types=node_types)


def _members_of(union: GraphQLUnionType, copies: dict[str, GraphQLNamedType]) -> Callable[[], list[GraphQLObjectType]]:
    """The union's members that are in the pruned schema (a thunk: the copies are made first)."""
    return lambda: [cast(GraphQLObjectType, copies[m.name]) for m in union.types if m.name in copies]


def _reachable(
    core: GraphQLSchema, roots: list[GraphQLObjectType], visible_fields: Callable[[Any], dict[str, GraphQLField]]
) -> list[str]:
    """Type names reachable from the roots through visible fields, arguments, interfaces and union members
    (and the directives' arguments), in the full schema's order.  A field returning an interface makes its
    implementations reachable, except `Node` (`node`/`nodes`): only Node types some other visible field returns
    are the caller's, and `VisibleNodeTypes` answers null for the others."""
    seen: set[str] = set()
    pending: list[Any] = [*roots, *(arg.type for d in core.directives for arg in d.args.values())]
    while pending:
        graphql_type = get_named_type(pending.pop())
        if graphql_type.name in seen:
            continue
        seen.add(graphql_type.name)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            for field in visible_fields(graphql_type).values():
                pending.append(field.type)
                pending.extend(arg.type for arg in field.args.values())
                returned = get_named_type(field.type)
                if isinstance(returned, GraphQLInterfaceType) and returned.name != NODE_INTERFACE:
                    pending.extend(core.get_possible_types(returned))  # what the field may answer with
            pending.extend(graphql_type.interfaces)
        elif isinstance(graphql_type, GraphQLInputObjectType):
            pending.extend(field.type for field in graphql_type.fields.values())
        elif isinstance(graphql_type, GraphQLUnionType):
            pending.extend(graphql_type.types)
    return [name for name in core.type_map if name in seen and not name.startswith("__")]


@lru_cache(maxsize=8)
def visibility_of(schema: strawberry.Schema) -> SchemaVisibility:
    return SchemaVisibility(schema)


def caller_view(info: strawberry.Info) -> AudienceSchema:
    request = info.context
    return visibility_of(info.schema).for_caller(request.identity, request.settings)


def root_field_names(operation: OperationDefinitionNode, document: DocumentNode) -> set[str]:
    """Names of the fields selected at the root of an operation, through fragments."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
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


_valid: DocumentCache | None = None


def _validated(settings: Settings | None) -> DocumentCache | None:
    """This process's valid (document text, audience, rules), sized like the parsed documents' cache."""
    global _valid
    size = settings.document_cache_chars if settings is not None else 0
    if size <= 0:
        return None
    if _valid is None:
        _valid = DocumentCache(size)
    return _valid


def _trusted_document(request: Any, document: DocumentNode) -> TrustedDocument | None:
    """The request's trusted document (`kkr.platform.trusted_documents`) when `document` is its parsed one."""
    http_request = getattr(request, "request", None)
    found = http_request.scope.get("state", {}).get(TRUSTED_DOCUMENT) if http_request is not None else None
    return found if isinstance(found, TrustedDocument) and found.document is document else None


class CallerVisibility(SchemaExtension):
    """Validates every document against the caller's pruned schema and answers introspection from it.

    A document found valid is remembered under its text, the caller's audience (which alone decides the
    pruned schema it was validated against) and the rules, together with the very DocumentNode validated
    (the parse cache's, `kkr.schema.limits.document`): the same text from a caller of another audience, or
    another node for it, is validated again.  Invalid documents are not remembered.  A trusted document
    remembers the audiences it is valid for itself, for as long as the process lives."""

    def on_validate(self) -> Iterator[None]:
        # This runs the validation itself (Strawberry then skips its own), with the rules collected so far plus
        # Strawberry's own (Maybe, OneOf): an extension that adds validation rules (depth or cost limits) must
        # come before it in the list.  The rules see the pruned schema, whose fields, arguments and input types
        # are the full schema's own.
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.validation_rules and context.pre_execution_errors is None:
            request = context.context
            visibility = visibility_of(context.schema)
            audience = visibility.audience(request.identity, request.settings)
            rules = (*context.validation_rules, MaybeNullValidationRule, OneOfInputValidationRule)
            trusted = _trusted_document(request, document)
            cache = _validated(request.settings) if context.query is not None else None
            key = (context.query, audience, rules)
            found = cache.get(key) if cache is not None else None
            if (trusted is not None and (audience, rules) in trusted.validated) or (
                found is not None and found is document
            ):
                context.pre_execution_errors = []
            else:
                pruned = visibility.for_audience(audience).schema
                context.pre_execution_errors = validate(pruned, document, rules, hide_suggestions=True)
                if trusted is not None and not context.pre_execution_errors:
                    trusted.validated.add((audience, rules))  # once per caller's schema, never forgotten
                elif cache is not None and context.query is not None and not context.pre_execution_errors:
                    cache.keep(key, context.query, document)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document is not None else None
        if document is not None and operation is not None:
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
                    result = execute(
                        pruned, document, variable_values=context.variables, operation_name=context.operation_name
                    )
                    assert not inspect.isawaitable(result)  # introspection resolves synchronously
                    context.result = result
        yield


class VisibleNodeTypes(FieldExtension):
    """`node(id:)` / `nodes(ids:)`: null for a global id whose type is not in the caller's schema, whether the
    type exists elsewhere (hidden) or not at all (unknown), so the two cannot be told apart; an id that is not
    well-formed (`kkr.schema.common.nodes`) is the one invalid-id error.

    Without it a caller could resolve, by id, an object of a type its schema does not have (KL: a published
    contract, which row-level security lets it read for its comparisons but the API shows only as figures).
    Ids of types the caller does see go on to the type's `resolve_nodes`, where row-level security answers
    null for rows outside the caller's reach (another region's, a draft, a local goal)."""

    @staticmethod
    def _ids(kwargs: dict[str, Any]) -> tuple[str, Any]:
        return ("id", kwargs["id"]) if "id" in kwargs else ("ids", kwargs.get("ids") or [])

    def _resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, kwargs: dict[str, Any]) -> Any:
        visible = caller_view(info).node_types
        name, value = self._ids(kwargs)
        if name == "id":
            if not is_well_formed(value):
                raise invalid_id("id")
            return next_(source, info, **kwargs) if value.type_name in visible else None
        for index, gid in enumerate(value):
            if not is_well_formed(gid):
                raise invalid_id(f"ids[{index}]")
        keep = [gid.type_name in visible for gid in value]
        if all(keep):
            return next_(source, info, **kwargs)
        found = next_(source, info, **{**kwargs, "ids": [gid for gid, k in zip(value, keep, strict=True) if k]})

        def merge(nodes: list[Any]) -> list[Any]:
            it = iter(nodes)
            return [next(it) if k else None for k in keep]

        if inspect.isawaitable(found):

            async def later() -> list[Any]:
                return merge(await found)

            return later()
        return merge(found)

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return self._resolve(next_, source, info, kwargs)

    async def resolve_async(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        result = self._resolve(next_, source, info, kwargs)
        return await result if inspect.isawaitable(result) else result
