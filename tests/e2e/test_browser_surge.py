"""The surge response and the complaint analysis in headless Chromium against the bridge with a scripted bot (no
Rasa needed): a supervisor raises level 2 — the widget shows the busy notice with the expected wait and 留言
offered first (it opens the 留言 form), the agent's console shows the level banner and the raised capacity and
pages the agent (not online) to come online;
back at level 0 the banner goes and the capacity is restored. On the quality page's report tab a supervisor sees
the complaints by cause and the agent flagged, records a one-to-one coaching and closes it. No browser console
error on the way."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.test_browser import browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture
from tests.e2e.test_browser_quality import (  # noqa: F401 - the fixture
    bridge,
    console_errors,
    login,
    served_with_a_complaint,
)

pytestmark = pytest.mark.slow


def set_level(url: str, level: int) -> None:
    r = requests.post(f"{url}/api/v1/surge/level", json={"level": level, "reason": "演练"},
                      headers=login(url, "supervisor"), timeout=10)
    assert r.status_code == 200, r.text


def test_surge_level_2_in_the_widget_and_the_console(bridge: str, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    console = staff_page(browser_factory, bridge + "/console", "agent")
    cwait = patient_wait(console, 30)
    cwait.until(lambda d: d.find_element(By.ID, "workbench").is_displayed())
    cwait.until(lambda d: d.find_element(By.ID, "capacity").get_attribute("value") == "3")
    assert not console.find_elements(By.CSS_SELECTOR, "#surge-banner:not([hidden])")  # level 0: no banner

    set_level(bridge, 2)
    widget = browser_factory()
    widget.get(bridge + "/")
    wait = patient_wait(widget, 30)
    banner = wait.until(lambda d: d.find_element(By.ID, "surge-banner") if d.find_element(
        By.ID, "surge-banner").is_displayed() else None)
    assert "当前咨询量非常大" in banner.text and "预计等待约" in banner.text
    first = banner.find_element(By.CSS_SELECTOR, ":scope > *:first-child")
    assert first.get_attribute("id") == "surge-leave" and first.text == "先留言，回电处理"  # 留言 first
    first.click()
    wait.until(lambda d: d.find_element(By.ID, "leave-dialog").is_displayed())

    console.refresh()  # the banner polls every 15 s; a reload shows it at once
    cbanner = cwait.until(lambda d: d.find_element(By.ID, "surge-banner") if d.find_element(
        By.ID, "surge-banner").is_displayed() else None)
    assert "话务应急响应：二级" in cbanner.text and "接待上限已临时提高" in cbanner.text
    # the agent is not online: paged (the line appears once the agent's own status has loaded)
    cwait.until(lambda d: "请备班坐席立即上线接待" in d.find_element(By.ID, "surge-banner").text)
    cwait.until(lambda d: d.find_element(By.ID, "capacity").get_attribute("value") == "4")  # 3 + the step (1)

    set_level(bridge, 0)
    widget.refresh()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg"))
    assert not widget.find_element(By.ID, "surge-banner").is_displayed()
    console.refresh()
    cwait.until(lambda d: d.find_element(By.ID, "capacity").get_attribute("value") == "3")  # restored
    assert not console.find_element(By.ID, "surge-banner").is_displayed()
    assert console_errors(widget) == [] and console_errors(console) == []


def test_complaints_and_coaching_on_the_report_tab(bridge: str, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    served_with_a_complaint(bridge)
    served_with_a_complaint(bridge)  # two complaints: at the default threshold (2)
    page = staff_page(browser_factory, bridge + "/quality", "supervisor")
    wait = patient_wait(page, 30)
    wait.until(lambda d: d.find_element(By.ID, "queue-view").is_displayed())
    page.find_element(By.ID, "tab-report").click()
    body = wait.until(lambda d: d.find_element(By.ID, "complaints-body")
                      if "投诉 2 件" in d.find_element(By.ID, "complaints-body").text else None)
    assert "投诉原因" in body.text and "（agent）" in body.text
    next(b for b in body.find_elements(By.CSS_SELECTOR, "button") if b.text == "建立辅导").click()
    page.find_element(By.ID, "coaching-plan").send_keys("复盘两次投诉的录音，演练安抚话术")
    next(b for b in page.find_elements(By.CSS_SELECTOR, "#coaching-form button") if b.text == "保存辅导记录").click()
    wait.until(lambda d: "进行中" in d.find_element(By.ID, "complaints-body").text)
    text = page.find_element(By.ID, "complaints-body").text
    assert "复盘两次投诉的录音" in text and "辅导中" in text and "前 30 天 2 次" in text
    next(b for b in page.find_elements(By.CSS_SELECTOR, "#complaints-body button") if b.text == "结束辅导").click()
    page.find_element(By.CSS_SELECTOR, "[id^=coaching-outcome-]").send_keys("已掌握安抚话术")
    next(b for b in page.find_elements(By.CSS_SELECTOR, "#complaints-body button") if b.text == "确认").click()
    wait.until(lambda d: "已掌握安抚话术" in d.find_element(By.ID, "complaints-body").text)
    assert "已结束" in page.find_element(By.ID, "complaints-body").text
    assert console_errors(page) == []
