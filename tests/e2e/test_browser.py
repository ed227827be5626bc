"""Browser test (headless Debian Chromium through Selenium): a customer chats in the widget, asks for a human,
an agent logs into the console, goes online, answers, and closes; the customer sees the agent's reply with
the agent's name, then the survey. Script in a message is shown as text, never run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.conftest import ROOT, Bot

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "var" / "test-artifacts")) / "browser"


@pytest.fixture()
def browser_factory() -> Iterator:
    if not (CHROMIUM and DRIVER):
        pytest.skip("Debian chromium + chromium-driver are not installed (make test installs them with apt)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def make(width: int = 390, height: int = 844):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    f"--window-size={width},{height}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console errors: driver.get_log("browser")
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.quit()


def patient_wait(driver, seconds: float):
    """A wait that retries while the page re-renders: the console and workbench rebuild their lists as
    chats and edits arrive, so an element found a moment ago can be stale (or gone) at the next poll."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, ignored_exceptions=(NoSuchElementException,
                                                              StaleElementReferenceException))


def staff_page(make, url: str, username: str):
    """A desktop browser on a staff page (console or workbench), logged in with the e2e demo password."""
    from selenium.webdriver.common.by import By

    page = make(1280, 900)
    page.get(url)
    page.find_element(By.ID, "login-username").send_keys(username)
    page.find_element(By.ID, "login-password").send_keys("e2e-demo")
    page.find_element(By.ID, "login-submit").click()
    return page


def test_customer_and_agent_in_real_browsers(bot: Bot, browser_factory) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    customer = browser_factory()
    customer.get(bot.api_url + "/")
    wait = patient_wait(customer, 30)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))

    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(driver, name: str) -> None:
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def send(text: str) -> None:
        box = customer.find_element(By.ID, "input")
        box.clear()
        box.send_keys(text)
        customer.find_element(By.ID, "send").click()

    send("<script>window.pwned=1</script>你好")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot")) >= 2)
    mine = customer.find_elements(By.CSS_SELECTOR, "#messages .msg.from-customer")[-1].text
    assert "<script>" in mine and customer.execute_script("return window.pwned === undefined")

    shot(customer, "1-widget-bot")
    send("转人工")
    wait.until(ec.visibility_of_element_located((By.ID, "queue-banner")))
    shot(customer, "2-widget-queued")

    agent = staff_page(browser_factory, bot.api_url + "/console", "agent")
    await_agent = patient_wait(agent, 30)
    await_agent.until(ec.visibility_of_element_located((By.ID, "status")))
    agent.execute_script(  # other tests may have left customers waiting before ours: room for all
        "const c = document.getElementById('capacity'); c.value = '20';"
        "c.dispatchEvent(new Event('change', {bubbles: true}));")
    await_agent.until(lambda d: d.find_element(By.ID, "load").text.endswith("/ 20"))
    Select(agent.find_element(By.ID, "status")).select_by_value("online")

    def open_our_chat(d) -> bool:  # a stale item (the list re-renders as chats arrive) retries at the next poll
        for i in range(len(d.find_elements(By.CSS_SELECTOR, ".conv-item"))):
            items = d.find_elements(By.CSS_SELECTOR, ".conv-item")
            if i >= len(items):
                return False
            items[i].click()
            if "window.pwned" in d.find_element(By.ID, "transcript").text:
                return True
        return False

    await_agent.until(open_our_chat)
    await_agent.until(lambda d: "转人工" in d.find_element(By.ID, "transcript").text)
    reply = agent.find_element(By.ID, "reply")
    reply.send_keys("您好，我是人工客服，请问有什么可以帮您？")
    agent.find_element(By.ID, "reply-send").click()

    shot(agent, "3-console-chat")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-agent"))
    shot(customer, "4-widget-agent")
    assert "我是人工客服" in customer.find_elements(By.CSS_SELECTOR, "#messages .msg.from-agent")[-1].text
    banner = customer.find_element(By.ID, "agent-banner").text  # the customer-facing name, not 坐席小王
    assert "工号" in banner and "坐席小王" not in banner

    agent.find_element(By.ID, "close-conv").click()  # asks for the 服务小结 first
    await_agent.until(ec.visibility_of_element_located((By.ID, "wrapup-dialog")))
    agent.find_element(By.CSS_SELECTOR, "#wrapup-form input[value='resolved']").click()
    agent.find_element(By.ID, "wrapup-submit").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#messages .chip[data-payload^='/survey_nps']")) == 11)
    customer.find_element(By.CSS_SELECTOR, "#messages .chip[data-payload='/survey_nps{\"score\":9}']").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .chip[data-payload^='/survey_csat']"))
    customer.find_element(By.CSS_SELECTOR, "#messages .chip[data-payload='/survey_csat{\"rating\":\"满意\"}']").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .chip[data-payload='/survey_skip']"))
    customer.find_element(By.CSS_SELECTOR, "#messages .chip[data-payload='/survey_skip']").click()
    wait.until(lambda d: "感谢您的评价" in d.find_element(By.ID, "messages").text)
    shot(customer, "5-widget-survey")
    bots = len(customer.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))
    send("怎么查余额")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot")) > bots)
    assert "余额" in customer.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot")[-1].text
    shot(customer, "6-widget-back-to-bot")
    Select(agent.find_element(By.ID, "status")).select_by_value("offline")
