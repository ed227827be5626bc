"""Fixtures of the bridge's security tests: the app with a scripted Rasa (tests/api) and the trainer workbench on
a copy of the project (tests/api/workbench); the running stack (``bot``) comes from tests/security."""

from tests.api.conftest import client, rasa, settings  # noqa: F401  (fixtures, re-exported)
from tests.api.workbench.test_trainer import project, trainer_client  # noqa: F401  (fixtures, re-exported)
