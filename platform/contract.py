"""The frontend contract: the published SDL and the operations front-ends send.

`frontend-contract/schema.graphql` is the schema as front-ends build against it
(the whole schema; each caller's introspection shows only its part of it), and
`frontend-contract/operations/<client>/*.graphql` holds the named operations each client sends, which must keep
validating against it.  `kkr export-schema` rewrites the SDL; a test fails when
the committed file and the code disagree.  The folder is the setting
`FRONTEND_CONTRACT_DIR` (default: the copy the installed package holds).
"""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLError, parse, validate

from .settings import get_settings


def sdl_path() -> Path:
    """`schema.graphql` of the frontend contract."""
    return get_settings().frontend_contract_dir / "schema.graphql"


def operations_dir() -> Path:
    """`operations/` of the frontend contract."""
    return get_settings().frontend_contract_dir / "operations"


def current_sdl() -> str:
    """The SDL printed from the code (imported lazily: the platform does not depend on the schema)."""
    from kkr.schema.schema import schema

    return schema.as_str().rstrip("\n") + "\n"


def export_sdl(path: Path | None = None) -> bool:
    """Write the current SDL to `path` (default: the contract's `schema.graphql`); True when the file changed."""
    path = path or sdl_path()
    sdl = current_sdl()
    if path.exists() and path.read_text(encoding="utf-8") == sdl:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sdl, encoding="utf-8")
    return True


def manifest_path() -> Path:
    """`trusted-documents.json` of the frontend contract: the trusted documents, generated from `operations/`."""
    return get_settings().frontend_contract_dir / "trusted-documents.json"


def export_manifest(path: Path | None = None) -> bool:
    """Write the trusted-documents manifest of the registered operations; True when the file changed."""
    from .trusted_documents import write_manifest

    return write_manifest(path or manifest_path(), operation_files())


def operation_files(directory: Path | None = None) -> list[Path]:
    """The registered operations, one folder per client (`operations/<client>/<Name>.graphql`), sorted."""
    return sorted((directory or operations_dir()).glob("*/*.graphql"))


def read_operation(name: str, directory: Path | None = None) -> str:
    """The text of `operations/<client>/<Name>.graphql`; `name` is `<client>/<Name>`, e.g. `regional/Dashboard`."""
    return ((directory or operations_dir()) / f"{name}.graphql").read_text(encoding="utf-8")


def validation_errors(document: str) -> list[GraphQLError]:
    """The errors of `document` against the current schema (empty when it is valid)."""
    from kkr.schema.schema import schema

    try:
        ast = parse(document)
    except GraphQLError as exc:
        return [exc]
    return list(validate(schema._schema, ast))
