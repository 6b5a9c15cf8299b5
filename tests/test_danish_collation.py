"""Danish alphabetical order in SQL: Æ, Ø, Å after Z and "Aa" sorted as "Å".

`kkr_danish_sort_key()` spells the rule out because the embedded PostgreSQL is
built without ICU; where the server has ICU, its order must equal da-DK's.
"""

from __future__ import annotations

import yaml
from sqlalchemy import text

from .paths import REPO_ROOT

EXPECTED = ["Assens", "Odder", "Ærø", "Aabenraa", "Aalborg", "Århus"]
#: Person names with accented letters, in the order of ICU da-DK (checked on PostgreSQL 15 with ICU).
PEOPLE = [
    "Carlsen",
    "Çelik",
    "Éric",
    "Eriksen",
    "Holm",
    "Hôtel",
    "Mylius",
    "Müller",
    "Møller",
    "Ñandu",
    "Nielsen",
    "Olsen",
    "Óscar",
    "Škoda",
    "Sørensen",
    "Yde",
    "Ýr",
    "Zoë",
    "Ängel",
    "Ærø",
    "Ørum",
    "Åge",
    "Aage",
]


def municipality_names() -> list[str]:
    data = yaml.safe_load((REPO_ROOT / "tenants/national/municipalities.yaml").read_text(encoding="utf-8"))
    return [m["name"] for m in data["municipalities"]]


async def sorted_by_key(conn, names: list[str]) -> list[str]:
    result = await conn.execute(
        text("SELECT n FROM unnest(CAST(:names AS text[])) AS n ORDER BY kkr_danish_sort_key(n), n"),
        {"names": names},
    )
    return list(result.scalars())


async def test_danish_sort_key_orders_the_classic_example(owner_engine) -> None:
    async with owner_engine.connect() as conn:
        assert await sorted_by_key(conn, list(reversed(EXPECTED))) == EXPECTED
        assert await sorted_by_key(conn, ["Øster", "Zealand", "Ålborg", "Ærø", "Ølstykke"]) == [
            "Zealand",
            "Ærø",
            "Ølstykke",
            "Øster",
            "Ålborg",
        ]


async def test_accented_letters_sort_under_their_base_letter(owner_engine) -> None:
    async with owner_engine.connect() as conn:
        assert await sorted_by_key(conn, list(reversed(PEOPLE))) == PEOPLE


def icu_order() -> list[str]:
    """The names above as ICU da-DK orders them, recorded from a server with ICU (tests/data/)."""
    lines = (REPO_ROOT / "tests/data/icu_da_dk_order.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


async def test_danish_sort_key_matches_the_recorded_icu_da_dk_order(owner_engine) -> None:
    """Every server (the embedded one has no ICU) orders by the key exactly as ICU da-DK did."""
    names = municipality_names() + EXPECTED + PEOPLE
    assert sorted(icu_order()) == sorted(names), "tests/data/icu_da_dk_order.txt is out of date"
    async with owner_engine.connect() as conn:
        assert await sorted_by_key(conn, list(reversed(names))) == icu_order()


async def test_danish_sort_key_matches_live_icu_da_dk_where_the_server_has_icu(owner_engine) -> None:
    """Where the server has ICU, its live da-DK order equals the recorded one (so the record stays true)."""
    async with owner_engine.connect() as conn:
        icu = (
            await conn.execute(
                text("SELECT count(*) FROM pg_collation WHERE collprovider = 'i' AND collname = 'da-DK-x-icu'")
            )
        ).scalar()
        if not icu:
            return  # the embedded server: the recorded order above is the check
        names = municipality_names() + EXPECTED + PEOPLE
        by_icu = list(
            (
                await conn.execute(
                    text('SELECT n FROM unnest(CAST(:names AS text[])) AS n ORDER BY n COLLATE "da-DK-x-icu"'),
                    {"names": names},
                )
            ).scalars()
        )
        assert by_icu == icu_order()
        assert await sorted_by_key(conn, names) == by_icu
