"""npm for the tests that build or read the repository's JavaScript packages (the contract's code generator,
the dashboard): `npm ci` runs when a folder's node_modules does not hold the versions of its package-lock."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from .conftest import require


def _up_to_date(folder: Path) -> bool:
    installed = folder / "node_modules" / ".package-lock.json"
    if not installed.is_file():
        return False
    lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    current = json.loads(installed.read_text(encoding="utf-8"))["packages"]
    wanted = {name: entry.get("version") for name, entry in lock.items() if name and not entry.get("optional")}
    return all(current.get(name, {}).get("version") == version for name, version in wanted.items())


def npm_for(folder: Path, purpose: str) -> str:
    """The `npm` program, with `folder`'s packages installed as its lock file says; `purpose` names what the
    calling test needs them for (the message when Node.js or npm is missing)."""
    npm = shutil.which("npm")
    require(npm and shutil.which("node"), f"node and npm are needed: {purpose}")
    assert npm is not None
    if not _up_to_date(folder):
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"npm ci in {folder} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return npm
