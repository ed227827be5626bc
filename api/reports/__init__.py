"""Reports: service-quality KPIs as pure functions (``kpi``), the Prometheus text format and in-process
registry (``prometheus``), and the ``/metrics`` page built from both and the database (``exposition``)."""
