"""Several bridge processes behaving as one, over Redis (``REDIS_URL``) and PostgreSQL (``DATABASE_URL``).

* ``connection``: the Redis clients and this process's id; the URL masked wherever it is shown;
* ``bus``: every WebSocket push published once and delivered by the process holding the socket; socket closes
  (logout, erasure) reach every process the same way;
* ``presence``: which customers and agents have a socket open on any live process (keys refreshed while the
  socket lives), and the agents' grace deadlines any process can act on;
* ``lease``: the one process that runs the periodic jobs (SET NX PX, renewed; another takes over when it dies);
* ``shared_limits``: the edge's rate-limit counters in Redis, with the in-memory counters' semantics;
* ``engine_lock``: the engine's one lock made cluster-wide on PostgreSQL (an advisory lock);
* ``node``: the pieces assembled for one bridge process and started/stopped with its lifespan.

With ``REDIS_URL`` empty nothing here is used: one process keeps everything in its memory, as before.
"""
