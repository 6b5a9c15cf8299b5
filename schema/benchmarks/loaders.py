"""DataLoaders of the benchmark domain."""

from __future__ import annotations

from kkr.platform.models import BenchmarkObservation

from ..common.loaders import OneByKey

OBSERVATION_BY_ID = OneByKey(BenchmarkObservation.id)
