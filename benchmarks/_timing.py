"""What the benchmark scripts share: the median-of-repeats timer."""

from __future__ import annotations

import statistics
import time


def timed(repeats: int, fn, *args) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls ``fn(*args)`` and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
