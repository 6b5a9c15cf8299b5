"""Static checks, part of the test command (so CI runs them): ruff's lint and format check, and mypy, each as
configured in pyproject.toml, over the whole repository.  A failure shows the tool's own report.

Alone: `.venv/bin/ruff check`, `.venv/bin/ruff format --check` (`ruff format` to fix) and `.venv/bin/mypy`, in
the repository root.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import require
from .paths import REPO_ROOT

CHECKS = {
    "ruff check": ["ruff", "check", "--output-format", "concise"],
    "ruff format --check": ["ruff", "format", "--check"],
    "mypy": ["mypy"],  # the packages and the strictness come from [tool.mypy]
}


@pytest.mark.parametrize("command", CHECKS.values(), ids=CHECKS.keys())
def test_static_check_passes(command: list[str]) -> None:
    tool, *arguments = command
    require(importlib.util.find_spec(tool), f"{tool} is not installed: pip install -c constraints.txt -e '.[test]'")
    done = subprocess.run(
        [sys.executable, "-m", tool, *arguments], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"`{' '.join(command)}` failed:\n{done.stdout}{done.stderr}"
