"""The repository's `platform/` folder must never shadow the standard library's `platform`."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

from kkr.platform.settings import REPO_ROOT


def test_import_platform_from_repo_root_is_the_standard_library() -> None:
    # `python -c` puts the current directory (the repo root) first on sys.path,
    # exactly like uvicorn, `python -m` and pytest's rootdir insertion.
    out = subprocess.run(
        [sys.executable, "-c", "import platform, kkr.platform.app; print(platform.__file__); print(platform.system())"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(out[0]).resolve().parent == stdlib
    assert out[1]  # the real platform.system() answered


def test_mapped_folders_have_no_init_module() -> None:
    for folder in ("platform", "schema", "migrations"):
        assert not (REPO_ROOT / folder / "__init__.py").exists(), folder
