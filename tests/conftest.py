"""Leave the test process with pytest's own exit status once everything is reported, without interpreter teardown.

A native library's threads can abort the interpreter while it tears down module globals after the run
(``terminate called without an active exception``, SIGABRT, printed right after "1301 passed" in a fresh-clone
``make test`` on 2026-12-02): a green run then fails and ``make test`` stops before tests/bot. By
``pytest_unconfigure`` every fixture is torn down (servers stopped) and the summary is printed, so only that
teardown is skipped (``os._exit``); the status is pytest's, failures included.
"""

from __future__ import annotations

import os
import sys

import pytest

_EXIT: dict[str, int] = {}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT["status"] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if "status" not in _EXIT or os.environ.get("PYTEST_KEEP_TEARDOWN"):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT["status"])
