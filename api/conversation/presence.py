"""Whether the customer is still there (pure): their widget's socket, and the last time they were heard from.

A queued customer who closed the tab must not be handed to an agent, nor keep live customers waiting behind
them; one whose phone merely dropped the connection for a moment must keep their place. So:

* ``online``: a socket is open, or the customer was heard from (a request, a socket closing) within
  ``away_s`` — the widget reconnects within 15 s, and a client without a socket keeps asking;
* ``away``: not online, but heard from within ``abandon_s``: a queued customer keeps their place and is not
  assigned; one who comes back resumes where they were;
* ``gone``: silent for longer: a queued customer leaves the queue (recorded as abandoned).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Presence = Literal["online", "away", "gone"]


@dataclass(frozen=True)
class PresenceRules:
    away_s: float = 30.0
    abandon_s: float = 120.0


def presence(connected: bool, seen_at: dt.datetime | None, now: dt.datetime, rules: PresenceRules) -> Presence:
    """The customer's presence; never heard from at all counts as heard from at ``now`` (a conversation
    created before this column existed is not abandoned on upgrade)."""
    if connected:
        return "online"
    silent = (now - (seen_at or now)).total_seconds()
    if silent < rules.away_s:
        return "online"
    return "away" if silent < rules.abandon_s else "gone"
