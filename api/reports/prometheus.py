"""Prometheus text exposition (format 0.0.4) without a client library: in-process counters and histograms,
plus values read from the database at scrape time (so they survive restarts)."""

from __future__ import annotations

import bisect
import threading
from typing import Iterable, Mapping, Sequence

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WAIT_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def counter_lines(name: str, help_text: str, values: Mapping[tuple[tuple[str, str], ...], float]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
    lines += [f"{name}{_labels(dict(k))} {_number(v)}" for k, v in sorted(values.items())]
    return lines


def gauge_lines(name: str, help_text: str, values: Mapping[tuple[tuple[str, str], ...], float]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    lines += [f"{name}{_labels(dict(k))} {_number(v)}" for k, v in sorted(values.items())]
    return lines


def bucketize(values: Iterable[float], buckets: Sequence[float]) -> tuple[list[int], float, int]:
    """Per-bucket counts (not cumulative; values above the last bound only in the total), sum, count."""
    counts = [0] * len(buckets)
    total, n = 0.0, 0
    for value in values:
        i = bisect.bisect_left(buckets, value)
        if i < len(buckets):
            counts[i] += 1
        total += value
        n += 1
    return counts, total, n


def histogram_lines(name: str, help_text: str, buckets: Sequence[float], counts: Sequence[int], total: float,
                    n: int) -> list[str]:
    """Cumulative ``_bucket`` lines with ``+Inf``, then ``_sum`` and ``_count``."""
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    running = 0
    for bound, count in zip(buckets, counts, strict=True):
        running += count
        lines.append(f'{name}_bucket{{le="{_number(bound)}"}} {running}')
    lines += [f'{name}_bucket{{le="+Inf"}} {n}', f"{name}_sum {_number(round(total, 6))}", f"{name}_count {n}"]
    return lines


class Registry:
    """Thread-safe in-process counters and fixed-bucket histograms (monotonic, as Prometheus expects)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counters: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        self.histograms: dict[str, tuple[Sequence[float], list[int], list[float]]] = {}

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self.counters.setdefault(name, {})
            series[key] = series.get(key, 0.0) + amount

    def observe(self, name: str, value: float, buckets: Sequence[float] = LATENCY_BUCKETS) -> None:
        with self._lock:
            bounds, counts, acc = self.histograms.setdefault(name, (buckets, [0] * len(buckets), [0.0, 0.0]))
            i = bisect.bisect_left(bounds, value)
            if i < len(bounds):
                counts[i] += 1
            acc[0] += value
            acc[1] += 1

    def histogram(self, name: str, help_text: str, buckets: Sequence[float] = LATENCY_BUCKETS) -> list[str]:
        with self._lock:
            bounds, counts, acc = self.histograms.get(name, (buckets, [0] * len(buckets), [0.0, 0.0]))
            return histogram_lines(name, help_text, bounds, list(counts), acc[0], int(acc[1]))

    def series(self, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        with self._lock:
            return dict(self.counters.get(name, {}))
