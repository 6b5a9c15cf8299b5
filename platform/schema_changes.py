"""The breaking-change gate between the last released SDL and the schema of the code, and releasing.

`frontend-contract/released/schema.graphql` is the schema clients were last promised (its version in
`released/version.txt`).  `gate_failures` compares a proposed SDL with it (graphql-core's
`find_breaking_changes` and `find_dangerous_changes`) and fails

- a breaking or dangerous change that the "Unreleased" section of `frontend-contract/CHANGELOG.md` does not
  list as a bullet "- `<the change's description, as printed by kkr check-schema>` — <reason>";
- the removal of a field or an argument that was not deprecated (`@deprecated`) in the released SDL, even
  when listed;
- every registered operation (`operations/<client>/<Name>.graphql`) that does not validate against the
  proposed schema, by name.

`kkr check-schema` prints the changes and the failures; `kkr release-schema <version>` copies the current
SDL to `released/` with the version and turns "Unreleased" into that version's section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from graphql import (
    BreakingChangeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    parse,
    validate,
)

UNRELEASED = "## Unreleased"
_ENTRY = re.compile(r"^- `(?P<change>[^`]+)`\s*(?:—|--|-)?\s*(?P<reason>.*)$")
_FIELD_REMOVED = re.compile(r"^Field (?P<type>\w+)\.(?P<field>\w+) was removed\.$")
_ARG_REMOVED = re.compile(r"^Argument (?P<type>\w+)\.(?P<field>\w+)\((?P<arg>\w+):\) was removed\.$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Change:
    """One difference between the released and the proposed schema."""

    kind: str
    description: str
    breaking: bool


def schema_changes(released: GraphQLSchema, proposed: GraphQLSchema) -> list[Change]:
    """The breaking, then the dangerous changes from `released` to `proposed`."""
    breaking = [Change(c.type.name, c.description, True) for c in find_breaking_changes(released, proposed)]
    dangerous = [Change(c.type.name, c.description, False) for c in find_dangerous_changes(released, proposed)]
    return breaking + dangerous


def changelog_entries(changelog: str) -> dict[str, str]:
    """The changes the "Unreleased" section lists: description -> reason."""
    entries: dict[str, str] = {}
    inside = False
    for line in changelog.splitlines():
        if line.startswith("## "):
            inside = line.strip() == UNRELEASED
        elif inside and (match := _ENTRY.match(line.strip())):
            entries[match["change"].strip()] = match["reason"].strip()
    return entries


def _was_deprecated(released: GraphQLSchema, change: Change) -> bool | None:
    """For a removed field or argument: whether the released schema deprecated it (None: not a removal)."""
    if change.kind == BreakingChangeType.FIELD_REMOVED.name and (match := _FIELD_REMOVED.match(change.description)):
        owner = released.get_type(match["type"])
        if isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType)) and match["field"] in owner.fields:
            return owner.fields[match["field"]].deprecation_reason is not None
        return False
    if change.kind == BreakingChangeType.ARG_REMOVED.name and (match := _ARG_REMOVED.match(change.description)):
        owner = released.get_type(match["type"])
        if isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType)) and match["field"] in owner.fields:
            argument = owner.fields[match["field"]].args.get(match["arg"])
            return argument is not None and argument.deprecation_reason is not None
        return False
    return None


def gate_failures(released_sdl: str, proposed_sdl: str, changelog: str, operations: dict[str, str]) -> list[str]:
    """Why the proposed schema may not replace the released one (empty: it may); see the module docstring.
    `operations`: registered operation name (`<client>/<Name>`) -> its document."""
    released, proposed = build_schema(released_sdl), build_schema(proposed_sdl)
    entries = changelog_entries(changelog)
    failures = []
    for change in schema_changes(released, proposed):
        what = "breaking" if change.breaking else "dangerous"
        if change.description not in entries:
            failures.append(
                f"{what} change not in CHANGELOG.md ({UNRELEASED}): add the line - `{change.description}` — <reason>"
            )
        elif change.breaking and not entries[change.description]:
            failures.append(f"breaking change listed without a reason: {change.description}")
        if _was_deprecated(released, change) is False:
            failures.append(f"removed without being deprecated in the released schema first: {change.description}")
    for name, document in sorted(operations.items()):
        for error in validate(proposed, parse(document)):
            failures.append(f"registered operation {name} breaks: {error.message}")
    return failures


def registered_operations(files: list[Path]) -> dict[str, str]:
    """`<client>/<Name>` -> document of the registered operation files."""
    return {f"{path.parent.name}/{path.stem}": path.read_text(encoding="utf-8") for path in files}


def released_version(released_dir: Path) -> str:
    version_file = released_dir / "version.txt"
    return version_file.read_text(encoding="utf-8").strip() if version_file.exists() else "0.0.0"


def _parts(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def release(version: str, current_sdl: str, contract_dir: Path, today: date | None = None) -> None:
    """Release `current_sdl` as `version`: `released/schema.graphql`, `released/version.txt`, and the changelog's
    "Unreleased" section becomes "## <version> — <date>".  ValueError when the version is not semver or not
    greater than the released one."""
    released_dir = contract_dir / "released"
    previous = released_version(released_dir)
    if not _VERSION.match(version):
        raise ValueError(f"version {version!r}: give MAJOR.MINOR.PATCH, e.g. 1.1.0")
    if _parts(version) <= _parts(previous):
        raise ValueError(f"version {version} is not greater than the released {previous}")
    released_dir.mkdir(parents=True, exist_ok=True)
    (released_dir / "schema.graphql").write_text(current_sdl, encoding="utf-8")
    (released_dir / "version.txt").write_text(version + "\n", encoding="utf-8")
    changelog_path = contract_dir / "CHANGELOG.md"
    changelog = (
        changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else f"# Changelog\n\n{UNRELEASED}\n"
    )
    heading = f"## {version} — {(today or date.today()).isoformat()}"
    changelog = changelog.replace(UNRELEASED, f"{UNRELEASED}\n\n{heading}", 1)
    changelog_path.write_text(changelog, encoding="utf-8")
