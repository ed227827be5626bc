"""The wait a queued customer is told (pure): smoothed, and never longer while they move forward.

The raw estimate (``routing.estimated_wait_s``) jumps with every change of who is online and of the recent
handle times: 8 ahead → 27 min, then 5 ahead → 6 min. A customer reads a jump up while they advance as being
forgotten, and a jump down as a guess. So each new estimate is blended with the last one told, and while the
position does not grow it is capped by the last one scaled to the new position: moving from 9th to 6th can at
most leave two thirds of the wait. Only a position that grows (the customer was put back in the queue) may
raise it.
"""

from __future__ import annotations

from typing import NamedTuple

RAW_WEIGHT = 0.4  # the share of the new raw estimate in the smoothed one


class Told(NamedTuple):
    """The last estimate a customer was given, at which position."""

    wait_s: int
    position: int


def smoothed_wait_s(raw_s: int, position: int, last: Told | None, weight: float = RAW_WEIGHT) -> int:
    """The estimate to tell a customer at ``position`` (1-based) now, given the raw estimate and the last one
    told (None: the first, which is the raw estimate)."""
    raw_s = max(0, int(raw_s))
    if last is None or last.position < 1:
        return raw_s
    blended = weight * raw_s + (1.0 - weight) * last.wait_s
    if position > last.position:
        return max(0, round(blended))
    cap = last.wait_s * position / last.position
    return max(0, min(round(blended), int(cap)))
