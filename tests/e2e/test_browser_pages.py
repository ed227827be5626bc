"""The static pages as native ES modules (api/static/{shared,widget,console,trainer}/): every page loads as
<script type="module"> from /static under the app's Content-Security-Policy, the modules are served as
JavaScript (browsers refuse a module of any other type), and each page, and each tab of the console and the
workbench once signed in, runs without an error in the browser console. A module that fails to load or
throws at its first use shows up here before any click-through test."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, Bot
from tests.e2e.test_browser import browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture

STATIC = ROOT / "api" / "static"
MAX_JS_LINES = 400


def test_pages_load_only_module_scripts_from_static() -> None:
    """The CSP (script-src 'self') blocks inline script, and a classic script cannot import: every script tag
    is an empty module script with a /static source that exists."""
    pages = sorted(STATIC.glob("*.html"))
    assert {p.name for p in pages} >= {"widget.html", "console.html", "trainer.html"}
    for page in pages:
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page.read_text(encoding="utf-8"), re.S)
        assert len(scripts) == 1, page.name
        attrs, body = scripts[0]
        assert 'type="module"' in attrs and not body.strip(), page.name
        src = re.search(r'src="/static/([^"]+)"', attrs)
        assert src and (STATIC / src.group(1)).is_file(), page.name


def test_no_script_file_over_the_size_limit() -> None:
    sizes = {p.relative_to(STATIC).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in STATIC.rglob("*.js")}
    assert len(sizes) > 10
    assert max(sizes.values()) <= MAX_JS_LINES, {k: v for k, v in sizes.items() if v > MAX_JS_LINES}


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@pytest.mark.slow
def test_modules_are_served_as_javascript_under_the_csp(bot: Bot) -> None:
    page = requests.get(bot.api_url + "/console", timeout=10)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for module in ("shared/socket.js", "widget/main.js", "console/main.js", "trainer/main.js"):
        r = requests.get(f"{bot.api_url}/static/{module}", timeout=10)
        assert r.status_code == 200 and "javascript" in r.headers["content-type"], (module, r.headers)
        assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.slow
def test_every_page_and_tab_runs_without_console_errors(bot: Bot, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    customer = browser_factory()
    customer.get(bot.api_url + "/")
    patient_wait(customer, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))
    assert len(customer.find_elements(By.CSS_SELECTOR, "#quick-replies .quick-reply")) == 5
    assert console_errors(customer) == []

    desk = staff_page(browser_factory, bot.api_url + "/console", "supervisor")
    wait = patient_wait(desk, 30)
    wait.until(ec.visibility_of_element_located((By.ID, "workbench")))
    wait.until(lambda d: "已连接" in d.find_element(By.ID, "conn-status").text)
    wait.until(lambda d: "/" in d.find_element(By.ID, "load").text)
    links = desk.find_elements(By.CSS_SELECTOR, "#other-pages a")
    assert [a.get_attribute("pathname") for a in links if a.is_displayed()] == ["/reports", "/quality", "/feedback"]
    desk.find_element(By.ID, "tab-leave").click()
    wait.until(ec.visibility_of_element_located((By.ID, "leave-view")))
    desk.find_element(By.ID, "tab-supervisor").click()
    wait.until(lambda d: "更新于" in d.find_element(By.ID, "sv-updated").text)
    assert table_rows(desk, "sv-agents") >= 2  # the demo agent and supervisor (a trainer serves no one)
    desk.find_element(By.ID, "tab-chats").click()
    wait.until(ec.visibility_of_element_located((By.ID, "chats-view")))
    assert console_errors(desk) == []

    bench = staff_page(browser_factory, bot.api_url + "/trainer", "trainer")
    wait = patient_wait(bench, 60)
    wait.until(ec.visibility_of_element_located((By.ID, "workbench")))
    bench.find_element(By.ID, "tab-intents").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#intent-list .intent-item"))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#lookup-name option"))
    bench.find_element(By.ID, "tab-kb").click()
    wait.until(lambda d: "索引版本" in d.find_element(By.ID, "kb-status").text)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#kb-list .kb-row"))
    bench.find_element(By.ID, "tab-unanswered").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#unanswered-list tr"))
    bench.find_element(By.ID, "tab-test").click()
    bench.find_element(By.ID, "test-input").send_keys("我的信用卡丢了怎么办")
    bench.find_element(By.ID, "test-send").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#test-intents .test-intent-link"))
    bench.find_element(By.ID, "tab-train").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#model-list .model-row"))
    bench.find_element(By.ID, "tab-audit").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#audit-list tr"))
    assert console_errors(bench) == []


@pytest.mark.slow
def test_staff_of_other_roles_are_sent_to_their_own_page_from_the_console(bot: Bot, browser_factory) -> None:  # noqa: F811
    """A reviewer or a feedback owner who opens the console is pointed to their page (the console's calls would all
    be refused); an agent sees no links to the supervisor's pages."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    for username, home in (("reviewer", "/quality"), ("owner", "/feedback"), ("trainer", "/trainer")):
        page = staff_page(browser_factory, bot.api_url + "/console", username)
        patient_wait(page, 30).until(ec.visibility_of_element_located((By.ID, "trainer-view")))
        note = page.find_element(By.ID, "trainer-note")
        assert [a.get_attribute("pathname") for a in note.find_elements(By.TAG_NAME, "a")] == [home]
        assert not page.find_element(By.ID, "workbench").is_displayed()
        assert console_errors(page) == []
    agent = staff_page(browser_factory, bot.api_url + "/console", "agent")
    patient_wait(agent, 30).until(ec.visibility_of_element_located((By.ID, "workbench")))
    assert not agent.find_element(By.ID, "other-pages").is_displayed()


def table_rows(driver: Any, tbody_id: str) -> int:
    from selenium.webdriver.common.by import By

    return len(driver.find_elements(By.CSS_SELECTOR, f"#{tbody_id} tr:not(.empty-row)"))
