"""The repository's `platform/` folder must never shadow the standard library's `platform`."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from .paths import REPO_ROOT


def test_import_platform_from_repo_root_is_the_standard_library() -> None:
    # `python -c` puts the current directory (the repo root) first on sys.path,
    # exactly like uvicorn, `python -m` and pytest's rootdir insertion.
    out = subprocess.run(
        [sys.executable, "-c", "import platform, kkr.platform.app; print(platform.__file__); print(platform.system())"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(out[0]).resolve().parent == stdlib
    assert out[1]  # the real platform.system() answered


def test_mapped_folders_have_no_init_module() -> None:
    """`kkr` and the folders it links are namespace packages (see docs/architecture.md, "Package layout")."""
    for folder in ("kkr", "platform", "schema", "migrations"):
        assert not (REPO_ROOT / folder / "__init__.py").exists(), folder


def test_the_links_of_kkr_are_relative() -> None:
    """Relative links keep working in any clone, copy or build directory of the repository."""
    for link in (REPO_ROOT / "kkr").iterdir():
        assert link.is_symlink() and not Path(os.readlink(link)).is_absolute(), link
        assert link.resolve().parent == REPO_ROOT, link


def _requirement_name(requirement: str) -> str:
    import re

    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _runtime_distributions() -> set[str]:
    """The runtime dependencies of pyproject.toml and everything they require (extras they ask for included)."""
    import tomllib
    from importlib import metadata

    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pending, seen = [_requirement_name(r) for r in declared], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or ()
        except metadata.PackageNotFoundError:  # only for other Pythons or platforms (an environment marker)
            continue
        for requirement in requirements:
            if "extra ==" not in requirement:
                pending.append(_requirement_name(requirement))
    return seen | {"sqlalchemy", "greenlet"}  # sqlalchemy[asyncio] asks for greenlet through its extra


def test_the_runtime_imports_nothing_that_only_the_tests_install() -> None:
    """`pip install -e .` (the README's server command) must give every module the server imports."""
    import ast
    from importlib import metadata

    providers = metadata.packages_distributions()
    runtime = _runtime_distributions()
    missing: dict[str, str] = {}
    for folder in ("platform", "schema", "migrations"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module]
                    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    else []
                )
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top == "kkr":
                        continue
                    distributions = {_requirement_name(d) for d in providers.get(top, [top])}
                    if not distributions & runtime:
                        missing[top] = str(path.relative_to(REPO_ROOT))
    assert not missing, f"imported at runtime but not a runtime dependency: {missing}"
