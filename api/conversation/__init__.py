"""The conversation engine: bot -> queued -> agent -> (survey) -> bot, and the handoff queue.

Layers, each importing only those below it (no loops):

* ``routing``, ``presence``, ``wait_estimate``, ``callback_numbers`` (pure: queue maths, is the customer still
  there, the wait told, callback numbers), ``texts`` (what the bridge says), ``errors``;
* ``context`` (the shared state: settings, database, Rasa, sockets, the cipher, the one lock), ``hub``
  (sockets) and ``events`` (typed pushes and the one ``publish()``), ``handoff_context`` (what the agent reads
  besides the transcript), ``transcript`` (add a masked message, flag a hit, expire buttons, load a
  conversation);
* ``queue`` (enqueue, dispatch, tick, requeue, wait estimates), ``steps`` (survey and 留言);
* ``turn`` (the customer's side), ``desk`` (the agent's side), ``callbacks`` (留言 for agents),
  ``supervision`` (whisper, take over, wrap-up report);
* ``service`` (assembles them for the app).
"""
