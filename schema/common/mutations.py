"""The one mutation pipeline: an input declared once, a generated payload, one generic runner.

A mutation is declared as `editor_mutation(service, Input, payload(Node), description, argument)`:
the input's fields carry their rules and id types (`schema/common/inputs.py`), so the pipeline

1. turns the Strawberry input into plain values (UNSET fields left out, enums as model values),
2. decodes every global ID and checks it is of the field's type (INVALID otherwise),
3. applies every field's rule, nested inputs included, collecting all problems with their paths,
4. calls the service with the resulting `Input` in one transaction with the caller's tenant
   context; the service adds the problems its business rules find and raises them all (a database
   constraint's column is named by the input field whose rule fills it),
5. answers the payload: the object (`Node.from_row`) or null, and one `MutationError` per problem.

Any error rolls the whole transaction back, so nothing is half-written.  Calls without any
`region:<slug>:write` scope are refused before that with a GraphQL error (extensions.code FORBIDDEN).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
import typing
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar

import strawberry
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types.base import get_object_definition, has_object_definition
from strawberry.types.field import StrawberryField

from kkr.platform.auth.identity import Identity
from kkr.platform.services import errors as service_errors
from kkr.platform.services.errors import FieldError, Path, ServiceError
from kkr.platform.services.store import database_error
from kkr.platform.services.validation import Checker, Choice, Input, read

from ..permissions import RegionalWrite
from .enums import MIRRORED
from .errors import MutationError, mutation_errors
from .inputs import KEYED_BY_TEXT, SELF, DeleteInput, FieldSpec, Kind, spec_of

R = TypeVar("R")

#: A service: (session, caller, validated input) -> the row it created, changed or deleted.
Service = Callable[[AsyncSession, Identity, Input], Awaitable[R]]


# --- input -> plain values -> Input -----------------------------------------------------------


def sent_values(data: Any) -> dict[str, Any]:
    """The fields of a Strawberry input the caller sent (UNSET left out), by Python name, as plain values."""
    return {
        field.python_name: _plain(getattr(data, field.python_name))
        for field in get_object_definition(data, strict=True).fields
        if getattr(data, field.python_name) is not strawberry.UNSET
    }


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if has_object_definition(value):
        return sent_values(value)
    if isinstance(value, enum.Enum):
        return value.value  # GraphQL enum members carry the model's value
    return value


def decode_id(value: relay.GlobalID, expected: str, path: Path) -> Any:
    """The database key of a global ID of the `expected` type, or a `ServiceError` naming the field.

    An id of another type, of no type at all, or with a key no `expected` can have (not a UUID, a NUL) gets
    one and the same message (INVALID), whatever type name it carries; a well-formed id of no visible row
    is NOT_FOUND (the service's answer)."""
    key = value.node_id
    valid = value.type_name == expected and key and "\x00" not in key
    if valid and expected in KEYED_BY_TEXT:
        return key
    try:
        if valid:
            return uuid.UUID(key)
    except ValueError:
        pass
    raise ServiceError.one(path, service_errors.ErrorCode.INVALID, f"This is not a valid {expected} id.")


@functools.cache
def field_specs(input_type: type) -> dict[str, tuple[FieldSpec, type | None]]:
    """Each declared field of an input: its spec and, for a list of nested inputs, their input type.

    A `Choice()` without its enum gets the model enum the field's GraphQL enum mirrors."""
    hints = typing.get_type_hints(input_type)
    specs: dict[str, tuple[FieldSpec, type | None]] = {}
    for field in get_object_definition(input_type, strict=True).fields:
        spec = spec_of(field)
        if spec is None:
            raise TypeError(f"{input_type.__name__}.{field.python_name} is not declared with a rule")
        annotation = _without_none(hints[field.python_name])
        if isinstance(spec.rule, Choice) and spec.rule.enum_type is enum.Enum:
            choice = dataclasses.replace(spec.rule, enum_type=MIRRORED[annotation])
            spec = dataclasses.replace(spec, rule=choice)
        inner = None
        if spec.kind is Kind.NESTED:
            inner = next(a for a in typing.get_args(annotation) if isinstance(a, type))
        specs[field.python_name] = (spec, inner)
    return specs


def _without_none(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def validate(input_type: type, raw: Mapping[str, Any], own_type: str, check: Checker | None = None) -> Input:
    """The `Input` a service gets for the raw values of `input_type` (by Python name): ids decoded, rules applied.

    An input with an `id` changes an existing object: only the editable fields sent are read.
    Problems are collected in `check` (all of them, editable fields first, then the others, then nested
    inputs); a global ID of the wrong type is refused at once."""
    check = check if check is not None else Checker()
    specs = field_specs(input_type)
    unknown = set(raw) - set(specs)
    if unknown:
        raise TypeError(f"{input_type.__name__} has no field(s) {sorted(unknown)}")
    decoded = dict(raw)
    for name, (spec, _) in specs.items():
        value = raw.get(name)
        if spec.id_type is not None and isinstance(value, relay.GlobalID):
            decoded[name] = decode_id(value, own_type if spec.id_type == SELF else spec.id_type, check.path(name))

    def rules(kind: Kind) -> dict[str, Any]:
        return {name: spec.rule for name, (spec, _) in specs.items() if spec.kind is kind}

    editable = rules(Kind.EDITABLE)
    values = read(decoded, editable, check, partial="id" in specs)
    args = read(decoded, rules(Kind.PARAMETER), check, partial=False)
    for name, (spec, inner) in specs.items():
        if spec.kind is Kind.NESTED and inner is not None:
            items = decoded.get(name) or ()
            args[name] = [validate(inner, item or {}, own_type, check.child(name, i)) for i, item in enumerate(items)]
    return Input(values=values, args=args, sent=frozenset(decoded) & frozenset(editable), check=check)


def field_path(input_type: type, path: Path) -> Path:
    """An error's path in the input's field names: a column (from a database constraint) becomes the
    field whose rule fills it (`source_document_key` -> `source_document`), also in nested inputs."""
    if not path:
        return path
    head, rest = path[0], path[1:]
    for name, (spec, inner) in field_specs(input_type).items():
        if spec.kind is Kind.NESTED and head == name and inner is not None and len(rest) > 1:
            return (name, rest[0], *field_path(inner, rest[1:]))
        if spec.rule.column is not None and spec.rule.column == head:
            return (name, *rest)
    return path


def in_field_names(input_type: type, exc: ServiceError) -> ServiceError:
    return ServiceError(FieldError(field_path(input_type, e.field), e.code, e.message) for e in exc.errors)


# --- running a service ------------------------------------------------------------------------


async def call(session: AsyncSession, identity: Identity, service: Service[R], input_type: type, data: Input) -> R:
    """The service on validated values; any problem (the rules', the service's) as a `ServiceError` in the
    input's field names.  A problem the service did not raise itself still refuses the call."""
    try:
        row = await service(session, identity, data)
        data.check.raise_if_errors()
    except ServiceError as exc:
        raise in_field_names(input_type, exc) from None
    return row


async def run_service(
    info: strawberry.Info, service: Service[R], data: Any, own_type: str
) -> tuple[R | None, list[MutationError]]:
    """Validate the input and call the service in one transaction; (row, []) or (None, errors)."""
    input_type = type(data)
    try:
        values = validate(input_type, sent_values(data), own_type)
        async with info.context.transaction() as session:
            row = await call(session, info.context.identity, service, input_type, values)
    except ServiceError as exc:
        return None, mutation_errors(exc.errors)
    except DBAPIError as exc:  # a constraint checked only at commit
        mapped = database_error(exc, {})
        if not isinstance(mapped, ServiceError):
            raise
        return None, mutation_errors(in_field_names(input_type, mapped).errors)
    return row, []


#: Every editor mutation's service -> (its input type, the GraphQL name of its object type).
SERVICES: dict[Callable[..., Any], tuple[type, str]] = {}


def input_for(service: Callable[..., Any], raw: Mapping[str, Any]) -> Input:
    """The `Input` a service gets from its mutation for raw values (by Python name, keys as ids):
    how tests call a service exactly as the API does, without HTTP."""
    input_type, own_type = SERVICES[service]
    return validate(input_type, raw, own_type)


# --- payloads and mutation fields -------------------------------------------------------------


class Payload:
    """Base of the generated payloads: the object as saved (null when refused) and `errors`."""

    node_type: ClassVar[Any]
    object_field: ClassVar[str]

    @classmethod
    def answer(cls, row: Any, errors: list[MutationError]) -> Any:
        node = cls.node_type.from_row(row) if row is not None else None
        return cls(**{cls.object_field: node, "errors": errors})


def _words(type_name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z][a-z]*", type_name)]


def payload(node_type: type, *, description: str | None = None, object_description: str | None = None) -> type[Payload]:
    """`<Type>Payload { <type>: Type, errors: [MutationError!]! }` for the object type of a mutation."""
    name = get_object_definition(node_type, strict=True).name
    label = " ".join(_words(name))
    field_name = "_".join(_words(name))
    namespace = {
        "__annotations__": {field_name: node_type | None, "errors": list[MutationError]},
        "__module__": node_type.__module__,
        "node_type": node_type,
        "object_field": field_name,
        field_name: strawberry.field(
            description=object_description or f"The {label} as saved (null when the mutation was refused)."
        ),
        "errors": strawberry.field(description="Why the mutation was refused; empty on success."),
    }
    cls = type(f"{name}Payload", (Payload,), namespace)
    article = "an" if label[0] in "aeiou" else "a"
    return strawberry.type(cls, description=description or f"The outcome of a mutation on {article} {label}.")


@strawberry.type(description="The outcome of a delete mutation.")
class DeletePayload:
    deleted_id: relay.GlobalID | None = strawberry.field(
        description="Global ID of the deleted object (null when the deletion was refused)."
    )
    errors: list[MutationError] = strawberry.field(description="Why the deletion was refused; empty on success.")


def _field(
    answer: Callable[[strawberry.Info, Any], Awaitable[Any]],
    input_type: type,
    payload_type: type,
    description: str,
    argument: str,
) -> StrawberryField:
    async def resolve(self: Any, info: strawberry.Info, input: Any) -> Any:
        return await answer(info, input)

    resolve.__annotations__ = {
        "self": Any,
        "info": strawberry.Info,
        "input": Annotated[input_type, strawberry.argument(description=argument)],
        "return": payload_type,
    }
    return strawberry.mutation(resolve, description=description, permission_classes=[RegionalWrite])


def editor_mutation(
    service: Service[Any], input_type: type, payload_type: type[Payload], description: str, argument: str
) -> StrawberryField:
    """A mutation field for a region's editors (needs a region:<slug>:write scope): `input` -> payload."""
    own_type = get_object_definition(payload_type.node_type, strict=True).name
    SERVICES[service] = (input_type, own_type)

    async def answer(info: strawberry.Info, data: Any) -> Any:
        row, errors = await run_service(info, service, data, own_type)
        return payload_type.answer(row, errors)

    return _field(answer, input_type, payload_type, description, argument)


def delete_mutation(
    service: Service[Any], node_type: type, description: str, argument: str, input_type: type | None = None
) -> StrawberryField:
    """A delete for a region's editors; the payload names the deleted object by its global ID."""
    own_type = get_object_definition(node_type, strict=True).name
    input_type = input_type or DeleteInput
    SERVICES[service] = (input_type, own_type)

    async def answer(info: strawberry.Info, data: Any) -> DeletePayload:
        row, errors = await run_service(info, service, data, own_type)
        deleted = relay.GlobalID(own_type, str(row.id)) if row is not None else None
        return DeletePayload(deleted_id=deleted, errors=errors)

    return _field(answer, input_type, DeletePayload, description, argument)
