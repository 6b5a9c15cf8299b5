"""Start-up validation of the settings: pydantic's errors as one line per bad environment variable.

`load_settings()` is what `get_settings()` calls; platform/cli.py turns its `SettingsError` into exit status
2 with the message, never a traceback.  Values of secret-like variables are never shown, URL passwords are
masked, long values clipped.
"""

from __future__ import annotations

import os
import re

from .settings import Settings

#: Variables whose values are never shown in an error message (URLs are shown with their password masked).
_SECRET_WORDS = ("SECRET", "PASSWORD", "KEY", "TOKEN")
_VALUE_CHARS = 60


class SettingsError(ValueError):
    """Invalid configuration: `str()` is one line per bad environment variable (name, value, problem)."""


def load_settings(**values: object) -> Settings:
    """`Settings(**values)`, turning pydantic's errors into a `SettingsError` that names the variables."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError as SourceError

    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        inputs: dict[str, object] = {}
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "SETTINGS"
            inputs.setdefault(name, error["input"] if len(error["loc"]) == 1 else None)
            message = error["msg"].removeprefix("Value error, ")
            if len(error["loc"]) > 1:  # inside a list: which item
                message = "".join(f"[{part}]" for part in error["loc"][1:]) + ": " + message
            if message not in problems.setdefault(name, []):
                problems[name].append(message)
        given = {key.upper() for key in values}  # these override the environment
        lines = [
            _problem_line(name, inputs[name], "; ".join(msgs), environment=name not in given)
            for name, msgs in problems.items()
        ]
    except SourceError as exc:  # a list or tuple variable that is not JSON
        found = re.search(r'field "(\w+)"', str(exc))
        name = found.group(1).upper() if found else "SETTINGS"
        lines = [_problem_line(name, None, f"not valid JSON ({exc.__cause__ or exc})")]
    raise SettingsError("\n".join(lines)) from None


def _problem_line(name: str, value: object, problem: str, environment: bool = True) -> str:
    """`NAME='value': problem`, the value as given in the environment, clipped and with secrets hidden."""
    raw = next((v for k, v in os.environ.items() if k.upper() == name), None) if environment else None
    shown = raw if raw is not None else value
    return f"{name}={_shown_value(name, shown)}: {problem}"


def _shown_value(name: str, value: object) -> str:
    """The value for a message: hidden for secret-like names, a URL's password masked, clipped."""
    if value is None:
        return "(value not shown)"
    if any(word in name for word in _SECRET_WORDS):
        return "(hidden)"
    text = value if isinstance(value, str) else repr(value)
    if "URL" in name:
        text = re.sub(r"(//[^/:@]*:)[^/]*@", r"\1***@", text)  # user:password@
        text = re.sub(r"(?i)(password=)[^&]*", r"\1***", text)  # ?password=...
    if len(text) > _VALUE_CHARS:
        text = text[: _VALUE_CHARS - 3] + "..."
    return repr(text)
