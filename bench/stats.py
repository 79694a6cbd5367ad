"""Small statistics shared by the benchmark scripts, and how they report a target."""
from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank on sorted values."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def verdict(met: bool) -> str:
    """How every benchmark marks a target of issue 15: met, or MISSED (capitals, to stand out in a table)."""
    return "met" if met else "MISSED"
