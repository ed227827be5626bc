"""The conversation engine: bot -> queued -> agent -> (survey) -> bot, and the handoff queue.

Layers, each importing only those below it (no loops):

* ``routing`` (pure queue maths), ``texts`` (what the bridge says), ``errors``;
* ``context`` (the shared state: settings, database, Rasa, sockets, the one lock), ``hub`` (sockets) and
  ``events`` (typed pushes and the one ``publish()``), ``transcript`` (add a masked message, flag a hit,
  load a conversation);
* ``queue`` (enqueue, dispatch, tick, requeue, wait estimates), ``steps`` (survey and 留言);
* ``turn`` (the customer's side), ``desk`` (the agent's side);
* ``service`` (assembles them for the app).
"""
