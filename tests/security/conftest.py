"""The running stack of tests/e2e (scripts/run_services.sh on spare ports), for the attacker-view tests."""

from tests.e2e.conftest import bot  # noqa: F401  (the fixture, re-exported)
