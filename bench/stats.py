"""Summaries of timed samples: median and p99 by the nearest-rank method."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def nearest_rank(ordered: Sequence[float], fraction: float) -> float:
    """The smallest sample with at least `fraction` of the samples at or below it."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """n, median, p99, mean, min and max of samples in seconds, in milliseconds."""
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": nearest_rank(ordered, 0.99) * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
        "min_ms": ordered[0] * 1000,
        "max_ms": ordered[-1] * 1000,
    }
