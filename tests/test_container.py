"""The production image (`Dockerfile`, `.dockerignore`), read with dockerfile-parse: no image is built here
(no registry is reachable), so these tests hold the Dockerfile to its promises instead."""

from __future__ import annotations

import fnmatch
import http.server
import inspect
import json
import os
import shlex
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser  # type: ignore[import-untyped]  # no type information

from kkr.platform import cli

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
BUILD_TOOLS = ("gcc", "g++", "cc", "make", "build-essential", "git", "clang", "python3-dev", "libpq-dev")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def values(self, instruction: str) -> list[str]:
        return [value for name, value in self.instructions if name == instruction]


def stages() -> list[Stage]:
    found: list[Stage] = []
    for item in DockerfileParser(str(DOCKERFILE)).structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            words = value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(base=words[0], name=name))
        elif instruction != "COMMENT":
            assert found, f"{instruction} before the first FROM"
            found[-1].instructions.append((instruction, value))
    return found


def final() -> Stage:
    return stages()[-1]


def exec_form(value: str) -> list[str]:
    """An instruction's JSON (exec) form; the shell form would run under /bin/sh and lose signals."""
    words = json.loads(value)
    assert isinstance(words, list) and all(isinstance(w, str) for w in words), value
    return words


def test_multi_stage_with_a_slim_pinned_python_base() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2
    for stage in all_stages:
        assert stage.base.startswith("python:3.11-slim"), stage.base  # a tag, never `latest` or untagged
    assert "slim" in final().base.split(":")[1], final().base


def test_the_final_stage_runs_as_a_non_root_user() -> None:
    users = final().values("USER")
    assert users, "no USER in the final stage"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0", ""), users
    # The user exists: created in the final stage with that uid (a numeric USER suits runAsNonRoot).
    created = " ".join(final().values("RUN"))
    assert "useradd" in created and f"--uid {user}" in created, created


def test_the_final_stage_installs_the_platform_wheel_not_a_checkout() -> None:
    runs = final().values("RUN")
    installs = [cmd for run in runs for cmd in run.split("&&") if "pip install" in cmd]
    assert installs, "the final stage installs nothing with pip"
    for cmd in installs:
        words = shlex.split(cmd)
        assert "-e" not in words and "--editable" not in words, cmd
        assert "--no-index" in words, f"the final stage must install only the wheels the build stage made: {cmd}"
    assert any(w.endswith(".whl") and "kkr_platform" in w for cmd in installs for w in shlex.split(cmd))
    # The wheels come from the build stage, and no source tree is copied into the final stage.
    copies = final().values("COPY")
    assert all(c.startswith("--from=") for c in copies), copies
    build_names = {s.name for s in stages()[:-1]}
    assert {c.split()[0].removeprefix("--from=") for c in copies} <= build_names
    assert any("pip wheel" in run for s in stages()[:-1] for run in s.values("RUN"))


def test_no_build_tools_in_the_final_stage() -> None:
    for run in final().values("RUN"):
        words = set(shlex.split(run.replace("&&", " ").replace(";", " ")))
        assert not words & set(BUILD_TOOLS), f"build tools in the final stage: {run}"


def test_entrypoint_is_kkr_and_the_command_serves() -> None:
    assert exec_form(final().values("ENTRYPOINT")[-1]) == ["kkr"]
    command = exec_form(final().values("CMD")[-1])
    assert command == ["serve"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["kkr"] == "kkr.platform.cli:main"
    # `docker run IMAGE` and `docker run IMAGE migrate` are real `kkr` commands.
    assert cli.build_parser().parse_args(command).func is cli.cmd_serve
    assert cli.build_parser().parse_args(["migrate"]).func is cli.cmd_migrate


def test_migrations_are_a_separate_command_and_the_dockerfile_tells_the_truth_about_serve() -> None:
    """`docker run IMAGE migrate` migrates and exits; `serve` migrates too before it listens (idempotent, under
    an advisory lock): the Dockerfile says so, and says it only while `cmd_serve` really does."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "kkr migrate" in text  # the separate command, shown in the header
    assert "ENTRYPOINT" in text and not any("migrate" in v for v in final().values("ENTRYPOINT"))
    serve_migrates = "migrate.upgrade(" in inspect.getsource(cli.cmd_serve)
    documented = "`serve`\n# also upgrades the schema before it listens" in text
    assert serve_migrates == documented, "the Dockerfile's note on migrations no longer matches cmd_serve"


def test_every_copied_source_exists_and_is_not_ignored() -> None:
    ignored = dockerignore()
    sources = []
    for stage in stages():
        for value in stage.values("COPY") + stage.values("ADD"):
            words = shlex.split(value)
            if any(w.startswith("--from=") for w in words):
                continue
            sources += [w for w in words[:-1] if not w.startswith("--")]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not is_ignored(source, ignored), f"COPY {source}: excluded by .dockerignore"
    for needed in ("pyproject.toml", "README.md", "constraints.txt", "platform", "migrations", "kkr"):
        assert needed in sources


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def is_ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, enough for these patterns: a match of the path or of a folder above it; `**/` any depth."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    anywhere = ["/".join(parts[i : j + 1]) for i in range(len(parts)) for j in range(i, len(parts))]
    verdict = False
    for pattern in patterns:
        negate, pattern = pattern.startswith("!"), pattern.removeprefix("!")
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(p, pattern[3:]) for p in anywhere)
        else:
            hit = any(fnmatch.fnmatchcase(p, pattern.rstrip("/")) for p in prefixes)
        if hit:
            verdict = not negate
    return verdict


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    ignored = dockerignore()
    for path in (".git", ".venv", ".env", "build", "kkr_platform.egg-info", "platform/__pycache__/x.pyc", "tests"):
        assert is_ignored(path, ignored), path
    for path in ("platform/cli.py", "README.md", "frontend-contract/schema.graphql", "tenants/national"):
        assert not is_ignored(path, ignored), path


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def healthcheck_command() -> list[str]:
    checks = final().values("HEALTHCHECK")
    assert len(checks) == 1, checks
    options, _, command = checks[0].partition("CMD")
    assert "--interval=" in options and "--timeout=" in options, options
    words = exec_form(command.strip())
    assert words[0] == "python", words  # no curl or wget in a slim image
    return words


def test_healthcheck_hits_healthz_on_the_configured_port(health_server: http.server.HTTPServer) -> None:
    """The HEALTHCHECK's own command, run here: 0 while /healthz answers 200, not 0 once it does not."""
    command = healthcheck_command()
    assert "/healthz" in " ".join(command)
    env = {**os.environ, "PORT": str(health_server.server_address[1])}
    run = [sys.executable, *command[1:]]
    assert subprocess.run(run, env=env, capture_output=True, timeout=20, check=False).returncode == 0
    _Health.status = 503
    try:
        assert subprocess.run(run, env=env, capture_output=True, timeout=20, check=False).returncode != 0
    finally:
        _Health.status = 200
