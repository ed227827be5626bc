"""Typed bodies at the API edge, by audience: ``customer`` (the widget), ``staff`` (agents, supervisors, login),
``trainer`` (the workbench), ``events`` (WebSocket pushes). They make the OpenAPI schema at ``/openapi.json``,
which is the reference contract; docs/*.md only add flows and examples."""
