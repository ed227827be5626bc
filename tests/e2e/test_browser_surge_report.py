"""The surge response on the reports page in headless Chromium: a supervisor raises the level by hand and lowers
it; the page's 二级话务应急响应 section names the changes and shows today's row with time at level 1 and 2.

The bridge runs in-process (uvicorn on a spare port) with the scripted bot of tests/api: the page, the reports
API and the surge control are real; Rasa is not needed to read reports."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from api.reports.periods import local_day
from api.store.models import utcnow
from tests.api.conftest import ScriptedRasa
from tests.e2e.conftest import serving
from tests.e2e.test_browser import browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow
PASSWORD = "e2e-demo"  # staff_page logs in with it


@pytest.fixture()
def bridge(tmp_path: Path) -> Iterator[str]:
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password=PASSWORD)
    with serving(create_app(settings, ScriptedRasa()), start_timeout_s=60) as url:  # type: ignore[arg-type]
        yield url


def test_the_reports_page_shows_the_surge_levels_of_the_period(bridge: str, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    login = requests.post(f"{bridge}/api/v1/auth/login", json={"username": "supervisor", "password": PASSWORD},
                          timeout=30)
    boss = {"Authorization": f"Bearer {login.json()['token']}"}
    for level in (1, 2):
        r = requests.post(f"{bridge}/api/v1/surge/level", json={"level": level, "reason": "演练"}, headers=boss,
                          timeout=10)
        assert r.status_code == 200, r.text
    time.sleep(1.5)  # a measurable time at level 2 (the table shows whole minutes, the API seconds)
    r = requests.post(f"{bridge}/api/v1/surge/level", json={"level": 0, "reason": "演练结束"}, headers=boss,
                      timeout=10)
    assert r.status_code == 200, r.text

    def in_centre_time(*size: int) -> Any:
        """The supervisor's browser on the centre's clock (UTC+8, the reports' offset): between 16:00 and 24:00
        UTC a browser on UTC is still on the day before, and its default period would end before the changes."""
        driver = browser_factory(*size)
        driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Shanghai"})
        return driver

    page = staff_page(in_centre_time, bridge + "/reports", "supervisor")
    wait = patient_wait(page, 60)
    wait.until(ec.visibility_of_element_located((By.ID, "dashboard")))
    wait.until(lambda d: "本期级别变化 3 次" in d.find_element(By.ID, "surge-summary").text)
    summary = page.find_element(By.ID, "surge-summary").text
    assert "升级 2、降级 1，其中人工调整 3" in summary
    day = local_day(utcnow(), 8).isoformat()  # the server's local day (UTC+8)
    rows = page.find_elements(By.CSS_SELECTOR, "#surge-days tr")
    assert [c.text for c in rows[0].find_elements(By.TAG_NAME, "th")] == ["日期", "正常", "一级响应", "二级响应",
                                                                          "级别变化"]
    today = [r for r in rows[1:] if r.find_elements(By.TAG_NAME, "td")[0].text == day]
    assert len(today) == 1 and today[0].find_elements(By.TAG_NAME, "td")[4].text == "3"
    assert [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"] == []
