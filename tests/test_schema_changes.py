"""The breaking-change gate (platform/schema_changes.py) and releasing the schema."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from kkr.platform.contract import current_sdl, operation_files
from kkr.platform.schema_changes import gate_failures, registered_operations, release, released_version
from kkr.platform.settings import get_settings

CONTRACT = get_settings().frontend_contract_dir
RELEASED = (CONTRACT / "released" / "schema.graphql").read_text(encoding="utf-8")
CHANGELOG = (CONTRACT / "CHANGELOG.md").read_text(encoding="utf-8")
OPERATIONS = registered_operations(operation_files())
REMOVED = "Field Region.kkrName was removed."


def _without_kkr_name(sdl: str) -> str:
    """The SDL with the field `Region.kkrName` (and its one-line description) removed."""
    field = re.compile(r'\n  """[^\n]*"""\n  kkrName: [^\n]*\n').search(sdl, sdl.index("type Region "))
    assert field is not None
    return sdl[: field.start()] + "\n" + sdl[field.end() :]


def _deprecated_kkr_name(sdl: str) -> str:
    start = sdl.index("type Region ")
    at = re.compile(r"(\n\s+kkrName: [^\n]*)").search(sdl, start)
    assert at is not None
    return sdl[: at.end()] + ' @deprecated(reason: "use kkr.name")' + sdl[at.end() :]


def _listed(change: str, reason: str = "KL asked for it") -> str:
    return CHANGELOG.replace("## Unreleased\n", f"## Unreleased\n\n- `{change}` — {reason}\n", 1)


def test_the_schema_of_the_code_passes_the_gate_against_the_released_one() -> None:
    assert gate_failures(RELEASED, current_sdl(), CHANGELOG, OPERATIONS) == []


def test_a_breaking_change_without_a_changelog_entry_fails() -> None:
    proposed = _without_kkr_name(current_sdl())
    failures = gate_failures(_deprecated_kkr_name(RELEASED), proposed, CHANGELOG, {})
    assert failures == [f"breaking change not in CHANGELOG.md (## Unreleased): add the line - `{REMOVED}` — <reason>"]


def test_a_removal_needs_a_deprecation_in_an_earlier_release() -> None:
    proposed = _without_kkr_name(current_sdl())
    failures = gate_failures(RELEASED, proposed, _listed(REMOVED), {})
    assert failures == [f"removed without being deprecated in the released schema first: {REMOVED}"]
    # Deprecated in the release, listed with a reason: allowed.
    assert gate_failures(_deprecated_kkr_name(RELEASED), proposed, _listed(REMOVED), {}) == []
    # Listed without a reason: not enough.
    assert gate_failures(_deprecated_kkr_name(RELEASED), proposed, _listed(REMOVED, ""), {}) == [
        f"breaking change listed without a reason: {REMOVED}"
    ]


def test_an_operation_the_change_would_break_is_named() -> None:
    proposed = _without_kkr_name(current_sdl())
    failures = gate_failures(_deprecated_kkr_name(RELEASED), proposed, _listed(REMOVED), OPERATIONS)
    [failure] = failures
    assert failure.startswith(
        "registered operation regional/Dashboard breaks: Cannot query field 'kkrName' on type 'Region'."
    )


def test_a_dangerous_change_must_be_listed_too() -> None:
    enum = re.compile(r"\nenum (\w+) \{\n").search(current_sdl())
    assert enum is not None
    proposed = current_sdl()[: enum.end()] + "  BRAND_NEW_VALUE\n" + current_sdl()[enum.end() :]
    change = f"Enum value {enum[1]}.BRAND_NEW_VALUE was added."
    failures = gate_failures(RELEASED, proposed, CHANGELOG, {})
    assert failures == [f"dangerous change not in CHANGELOG.md (## Unreleased): add the line - `{change}` — <reason>"]
    assert gate_failures(RELEASED, proposed, _listed(change), {}) == []


def test_release_copies_the_sdl_and_rolls_the_changelog(tmp_path: Path) -> None:
    shutil.copytree(CONTRACT / "released", tmp_path / "released")
    (tmp_path / "CHANGELOG.md").write_text(_listed("X was removed."), encoding="utf-8")
    with pytest.raises(ValueError, match="not greater"):
        release(released_version(tmp_path / "released"), "type Query { a: Int }\n", tmp_path)
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR\.PATCH"):
        release("2", "type Query { a: Int }\n", tmp_path)
    release("1.1.0", "type Query { a: Int }\n", tmp_path, today=date(2027, 1, 5))
    assert (tmp_path / "released" / "schema.graphql").read_text(encoding="utf-8") == "type Query { a: Int }\n"
    assert released_version(tmp_path / "released") == "1.1.0"
    changelog = (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## Unreleased\n\n## 1.1.0 — 2027-01-05\n\n- `X was removed.`" in changelog


def test_check_schema_passes_for_the_code(capsys: pytest.CaptureFixture[str]) -> None:
    from kkr.platform.cli import main

    assert main(["check-schema"]) == 0
    assert "schema gate: passed" in capsys.readouterr().out
