"""Persistence: the tables (``models``), the database they live in (``database``: engine, sessions, start-up
migration) and the Alembic migrations that build them (``migrate``, ``migrations/``)."""
