"""Load from a separate process with `wrk` (Debian's package): a Lua script per request shape, its output parsed.

    result = run_wrk(url, bodies, headers, connections=32, duration=10, workdir=tmp)
    result.rps, result.p50_ms, result.p99_ms, result.requests, result.errors

The Lua script POSTs the JSON bodies given (one, or a list it rotates through from a random start per
thread, e.g. a write to many targets) with the headers given (Authorization, Content-Type).  `--latency`
gives the distribution; wrk's p50/p99 are of the requests that completed.  `errors` counts non-2xx/3xx
answers, 200s whose body has GraphQL errors (a `response` hook), socket errors and timeouts (`--timeout`, 60 s by default: a slow answer is a latency, not an error).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = """
local bodies = %(bodies)s
local headers = %(headers)s
local n = 0
local threads = {}
bad = 0
first = ""
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%%x+)") or "0", 16) %% 100000)
  n = math.random(#bodies)
end
function request()
  n = n %% #bodies + 1
  return wrk.format("POST", nil, headers, bodies[n])
end
function response(status, headers, body)
  local failed = status < 200 or status >= 400
  if status == 200 and (body:find('"errors":%%s*%%[%%s*{') ) then bad = bad + 1; failed = true end
  if failed and first == "" then first = status .. " " .. body:sub(1, 300):gsub("%%s", " ") end
end
function done(summary, latency, requests)
  local total = 0
  local example = ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
    if example == "" then example = thread:get("first") end
  end
  io.write(string.format("GraphQL errors: %%d\\n", total))
  io.write("First error: " .. example .. "\\n")
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def lua_script(bodies: list[dict], headers: dict[str, str]) -> str:
    items = ", ".join(_lua_string(json.dumps(b, separators=(",", ":"))) for b in bodies)
    head = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
    return LUA % {"bodies": "{" + items + "}", "headers": "{" + head + "}"}


@dataclass
class WrkResult:
    connections: int
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    requests: int
    errors: int
    output: str
    #: The first failed answer's status and body (the start), if any.
    first_error: str = ""


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS[unit]


def parse(output: str, connections: int) -> WrkResult:
    """Requests/sec, the 50 % and 99 % latencies, completed requests and errors of wrk's `--latency` output."""

    def percentile(p: str) -> float | None:
        m = re.search(rf"^\s+{p}%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.M)
        return _ms(m.group(1)) if m else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    done = re.search(r"(\d+) requests in", output)
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"GraphQL errors: (\d+)", output))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if sock:
        errors += sum(int(n) for n in sock.groups())
    example = re.search(r"^First error: (.*)$", output, re.M)
    return WrkResult(
        connections,
        float(rps.group(1)) if rps else 0.0,
        percentile("50"),
        percentile("99"),
        int(done.group(1)) if done else 0,
        errors,
        output,
        example.group(1) if example else "",
    )


def run_wrk(
    url: str,
    bodies: list[dict],
    headers: dict[str, str],
    *,
    connections: int,
    duration: float,
    workdir: Path,
    timeout_s: int = 60,
    threads: int = 2,
) -> WrkResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    script = workdir / "request.lua"
    script.write_text(lua_script(bodies, {"Content-Type": "application/json", **headers}), encoding="utf-8")
    command = [
        wrk,
        "-t",
        str(max(1, min(threads, connections))),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        f"{timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + timeout_s + 30)
    if done.returncode != 0 or "GraphQL errors:" not in done.stdout:  # a Lua error: wrk runs without the script
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    return parse(done.stdout, connections)
