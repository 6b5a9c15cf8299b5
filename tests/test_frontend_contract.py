"""The frontend contract: the committed SDL is the code's, and every published operation validates."""

from __future__ import annotations

import pytest

from kkr.platform.cli import main
from kkr.platform.contract import current_sdl, operation_files, sdl_path, validation_errors


def test_the_published_sdl_is_the_schema_of_the_code() -> None:
    assert sdl_path().read_text(encoding="utf-8") == current_sdl(), (
        "frontend-contract/schema.graphql is out of date: run `kkr export-schema` and commit it"
    )


def test_export_schema_writes_the_sdl(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema.graphql"
    assert main(["export-schema", "--output", str(target)]) == 0
    assert "updated" in capsys.readouterr().out
    assert target.read_text(encoding="utf-8") == current_sdl()
    assert main(["export-schema", "--output", str(target)]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_there_are_published_operations() -> None:
    assert [path.stem for path in operation_files()], "frontend-contract/operations/ is empty"


@pytest.mark.parametrize("path", operation_files(), ids=lambda path: path.stem)
def test_each_published_operation_validates_against_the_schema(path) -> None:
    assert validation_errors(path.read_text(encoding="utf-8")) == []


def test_an_operation_using_a_removed_field_is_reported() -> None:
    [error] = validation_errors("query { regions { noSuchField } }")
    assert "noSuchField" in error.message
