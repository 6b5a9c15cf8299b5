"""The frontend contract: the published SDL and the operations front-ends send.

`frontend-contract/schema.graphql` is the schema as front-ends build against it
(the whole schema; each caller's introspection shows only its part of it), and
`frontend-contract/operations/*.graphql` holds named operations that must keep
validating against it.  `kkr export-schema` rewrites the SDL; a test fails when
the committed file and the code disagree.
"""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLError, parse, validate

from .settings import REPO_ROOT

CONTRACT_DIR = REPO_ROOT / "frontend-contract"
SDL_PATH = CONTRACT_DIR / "schema.graphql"
OPERATIONS_DIR = CONTRACT_DIR / "operations"


def current_sdl() -> str:
    """The SDL printed from the code (imported lazily: the platform does not depend on the schema)."""
    from kkr.schema.schema import schema

    return schema.as_str().rstrip("\n") + "\n"


def export_sdl(path: Path = SDL_PATH) -> bool:
    """Write the current SDL to `path`; True when the file changed."""
    sdl = current_sdl()
    if path.exists() and path.read_text(encoding="utf-8") == sdl:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sdl, encoding="utf-8")
    return True


def operation_files(directory: Path = OPERATIONS_DIR) -> list[Path]:
    return sorted(directory.glob("*.graphql"))


def read_operation(name: str, directory: Path = OPERATIONS_DIR) -> str:
    """The text of `frontend-contract/operations/<name>.graphql`."""
    return (directory / f"{name}.graphql").read_text(encoding="utf-8")


def validation_errors(document: str) -> list[GraphQLError]:
    """The errors of `document` against the current schema (empty when it is valid)."""
    from kkr.schema.schema import schema

    try:
        ast = parse(document)
    except GraphQLError as exc:
        return [exc]
    return list(validate(schema._schema, ast))
