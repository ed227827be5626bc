"""The NPS programme and the feedback loop (issue 15).

* ``sampling`` (pure): who is asked which survey — post-service after a bot-only chat on a sample rate, themed
  campaigns (专项NPS调查) by target and sample rate, never twice to one customer within the quiet days, at most one
  campaign or bot survey per conversation; score bands;
* ``config`` (the categories YAML), ``categorise`` and ``routing`` (pure): an opinion's category by keywords and
  its owner team by the most specific matching rule; ``lifecycle`` (pure): open -> assigned -> replied ->
  closed, SLA due times and overdue; ``stats`` (pure): volume by category, time to first reply and to close,
  overdue items and recurring themes;
* ``intake`` (every survey comment, 不满意, complaint and 留言 becomes a masked, routed feedback item),
  ``campaigns`` (supervisors' campaigns and their live results), ``owner_queue`` (owners' queue: assign, reply
  to the customer, close).

The conversation engine calls ``sampling`` and ``intake``; nothing here imports the engine's stateful parts
except ``owner_queue``, which sends a reply into a conversation through the engine's transcript.
"""
