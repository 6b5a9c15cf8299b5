"""The committed TypeScript types of the frontend contract's operations are up to date (issue 13).

GraphQL Code Generator (frontend-contract/codegen) is run into a temporary directory and its output compared
with the committed `frontend-contract/types/operations.ts`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .npm import npm_for
from .paths import REPO_ROOT

CONTRACT = REPO_ROOT / "frontend-contract"
CODEGEN = CONTRACT / "codegen"
COMMITTED = CONTRACT / "types" / "operations.ts"
REGENERATE = "npm --prefix frontend-contract/codegen ci && npm --prefix frontend-contract/codegen run generate"


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, cwd=CODEGEN, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{command} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def npm() -> str:
    return npm_for(CODEGEN, "to generate the TypeScript types")


def generate(npm: str, out: Path, operations: str | None = None) -> str:
    env = {**os.environ, "KKR_TYPES_OUT": str(out)}
    if operations is not None:
        env["KKR_OPERATIONS"] = operations
    _run([npm, "run", "--silent", "generate"], env)
    return out.read_text(encoding="utf-8")


def test_committed_types_are_up_to_date(npm: str, tmp_path: Path) -> None:
    generated = generate(npm, tmp_path / "operations.ts")
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.is_file() else ""
    assert generated == committed, f"frontend-contract/types/operations.ts is stale: run {REGENERATE}"


def test_a_changed_operation_makes_the_types_stale(npm: str, tmp_path: Path) -> None:
    operations = tmp_path / "operations"
    shutil.copytree(CONTRACT / "operations", operations)
    dashboard = operations / "regional" / "Dashboard.graphql"
    text = dashboard.read_text(encoding="utf-8")
    assert " kkrName" in text
    dashboard.write_text(text.replace(" kkrName", "", 1), encoding="utf-8")
    changed = generate(npm, tmp_path / "operations.ts", f"{operations}/**/*.graphql")
    assert "kkrName" in COMMITTED.read_text(encoding="utf-8")
    assert changed != COMMITTED.read_text(encoding="utf-8")


def test_the_committed_types_declare_each_name_once() -> None:
    """TypeScript refuses a file that declares a type twice ("Duplicate identifier"): the generator runs the
    typescript-operations plugin alone, which emits the enums and inputs the operations use."""
    names = re.findall(r"^export type (\w+)", COMMITTED.read_text(), flags=re.MULTILINE)
    repeated = sorted({name for name in names if names.count(name) > 1})
    assert names and not repeated, f"declared more than once: {repeated}"
