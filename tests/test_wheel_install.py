"""A wheel built from the repository works outside the checkout (issue 12).

The wheel is built (`pip wheel --no-deps`) from a clean copy of the checkout, so that nothing stale in the
working tree's `build/` can slip into it, and its file list is compared with the folders `kkr/` links: every
module and data file (migrations' SQL, the curated tenants, the frontend contract, GraphiQL's assets) and
nothing else.  It is then installed into a fresh virtual environment in a temporary directory; the
dependencies come from this test environment's site-packages through a path entry (`.pth`), which adds the
folder only, never the editable install's own `.pth` in it, so `kkr` is the wheel's copy.  `kkr serve --demo`
runs from there (cwd a temporary directory, no PYTHONPATH) on a fresh database and answers the frontend
contract's Dashboard query with the demo data.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import AsyncIterator
from importlib import metadata
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

from .conftest import _free_port, create_database, drop_database, require
from .paths import REPO_ROOT
from .processes import wait_until_answering
from .tokens import auth_settings, bearer

STARTUP_SECONDS = 180  # migrations and the demo data on a slow machine
#: What `kkr/` maps into the package: the name inside `kkr` and the repository's folder.
LINKS = {link.name: link.resolve() for link in (REPO_ROOT / "kkr").iterdir() if link.is_symlink()}
NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
)
#: Developers' tooling inside the linked folders, left out of the wheel (pyproject.toml, packages.find exclude).
TOOLING = ("kkr/frontend_contract/codegen/",)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of a clean copy of the checkout (no build isolation: the build backend is a test dependency)."""
    backend = metadata.version("setuptools")
    require(int(backend.split(".")[0]) >= 77, f"setuptools {backend} < 77: pip install -c constraints.txt -e '.[test]'")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO_ROOT, source, symlinks=True, ignore=NOT_SOURCES)
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work), "."],
        cwd=source,
    )
    [built] = work.glob("kkr_platform-*.whl")
    return built


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_links_map_the_top_level_folders() -> None:
    assert {name: path.name for name, path in LINKS.items()} == {
        "platform": "platform",
        "schema": "schema",
        "migrations": "migrations",
        "tenants": "tenants",
        "frontend_contract": "frontend-contract",
    }


def test_the_wheel_holds_the_linked_folders_and_nothing_else(wheel: Path) -> None:
    """Modules and data files alike: e.g. the migrations read SQL files beside them (0009_aggregates/*.sql)."""
    expected = {
        f"kkr/{name}/{path.relative_to(folder).as_posix()}"
        for name, folder in LINKS.items()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    expected = {name for name in expected if not name.startswith(TOOLING)}
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert any(
        name.startswith("kkr/migrations/versions/0009_aggregates/") for name in expected if name.endswith(".sql")
    )
    assert sorted(expected - shipped) == [], "files of the package that the wheel lacks (package data?)"
    assert sorted(shipped - expected) == [], "files in the wheel that are not in the checkout"


def test_the_wheel_declares_the_runtime_dependencies_and_the_kkr_command(wheel: Path) -> None:
    """What `pip install <wheel>` installs: pyproject's dependencies (the test extras only under their `extra` marker)
    and the `kkr` console script."""
    with zipfile.ZipFile(wheel) as archive:
        info = next(name.split("/")[0] for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    required = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
    runtime = [r for r in required if "extra ==" not in r]
    assert [_name(r) for r in runtime] == [_name(r) for r in declared]
    assert "kkr = kkr.platform.cli:main" in entry_points


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


@pytest.fixture
async def fresh_database() -> AsyncIterator[URL]:
    url = await create_database("kkr_wheel")
    yield url
    await drop_database(url)


def _venv_with_the_wheel(wheel: Path, directory: Path) -> Path:
    """A fresh virtual environment with the wheel installed; its dependencies are this environment's."""
    venv = directory / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=directory)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], cwd=directory)
    site_packages = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], directory).strip()
    )
    outer = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site_packages / "test-dependencies.pth").write_text("".join(f"{path}\n" for path in outer))
    return venv


def test_kkr_serve_demo_from_a_fresh_venv_outside_the_checkout(
    wheel: Path, fresh_database: URL, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = tmp_path_factory.mktemp("installed")
    assert REPO_ROOT not in directory.resolve().parents
    venv = _venv_with_the_wheel(wheel, directory)
    workdir = directory / "cwd"
    workdir.mkdir()
    checkout = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "TENANTS_DIR", "FRONTEND_CONTRACT_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in checkout and not k.endswith("DATABASE_URL")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    where = run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import json, kkr.platform.app, kkr.schema.schema, kkr.migrations.tenancy as m;"
            " from kkr.platform.settings import Settings; from kkr.platform.migrate import alembic_config;"
            " s = Settings(); print(json.dumps([kkr.platform.app.__file__, kkr.schema.schema.__file__, m.__file__,"
            " str(s.tenants_dir), str(s.frontend_contract_dir), alembic_config().get_main_option('script_location')]))",
        ],
        workdir,
        env,
    )
    for path in json.loads(where):
        assert Path(path).is_relative_to(venv.resolve()), f"{path} is not the installed copy"

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = auth_settings(directory / "auth")
    env.update(
        {name.upper(): str(value) for name, value in settings.items()},
        DATABASE_URL=fresh_database.render_as_string(hide_password=False),
        ENVIRONMENT="development",
        LOG_LEVEL="warning",
        RATE_LIMIT_ENABLED="false",
    )
    log_path = directory / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(venv / "bin" / "kkr"), "serve", "--demo", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_answering(
            proc, f"{base}/readyz", STARTUP_SECONDS, lambda: log_path.read_text(errors="replace")[-4000:]
        )
        dashboard = (REPO_ROOT / "frontend-contract" / "operations" / "regional" / "Dashboard.graphql").read_text(
            encoding="utf-8"
        )
        response = httpx.post(
            f"{base}/graphql",
            json={"query": dashboard, "variables": {"region": "nordjylland", "year": 2020}},
            headers=bearer("region:nordjylland:read"),
            timeout=60,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, (body.get("errors"), log_path.read_text(errors="replace")[-4000:])
    region = body["data"]["region"]
    assert region["kkrName"] == "KKR Nordjylland"
    targets = [
        target
        for contract in region["resultContracts"]["nodes"]
        for goal in contract["goals"]["nodes"]
        for indicator in goal["indicators"]["nodes"]
        for target in indicator["targets"]["nodes"]
    ]
    assert targets and all(target["fulfilment"]["status"] for target in targets)
