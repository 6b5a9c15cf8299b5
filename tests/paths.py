"""The checkout the tests run from (the tests, unlike the platform, always run in one)."""

from __future__ import annotations

from pathlib import Path

#: The repository's root folder: pyproject.toml, docs/, the top-level code and data folders.
REPO_ROOT = Path(__file__).resolve().parent.parent
