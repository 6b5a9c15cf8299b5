"""One walk over a parsed document that measures what the query limits bound: depth, aliases, root fields,
the cost estimate, and the problems found on the way (a field repeated too often in one selection set, too
many directives in one place, a page larger than the maximum, a search too complex).

Each fragment is measured once and its measures reused wherever it is spread, so the walk is linear in the
size of the document even when fragments spread each other many times over (Strawberry's
`QueryDepthLimiter` and `MaxAliasesLimiter` walk every spread again: a document of a few hundred tokens
whose fragments fan out would keep them busy for minutes, before the limit they enforce refuses it).
The walk needs no valid document: unknown fields, types and fragments and fragment cycles are left to
validation (cost 1, nothing below them).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    ValueNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)

from kkr.platform.settings import Settings

from .errors import PAGE_TOO_LARGE, SEARCH_TOO_COMPLEX, TOO_MANY_DIRECTIVES, TOO_MANY_REPEATED_FIELDS, LimitExceeded
from .sizes import SIZED_FIELDS, SLICING_ARGUMENTS, assumed_size, introspection_sizes

#: Measures are capped here: a fragment bomb's cost is "more than any limit", not a number of 400 digits.
CAP = 10**15

#: Arguments that are full-text or substring searches (docs/read-api.md, "Filtering, ordering, search").
SEARCH_ARGUMENTS = frozenset({"search"})

#: The terms of a search: words (letters and digits, the operator OR included) and the `-` operator.
_SEARCH_TERM = re.compile(r"\w+|-")


@dataclass
class _Summary:
    """The measures of one selection set (and everything below it)."""

    depth: int = 0
    aliases: int = 0
    #: the cost of the fields once, and (on a connection type) of the fields that repeat per item.
    cost: int = 0
    per_item: int = 0
    #: field name -> how many times it is selected at this level (fragments included, each spread once).
    names: Counter[str] = field(default_factory=Counter)
    #: the response keys at this level (what the root fields count).
    keys: set[str] = field(default_factory=set)

    def add_cost(self, cost: int, sized: bool) -> None:
        if sized:
            self.per_item = min(CAP, self.per_item + cost)
        else:
            self.cost = min(CAP, self.cost + cost)

    def add(self, other: _Summary) -> None:
        """Adds a fragment's measures (its names and keys are merged by the caller)."""
        self.depth = max(self.depth, other.depth)
        self.aliases = min(CAP, self.aliases + other.aliases)
        self.cost = min(CAP, self.cost + other.cost)
        self.per_item = min(CAP, self.per_item + other.per_item)


@dataclass
class Measures:
    """What an operation measures, and the problems found in its document."""

    depth: int
    aliases: int
    root_fields: int
    cost: int
    problems: list[GraphQLError]


def _unwrap(graphql_type: Any) -> Any:
    return graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type


def _is_composite(graphql_type: Any) -> bool:
    return isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType))


def _is_connection_type(graphql_type: Any) -> bool:
    """A Relay connection type: its `edges` and `nodes` repeat per item."""
    fields = getattr(graphql_type, "fields", None)
    return isinstance(fields, dict) and "edges" in fields and "pageInfo" in fields


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any] | None,
        settings: Settings,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.variables = variables or {}
        self.defaults = {
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.introspection = introspection_sizes(schema)
        self.memo: dict[str, _Summary] = {}
        self.in_progress: set[str] = set()
        self.problems: list[GraphQLError] = []
        #: False while walking definitions the request does not execute: only their shape is checked.
        self.executed = True

    # --- problems -------------------------------------------------------------------------------------------

    def _directives(self, node: Node) -> None:
        directives = getattr(node, "directives", None) or ()
        limit = self.settings.max_directives
        if len(directives) > limit:
            self.problems.append(
                LimitExceeded(
                    TOO_MANY_DIRECTIVES,
                    "MAX_DIRECTIVES",
                    limit,
                    len(directives),
                    f"{len(directives)} directives in one place, more than the limit of {limit} (setting "
                    "MAX_DIRECTIVES).",
                    nodes=[node],
                )
            )

    def _repeated(self, names: Counter[str], node: SelectionSetNode) -> None:
        limit = self.settings.max_repeated_fields
        if names:
            name, count = names.most_common(1)[0]
            if count > limit:
                self.problems.append(
                    LimitExceeded(
                        TOO_MANY_REPEATED_FIELDS,
                        "MAX_REPEATED_FIELDS",
                        limit,
                        count,
                        f"The field '{name}' is selected {count} times in one selection set, more than the limit of "
                        f"{limit} (setting MAX_REPEATED_FIELDS).",
                        nodes=[node],
                    )
                )

    def _value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            name = node.name.value
            return self.variables[name] if name in self.variables else self.defaults.get(name)
        return value_from_ast_untyped(node)

    def _arguments(self, node: FieldNode, is_connection: bool) -> int | None:
        """Checks the page size and search arguments; returns the page size asked for, if any."""
        page: int | None = None
        for argument in node.arguments or ():
            name = argument.name.value
            if name in SLICING_ARGUMENTS and is_connection:
                value = self._value(argument.value)
                if isinstance(value, int) and not isinstance(value, bool):
                    self._page_size(name, value, argument)
                    page = max(0, value) if page is None else min(page, max(0, value))
            elif name in SEARCH_ARGUMENTS:
                value = self._value(argument.value)
                if isinstance(value, str):
                    self._search(name, value, argument)
        return page

    def _page_size(self, name: str, value: int, node: Node) -> None:
        if not self.executed:
            return
        limit = self.settings.max_page_size
        if value < 0:
            self.problems.append(
                GraphQLError(
                    f"Argument '{name}' must be a non-negative integer.",
                    nodes=[node],
                    extensions={"code": "BAD_USER_INPUT"},
                )
            )
        elif value > limit:
            self.problems.append(
                LimitExceeded(
                    PAGE_TOO_LARGE,
                    "MAX_PAGE_SIZE",
                    limit,
                    value,
                    f"Argument '{name}' is {value}, above the maximum page size of {limit} (setting MAX_PAGE_SIZE): "
                    "page through the list with the 'after' or 'before' cursors.",
                    nodes=[node],
                )
            )

    def _search(self, name: str, value: str, node: Node) -> None:
        if not self.executed:
            return
        settings = self.settings
        if len(value) > settings.max_search_chars:
            self.problems.append(
                LimitExceeded(
                    SEARCH_TOO_COMPLEX,
                    "MAX_SEARCH_CHARS",
                    settings.max_search_chars,
                    len(value),
                    f"Argument '{name}' is {len(value)} characters long, longer than the limit of "
                    f"{settings.max_search_chars} (setting MAX_SEARCH_CHARS).",
                    nodes=[node],
                )
            )
            return
        terms = len(_SEARCH_TERM.findall(value))
        if terms > settings.max_search_terms:
            self.problems.append(
                LimitExceeded(
                    SEARCH_TOO_COMPLEX,
                    "MAX_SEARCH_TERMS",
                    settings.max_search_terms,
                    terms,
                    f"Argument '{name}' has {terms} words and operators, more than the limit of "
                    f"{settings.max_search_terms} (setting MAX_SEARCH_TERMS).",
                    nodes=[node],
                )
            )

    # --- the walk -------------------------------------------------------------------------------------------

    def selection_set(self, node: SelectionSetNode, parent: GraphQLNamedType | None) -> _Summary:
        """The measures of `node` on `parent`."""
        summary = _Summary()
        self._collect(node, parent, summary, set())
        self._repeated(summary.names, node)
        return summary

    def _collect(
        self, node: SelectionSetNode, parent: GraphQLNamedType | None, summary: _Summary, spread: set[str]
    ) -> None:
        for selection in node.selections:
            self._directives(selection)
            if isinstance(selection, FieldNode):
                self._field(selection, parent, summary)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self._collect(selection.selection_set, target, summary, spread)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragment(selection.name.value)
                if fragment is None:
                    continue
                summary.add(fragment)
                summary.keys |= fragment.keys
                if selection.name.value not in spread:  # validation merges a fragment once per selection set
                    spread.add(selection.name.value)
                    summary.names.update(fragment.names)

    def _fragment(self, name: str) -> _Summary | None:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return None  # unknown or a cycle: validation reports it
        self.in_progress.add(name)
        self._directives(definition)
        summary = _Summary()
        self._collect(
            definition.selection_set, self.schema.get_type(definition.type_condition.name.value), summary, set()
        )
        self._repeated(summary.names, definition.selection_set)
        self.in_progress.discard(name)
        self.memo[name] = summary
        return summary

    def _definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if parent is not None and parent is self.schema.query_type:
            if name == "__schema":
                return SchemaMetaFieldDef
            if name == "__type":
                return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields else None

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None, summary: _Summary) -> None:
        name = node.name.value
        summary.names[name] += 1
        summary.keys.add(node.alias.value if node.alias else name)
        if node.alias:
            summary.aliases = min(CAP, summary.aliases + 1)
        definition = self._definition(parent, name)
        is_connection = definition is not None and any(a in definition.args for a in SLICING_ARGUMENTS)
        page = self._arguments(node, is_connection) if node.arguments else None
        # The fields of a connection that repeat per item go to `per_item`, multiplied by the connection field.
        sized = name in SIZED_FIELDS and _is_connection_type(parent)
        if node.selection_set is None:
            summary.depth = max(summary.depth, 1)
            summary.add_cost(1, sized)
            return
        target = get_named_type(definition.type) if definition is not None else None
        child = self.selection_set(node.selection_set, target)
        parent_name = parent.name if parent is not None else ""
        if is_connection:
            size = (
                page
                if page is not None
                else assumed_size(parent_name, name, True, self.settings.max_page_size, self.introspection)
            )
            cost = 1 + child.cost + size * child.per_item
        else:
            size = 1
            if (
                not sized
                and isinstance(_unwrap(definition.type) if definition else None, GraphQLList)
                and _is_composite(target)
            ):
                size = self._list_size(node, parent_name, name)
            cost = 1 + size * (child.cost + child.per_item)
        summary.depth = max(summary.depth, 1 + child.depth)
        summary.aliases = min(CAP, summary.aliases + child.aliases)
        summary.add_cost(cost, sized)

    def _list_size(self, node: FieldNode, parent_name: str, name: str) -> int:
        for argument in node.arguments or ():
            if argument.name.value == "ids":  # nodes(ids:): one item per id
                value = self._value(argument.value)
                if isinstance(value, list):
                    return len(value)
        return assumed_size(parent_name, name, False, self.settings.max_page_size, self.introspection)


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any] | None,
    settings: Settings,
) -> Measures:
    """The measures of `operation` (the one the request executes) and the problems of the whole document.

    Every other operation and fragment of the document is walked too, for the problems of its shape (repeated
    fields, directives), which validation would otherwise pay for."""
    walk = _Walk(schema, document, operation, variables, settings)
    walk._directives(operation)
    for variable in operation.variable_definitions or ():
        walk._directives(variable)
    root = walk.selection_set(operation.selection_set, _root_type(schema, operation))
    walk.executed = False
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition is not operation:
            walk._directives(definition)
            walk.selection_set(definition.selection_set, _root_type(schema, definition))
        elif isinstance(definition, FragmentDefinitionNode):
            walk._fragment(definition.name.value)
    return Measures(
        depth=root.depth,
        aliases=root.aliases,
        root_fields=len(root.keys),
        cost=root.cost + root.per_item,
        problems=walk.problems,
    )


def _root_type(schema: GraphQLSchema, operation: OperationDefinitionNode) -> GraphQLObjectType | None:
    return schema.get_root_type(operation.operation)
