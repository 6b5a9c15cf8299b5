"""Helpers of the aggregate and disclosure tests: the GraphQL query, cell keys, true cube values and the
linear-programming attack on a returned table."""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from kkr.platform.contract import read_operation

from .api_client import gql

MINISTRY = "aggregates:read"
TOTAL = "*"

AGGREGATE = read_operation("ministry/AggregatePull")  # the ministries' registered pull


def aggregate(client: httpx.Client, scopes: tuple[str, ...] = (MINISTRY,), **variables: Any) -> dict[str, Any]:
    return gql(client, AGGREGATE, variables, *scopes)["aggregate"]


def key_of(cell: dict[str, Any]) -> tuple[str | None, ...]:
    """A cell's coordinates: the value, or TOTAL."""
    return tuple(TOTAL if c["total"] else c["value"] for c in cell["coordinates"])


def by_key(table: dict[str, Any]) -> dict[tuple[str | None, ...], dict[str, Any]]:
    return {key_of(c): c for c in table["cells"]}


async def true_cube(
    owner: AsyncEngine,
    family: str,
    group_by: list[str],
    filter: dict[str, list[str]] | None = None,
) -> dict[tuple[str | None, ...], tuple[Decimal, int, set[str]]]:
    """Every CUBE cell's true sum, count and contributors, from the family's rows read by the owner (the test
    is allowed to; the API never is).  Uses the function's own row source, kkr_aggregate_source()."""
    async with owner.connect() as conn:
        source = (
            await conn.execute(
                text("SELECT kkr_aggregate_source(:f, :g, CAST(:filter AS jsonb))"),
                {"f": family, "g": group_by, "filter": json.dumps(filter or {})},
            )
        ).scalar_one()
        dims = [
            "year",
            "period",
            "region",
            "hub",
            "urban_rural",
            "goal_category",
            "lineage",
            "unit",
            "segment",
            "indicator",
        ]
        source = re.sub(r"\$(\d+)", lambda m: f"CAST(:f{m.group(1)} AS text[])", source)
        args = {f"f{i + 1}": (filter or {}).get(d) for i, d in enumerate(dims)}
        rows = (await conn.execute(text(f"SELECT * FROM ({source}) s"), args)).mappings().all()
    d = len(group_by)
    cube: dict[tuple[str | None, ...], list[Any]] = defaultdict(lambda: [Decimal(0), 0, set()])
    for row in rows:
        values = tuple(row[f"d{j + 1}"] for j in range(d))
        for mask in range(1 << d):
            key = tuple(TOTAL if mask >> j & 1 else values[j] for j in range(d))
            entry = cube[key]
            entry[0] += row["value"]
            entry[1] += 1
            entry[2].add(row["contributor"])
    return {k: (v[0], v[1], v[2]) for k, v in cube.items()}


def relations(keys: Iterable[tuple[str | None, ...]]) -> list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Every line relation of a CUBE: a cell with a total in dimension j = the sum of its children along j."""
    keys = set(keys)
    children: dict[tuple[tuple[Any, ...], int], list[tuple[Any, ...]]] = defaultdict(list)
    for key in keys:
        for j, value in enumerate(key):
            if value != TOTAL:
                parent = (*key[:j], TOTAL, *key[j + 1 :])
                children[(parent, j)].append(key)
    return [(parent, kids) for (parent, _), kids in children.items() if parent in keys]


def attack(
    published: dict[tuple[Any, ...], float],
    hidden: list[tuple[Any, ...]],
    targets: Iterable[tuple[Any, ...]],
) -> dict[tuple[Any, ...], tuple[float, float]]:
    """For each target among the `hidden` cells: the min and max of its value given every published cell,
    every line relation of the cube and non-negativity (scipy.optimize.linprog)."""
    import numpy as np
    from scipy.optimize import linprog

    index = {key: i for i, key in enumerate(hidden)}
    rows, rhs = [], []
    for parent, kids in relations([*published, *hidden]):
        members = [(parent, 1.0)] + [(kid, -1.0) for kid in kids]
        if not any(k in index for k, _ in members):
            continue
        row = np.zeros(len(hidden))
        constant = 0.0
        for k, sign in members:
            if k in index:
                row[index[k]] += sign
            else:
                constant -= sign * published[k]
        rows.append(row)
        rhs.append(constant)
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    intervals = {}
    for target in targets:
        c = np.zeros(len(hidden))
        c[index[target]] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0, (target, low.message)
        intervals[target] = (low.fun, float("inf") if high.status == 3 else -high.fun)
    return intervals


def assert_protected(
    table: dict[str, Any], truth: dict[tuple[Any, ...], tuple[Decimal, int, set[str]]], protection_pct: float
) -> int:
    """The attack on a CUBE table returned by the API: every primary suppressed cell's sum can take any value
    within -/+ protection % of the truth, and its count any value within -/+ 1; no secondary cell is pinned down
    either (its interval is not a point).  Returns the number of primary cells attacked."""
    cells = by_key(table)
    assert set(cells) == set(truth), "the table must be the full CUBE of its cells with figures"
    primaries = [k for k, c in cells.items() if c["reason"] in ("FEW_CONTRIBUTORS", "DOMINANCE")]
    hidden = [k for k, c in cells.items() if c["suppressed"]]
    for measure, position in (("sum", 0), ("count", 1)):
        published = {k: float(c[measure]) for k, c in cells.items() if not c["suppressed"]}
        for key, c in cells.items():
            if not c["suppressed"]:
                assert Decimal(str(c[measure])) == truth[key][position], (key, measure)
        intervals = attack(published, hidden, hidden)
        for key, (low, high) in intervals.items():
            figures = truth[key]
            value = float(figures[0] if position == 0 else figures[1])
            assert low <= value + 1e-6 <= high + 2e-6, (key, measure, value, low, high)  # the attack itself is sound
            if key not in primaries:
                assert high - low > 1e-6, ("a secondary cell can be recovered", key, measure, value, low, high)
                continue
            # sums: -/+ the protection level; counts: -/+ 1 (the reason already says "fewer than 3")
            margin = protection_pct / 100 * value if measure == "sum" else 1.0
            assert low <= value - margin + 1e-6 and high >= value + margin - 1e-6, (key, measure, value, low, high)
    return len(primaries)


def keys_product(*dimensions: list[str]) -> list[tuple[str, ...]]:
    return list(itertools.product(*dimensions))
