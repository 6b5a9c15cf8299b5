"""Invalid configuration stops `kkr` at start-up with one line per bad variable (platform/settings.py,
`load_settings`; platform/cli.py, `main`): exit status 2, no traceback, secrets never printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kkr.platform.settings import get_settings
from kkr.platform.settings_check import SettingsError, load_settings

KKR = Path(sys.executable).with_name("kkr")


def run_kkr(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`kkr ARGS` with the test's environment plus `env` (no DATABASE_URL of the test run: nothing to connect to)."""
    base = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    return subprocess.run(
        [str(KKR), *args], env={**base, **env}, capture_output=True, text=True, timeout=60, check=False
    )


def test_serve_names_every_bad_variable_and_exits_2() -> None:
    result = run_kkr("serve", MAX_DEPTH="abc", RATE_LIMIT_WINDOW_SECONDS="0")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "kkr: invalid configuration (environment variables):"
    depth = [line for line in lines if "MAX_DEPTH=" in line]
    window = [line for line in lines if "RATE_LIMIT_WINDOW_SECONDS=" in line]
    assert depth == ["  MAX_DEPTH='abc': Input should be a valid integer, unable to parse string as an integer"]
    assert window == ["  RATE_LIMIT_WINDOW_SECONDS='0': Input should be greater than or equal to 1"]
    assert len(lines) == 3, result.stderr  # the heading and one line per variable, nothing else
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", [["migrate"], ["load-demo", "--check"], ["mint-token", "--scope", "x"]])
def test_every_command_checks_the_configuration(command: list[str]) -> None:
    result = run_kkr(*command, ENVIRONMENT="prod", CORS_ALLOWED_ORIGINS='["https://a.example/path"]')
    assert result.returncode == 2, result.stderr
    assert "ENVIRONMENT='prod': Input should be 'development' or 'production'" in result.stderr
    assert "CORS_ALLOWED_ORIGINS='[\"https://a.example/path\"]': not an origin" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["migrate"], ["serve"]])
def test_production_needs_a_database_url(command: list[str]) -> None:
    """No embedded PostgreSQL inside a production container: a missing DATABASE_URL stops the start."""
    result = run_kkr(*command, ENVIRONMENT="production")
    assert result.returncode == 2, result.stderr
    assert "DATABASE_URL=(not set): required with ENVIRONMENT=production" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_list_that_is_not_json_is_named() -> None:
    result = run_kkr("migrate", DISCLOSURE_DOMINANCE="1,85")
    assert result.returncode == 2, result.stderr
    assert "  DISCLOSURE_DOMINANCE='1,85': not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_database_password_is_never_printed() -> None:
    result = run_kkr(
        "serve",
        DATABASE_URL="postgresql://kkr:pw-s3cret-1@db.example:5432/kkr",
        APP_DATABASE_URL="postgresql://kkr_app:pw-s3cret-2@db.example/kkr?password=pw-s3cret-3",
        MAX_DEPTH="abc",
    )
    assert result.returncode == 2, result.stderr
    assert "MAX_DEPTH='abc'" in result.stderr
    assert "pw-s3cret" not in result.stderr + result.stdout


def _rejected(**values: object) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(**values)
    return str(caught.value)


def test_url_values_are_shown_with_their_password_masked() -> None:
    """A bad URL variable is shown (to be recognised) with its password, in userinfo or query, masked."""
    message = _rejected(database_url=["postgresql://u:pw-s3cret@h/db?sslpassword=pw-s3cret&x=1"])
    assert message == (
        "DATABASE_URL=\"['postgresql://u:***@h/db?sslpassword=***&x=1']\": Input should be a valid string"
    )


def test_secret_like_values_are_hidden_and_long_values_clipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKEN_CACHE_ENTRIES", raising=False)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    assert _rejected(token_cache_entries="many") == (
        "TOKEN_CACHE_ENTRIES=(hidden): Input should be a valid integer, unable to parse string as an integer"
    )
    message = _rejected(log_level=["x" * 500])
    assert message.startswith("LOG_LEVEL=") and "Input should be a valid string" in message
    assert len(message) < 200


def test_get_settings_raises_the_named_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_DEPTH", "1")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=r"^MAX_DEPTH='1': Input should be greater than or equal to 2$"):
            get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
