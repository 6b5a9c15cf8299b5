"""README's "Settings (environment)" table lists every field of `Settings`, and nothing else, with its default.

A row may name several variables (`HOST`, `PORT`) with as many comma-separated defaults.  A default written as a
literal (`20`, `true`, `kkr_app`, `[[1, 85], [2, 90]]`) must equal the field's default; a size may add its human
form in parentheses (`1048576` (1 MiB)), which must agree too.  Defaults that are computed (a factory, or None:
"embedded PostgreSQL", "none") are written in words and not compared."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import pytest
from pydantic_core import PydanticUndefined

from kkr.platform.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Settings (environment)"
UNITS = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}


@dataclass(frozen=True)
class Row:
    variables: tuple[str, ...]
    defaults: tuple[str, ...]
    meaning: str


def table() -> list[Row]:
    text = README.read_text(encoding="utf-8")
    assert text.count(SECTION) == 1, f"README.md needs exactly one {SECTION!r} section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    assert lines[0].replace(" ", "") == "|variable|default|meaning|", lines[0]
    assert set(lines[1]) <= set("|-: "), lines[1]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"not three cells: {line}"
        names = [part.strip() for part in cells[0].split(",")]
        assert all(re.fullmatch(r"`[A-Z][A-Z0-9_]*`", n) for n in names), f"variables as `NAME`, `NAME`: {line}"
        defaults = split_top_level(cells[1]) if len(names) > 1 else [cells[1]]
        assert len(defaults) == len(names), f"one default per variable: {line}"
        rows.append(Row(tuple(n.strip("`") for n in names), tuple(defaults), cells[2]))
    return rows


def split_top_level(cell: str) -> list[str]:
    """`a`, `[1, 2]`, b -> [`a`, `[1, 2]`, b]: commas outside backticks and brackets."""
    parts, depth, quoted, current = [], 0, False, ""
    for char in cell:
        if char == "`":
            quoted = not quoted
        elif not quoted and char in "[(":
            depth += 1
        elif not quoted and char in "])":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


def documented() -> dict[str, str]:
    """Variable -> its default as written."""
    found: dict[str, str] = {}
    for row in table():
        for name, default in zip(row.variables, row.defaults, strict=True):
            assert name not in found, f"{name} appears in two rows"
            found[name] = default
    return found


def test_every_setting_has_a_row_and_every_row_is_a_setting() -> None:
    variables = set(documented())
    fields = {name.upper() for name in Settings.model_fields}
    assert not fields - variables, f"settings missing from README's table (add a row): {sorted(fields - variables)}"
    assert not variables - fields, f"README's table names no such setting: {sorted(variables - fields)}"


def simple_default(name: str) -> object:
    """The field's default when it is a literal a reader can compare (scalar, enum or list), else None."""
    field = Settings.model_fields[name]
    if field.default_factory is not None or field.default is PydanticUndefined or field.default is None:
        return None
    default = field.default
    return default.value if isinstance(default, Enum) else default


def written_value(text: str, example: object) -> object:
    """The default as the table writes it, read as the type of `example`."""
    literal = re.fullmatch(r"`([^`]*)`(?:\s*\(([\d.]+) ([KMG]iB)\))?", text)
    human = re.fullmatch(r"([\d.]+) ([KMG]iB)", text)
    if human:
        return float(human[1]) * UNITS[human[2]]
    assert literal, f"{text!r}: write the default as `literal` (optionally with a size in parentheses)"
    value: object
    if isinstance(example, bool):
        assert literal[1] in ("true", "false"), text
        value = literal[1] == "true"
    elif isinstance(example, int | float):
        value = float(literal[1]) if isinstance(example, float) else int(literal[1])
    elif isinstance(example, list):
        value = json.loads(literal[1])
    else:
        value = literal[1]
    if literal[2]:
        assert float(literal[2]) * UNITS[literal[3]] == value, f"{text}: the parenthesised size disagrees"
    return value


@pytest.mark.parametrize("name", sorted(n for n in Settings.model_fields if simple_default(n) is not None))
def test_the_default_shown_is_the_fields_default(name: str) -> None:
    default = simple_default(name)
    text = documented().get(name.upper())
    assert text is not None, f"{name.upper()} has no row"
    expected = json.loads(json.dumps(default)) if isinstance(default, list) else default  # tuples as JSON lists
    assert written_value(text, default) == expected, f"{name.upper()}: README says {text}, the default is {default!r}"


def test_defaults_in_words_are_for_computed_defaults_only() -> None:
    """A default written without a literal belongs to a field whose default is computed or unset."""
    for name, text in documented().items():
        if "`" not in text.split("(")[0] and not re.fullmatch(r"[\d.]+ [KMG]iB", text):
            assert simple_default(name.lower()) is None, f"{name}: {text!r} is words, but the default is a value"


def test_every_row_says_what_it_means() -> None:
    for row in table():
        assert row.meaning, f"{row.variables}: no meaning"
