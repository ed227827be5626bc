"""The reports page in headless Chromium (issue 15): a supervisor opens the dashboard over a bridge holding a week
of demo traffic (``python -m api demo-data``, driven through the engine) and today's known story; every chart is
drawn by ECharts on a non-empty canvas, the KPI cards show the API's numbers, a click on 投诉 lists exactly the
conversation whose 服务小结 was a complaint and opens its masked transcript, and an agent is turned away.
Screenshots are kept under DATA_DIR/reports/screenshots (issue15-*.png).

The bridge runs in-process (uvicorn on a spare port) with the scripted bot of tests/api: the page, the reports
API and the engine are real; Rasa is not needed to read reports."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from api.reports.periods import local_day
from api.routes.reports import ECHARTS
from api.store.models import utcnow
from tests.api.conftest import ScriptedRasa
from tests.e2e.conftest import ROOT, serving
from tests.e2e.test_browser import browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("DATA_DIR", ROOT / "var")) / "reports" / "screenshots"
CHARTS = ("chart-trend", "chart-rates", "chart-groups", "chart-agents", "chart-nps", "chart-reasons")
PASSWORD = "e2e-demo"  # staff_page logs in with it


def shot(driver: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"issue15-{name}.png"))


@pytest.fixture()
def bridge(tmp_path: Path) -> Iterator[str]:
    from api.app import create_app
    from api.reports.demo import run_demo
    from api.settings import Settings

    if not ECHARTS.is_file():
        pytest.fail(f"{ECHARTS} is missing: run `make setup` (make test does it)")
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password=PASSWORD)
    run_demo(settings, days=7, per_day=12, seed=9)
    with serving(create_app(settings, ScriptedRasa())) as url:  # type: ignore[arg-type]
        yield url


def today_story(url: str) -> dict[str, str]:
    """Today: B is served and the agent's 服务小结 says complaint; A only asks the bot."""
    def customer() -> tuple[str, dict[str, str]]:
        body = requests.post(f"{url}/api/v1/conversations", json={"channel": "app"}, timeout=10).json()
        return body["id"], {"Authorization": f"Bearer {body['token']}"}

    def say(conv: tuple[str, dict[str, str]], text: str) -> dict[str, Any]:
        r = requests.post(f"{url}/api/v1/conversations/{conv[0]}/messages", json={"text": text}, headers=conv[1],
                          timeout=10)
        assert r.status_code == 200, r.text
        return dict(r.json())

    login = requests.post(f"{url}/api/v1/auth/login", json={"username": "agent", "password": PASSWORD}, timeout=30)
    agent = {"Authorization": f"Bearer {login.json()['token']}"}
    assert requests.patch(f"{url}/api/v1/agent/me", json={"status": "online"}, headers=agent,
                          timeout=10).status_code == 200
    a, b = customer(), customer()
    say(a, "水电费怎么交")
    assert say(b, "转人工")["state"] == "agent"
    say(b, "我的手机号是13912345678，投诉你们")
    r = requests.post(f"{url}/api/v1/agent/conversations/{b[0]}/close", headers=agent, timeout=10,
                      json={"disposition": "complaint", "note": "客户投诉"})
    assert r.status_code == 200, r.text
    return {"a": a[0], "b": b[0]}


def canvas_has_ink(driver: Any, chart_id: str) -> bool:
    return bool(driver.execute_script("""
        const c = document.querySelector('#' + arguments[0] + ' canvas');
        if (!c || !c.width || !c.height) return false;
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false;""", chart_id))


def test_the_dashboard_draws_its_charts_and_drills_down(bridge: str, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    people = today_story(bridge)
    page = staff_page(browser_factory, bridge + "/reports", "supervisor")
    wait = patient_wait(page, 60)
    wait.until(ec.visibility_of_element_located((By.ID, "dashboard")))
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-charts-ready"))
    for chart in CHARTS:
        wait.until(lambda d, c=chart: canvas_has_ink(d, c))
    assert [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"] == []
    month = int(page.find_element(By.CSS_SELECTOR, ".kpi-card[data-kpi='conversations'] .kpi-value").text)
    assert month >= 7 + 2  # a week of demo traffic (at least one a day) and today's two
    shot(page, "1-dashboard-30-days")
    page.execute_script("document.querySelector('.chart-grid').scrollIntoView()")
    shot(page, "1b-charts")

    from selenium.webdriver.support.ui import Select

    Select(page.find_element(By.ID, "f-granularity")).select_by_value("week")  # the trend by ISO week
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-charts-ready") == "2")
    assert canvas_has_ink(page, "chart-trend")
    page.find_element(By.ID, "export-xlsx").click()  # fetched with the token, saved under the server's name
    wait.until(lambda d: "已导出 kpi-" in d.find_element(By.ID, "toast").text)
    assert page.find_element(By.ID, "toast").text.endswith(".xlsx")

    day = local_day(utcnow(), 8).isoformat()  # the server's local day (UTC+8), whatever the browser's zone
    page.execute_script("""
        document.getElementById('f-preset').value = 'custom';
        document.getElementById('f-start').value = arguments[0];
        document.getElementById('f-end').value = arguments[0];
        document.getElementById('f-apply').click();""", day)
    wait.until(lambda d: f"本期 {day} 至 {day}" in d.find_element(By.ID, "report-status").text)
    card = page.find_element(By.CSS_SELECTOR, ".kpi-card[data-kpi='complaints']")
    assert card.find_element(By.CLASS_NAME, "kpi-value").text == "1"
    conversations = page.find_element(By.CSS_SELECTOR, ".kpi-card[data-kpi='conversations'] .kpi-value").text
    assert conversations == "2"
    card.click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#drill-rows tr.drill-row"))
    rows = page.find_elements(By.CSS_SELECTOR, "#drill-rows tr.drill-row")
    assert [r.get_attribute("data-conversation") for r in rows] == [people["b"]]
    assert "投诉：1 条，1 个会话" in page.find_element(By.ID, "drill-title").text
    rows[0].find_element(By.CLASS_NAME, "drill-open").click()
    wait.until(ec.visibility_of_element_located((By.ID, "drill-transcript")))
    transcript = page.find_element(By.ID, "drill-transcript").text
    assert "139****5678" in transcript and "13912345678" not in transcript  # masked
    shot(page, "2-drilldown-complaint")

    from selenium.webdriver.common.action_chains import ActionChains

    pie = page.find_element(By.CSS_SELECTOR, "#chart-reasons canvas")  # one slice (客户要求): a whole ring
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", pie)
    ActionChains(page).move_to_element_with_offset(pie, 64, 12).click().perform()  # on the ring, not its hole
    wait.until(lambda d: "转人工请求（customer_request）" in d.find_element(By.ID, "drill-title").text)
    wait.until(lambda d: [r.get_attribute("data-conversation")
                          for r in d.find_elements(By.CSS_SELECTOR, "#drill-rows tr.drill-row")] == [people["b"]])
    page.find_element(By.CSS_SELECTOR, ".kpi-card[data-kpi='bot_self_service_rate']").click()
    wait.until(lambda d: "机器人自助完成的会话" in d.find_element(By.ID, "drill-title").text)
    wait.until(lambda d: [r.get_attribute("data-conversation")
                          for r in d.find_elements(By.CSS_SELECTOR, "#drill-rows tr.drill-row")] == [people["a"]])

    agent = staff_page(browser_factory, bridge + "/reports", "agent")
    patient_wait(agent, 30).until(ec.visibility_of_element_located((By.ID, "denied-view")))
    assert not agent.find_element(By.ID, "dashboard").is_displayed()
    shot(agent, "3-agent-turned-away")


def test_yesterday_is_compared_with_the_day_before(bridge: str) -> None:
    """The page's numbers come from this API; the demo week makes every day comparable."""
    login = requests.post(f"{bridge}/api/v1/auth/login", json={"username": "supervisor", "password": PASSWORD},
                          timeout=30)
    auth = {"Authorization": f"Bearer {login.json()['token']}"}
    yesterday = (local_day(utcnow(), 8) - dt.timedelta(days=1)).isoformat()
    report = requests.get(f"{bridge}/api/v1/reports/kpis", params={"start": yesterday, "end": yesterday},
                          headers=auth, timeout=30).json()
    assert report["current"]["conversations"] > 0 and report["previous"]["conversations"] > 0
    expected = report["current"]["conversations"] - report["previous"]["conversations"]
    assert report["change"]["conversations"] == expected
