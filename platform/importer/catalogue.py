"""What curated files may refer to (collected while reading), and the rows to write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ..models import Base


@dataclass
class Row:
    """One row to upsert: its model and column values."""

    model: type[Base]
    values: dict[str, Any]


@dataclass
class Catalogue:
    """What tenant files may refer to, collected while reading the national files."""

    sources: dict[str, int | None] = field(default_factory=dict)  # key -> lines of its seed file
    regions: set[str] = field(default_factory=set)
    hubs: dict[str, str] = field(default_factory=dict)  # hub slug -> region slug
    municipalities: set[str] = field(default_factory=set)
    agreements: set[str] = field(default_factory=set)
    national_goals: dict[tuple[str | None, str | None], uuid.UUID] = field(default_factory=dict)
    partnerships: dict[str, uuid.UUID] = field(default_factory=dict)
    municipality_names: dict[str, set[str]] = field(default_factory=dict)  # code -> casefolded name and aliases
    #: national goal (agreement, code) -> the measures of its targets
    national_goal_measures: dict[tuple[str | None, str | None], set[str | None]] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)  # printed spelling -> segment key
    segment_keys: set[str] = field(default_factory=set)
    measures: dict[str, str] = field(default_factory=dict)  # municipality measure key -> unit
    #: contract goals by natural key (hub, year, code) -> names of their indicators
    contract_goals: dict[tuple[str | None, int | None, str | None], set[str | None]] = field(default_factory=dict)
    #: lineage members naming a contract goal, checked once every contract is read
    lineage_checks: list[tuple[Any, tuple[str, int, str], str | None]] = field(default_factory=list)


def national_goal_of(r: Any, cat: Catalogue) -> tuple[tuple[str | None, str | None], uuid.UUID | None] | None:
    """The national goal a record names in its `national_goal` field ({agreement, code}): the reference and the
    goal's id (None, with an error on `r`, when there is no such goal); None when the record names none."""
    if not r.present("national_goal"):
        r.raw("national_goal")
        return None
    n = r.child("national_goal", r.raw("national_goal"))
    ref = (n.text("agreement"), n.text("code"))
    goal = cat.national_goals.get(ref)
    if ref[0] is not None and ref[0] not in cat.agreements:
        n.error("agreement", f"unknown framework agreement {ref[0]!r}")
    elif goal is None and ref[1] is not None:
        n.error("code", f"no national goal {ref[1]!r} in framework agreement {ref[0]!r}")
    n.done()
    return ref, goal
