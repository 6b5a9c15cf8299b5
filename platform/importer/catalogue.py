"""What curated files may refer to (collected while reading), and the rows to write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    """One row to upsert: its model and column values."""

    model: type
    values: dict[str, Any]


@dataclass
class Catalogue:
    """What tenant files may refer to, collected while reading the national files."""

    sources: dict[str, int | None] = field(default_factory=dict)  # key -> lines of its seed file
    regions: set[str] = field(default_factory=set)
    hubs: dict[str, str] = field(default_factory=dict)  # hub slug -> region slug
    municipalities: set[str] = field(default_factory=set)
    agreements: set[str] = field(default_factory=set)
    national_goals: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)
    partnerships: dict[str, uuid.UUID] = field(default_factory=dict)
    municipality_names: dict[str, set[str]] = field(default_factory=dict)  # code -> casefolded name and aliases
    #: national goal (agreement, code) -> the measures of its targets
    national_goal_measures: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    segments: dict[str, str] = field(default_factory=dict)  # printed spelling -> segment key
    segment_keys: set[str] = field(default_factory=set)
    measures: dict[str, str] = field(default_factory=dict)  # municipality measure key -> unit
    #: contract goals by natural key (hub, year, code) -> names of their indicators
    contract_goals: dict[tuple[str, int, str], set[str]] = field(default_factory=dict)
    #: lineage members naming a contract goal, checked once every contract is read
    lineage_checks: list[tuple[Any, tuple[str, int, str], str | None]] = field(default_factory=list)
