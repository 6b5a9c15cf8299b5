"""Request bodies are read with orjson where it agrees with the standard library's json, and by json where it
does not: every body is read, or refused with the same error, exactly as by `json.loads`."""

from __future__ import annotations

import json

import pytest

from kkr.platform.graphql_http import dumps_json, loads_json

BODIES = [
    b'{"query": "{ regions { slug } }", "variables": {"first": 10, "x": 0.1, "y": -0.0, "z": 1E5}}',
    b'{"a": 1, "a": 2}',
    b' {"a" : [ ] } ',
    b'"\\u00e6\\ud83d\\ude00"',
    '{"a": "æø"}'.encode(),
    b'{"a": NaN, "b": Infinity}',
    b'"\\ud800"',
    '{"a": "\ud800"}',
    b'{"q": 1e400}',
    b"[2.5e-324]",
    b'{"id": 123456789012345678901234567890}',
    b"[-9223372036854775809, 18446744073709551616]",
    '\ufeff{"a": 1}'.encode(),
    '{"a": "ø"}'.encode("utf-16"),
    b"[" * 2000 + b"]" * 2000,
    b"{not json",
    b'{"query": "\xff"}',
    b"",
    b"[1,]",
]


def outcome(read, body):
    try:
        value = read(body)
    except Exception as exc:
        return type(exc), str(exc)
    return repr(value), type(value)


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_bodies_are_read_as_json_reads_them(body: bytes | str) -> None:
    assert outcome(loads_json, body) == outcome(json.loads, body)


def test_answers_are_compact_utf8_json() -> None:
    data = {"data": {"name": "Sjælland", "n": 2**70, "x": [1.5, None, True]}}
    assert json.loads(dumps_json(data)) == data
    assert dumps_json({"a": "ø"}) == '{"a":"ø"}'.encode()
