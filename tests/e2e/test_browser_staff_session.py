"""Browser test of the staff session shared by the console and the workbench (api/static/shared/session.js): sign-out,
a revoked token sending the page back to the login form, a saved login resumed on reload, and the wrong role."""

from __future__ import annotations

import json

import pytest
import requests

from tests.e2e.conftest import Bot
from tests.e2e.test_browser import browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_console_sign_out_expiry_and_resume(bot: Bot, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    page = staff_page(browser_factory, bot.api_url + "/console", "agent")
    wait = patient_wait(page, 30)
    wait.until(ec.visibility_of_element_located((By.ID, "workbench")))
    page.refresh()  # the saved login is resumed
    wait.until(ec.visibility_of_element_located((By.ID, "workbench")))

    page.find_element(By.ID, "logout").click()
    wait.until(ec.visibility_of_element_located((By.ID, "login-view")))
    assert not page.find_element(By.ID, "workbench").is_displayed()
    assert page.execute_script("return sessionStorage.getItem('bankcs.console.auth')") is None

    page.find_element(By.ID, "login-username").send_keys("agent")
    page.find_element(By.ID, "login-password").send_keys("e2e-demo")
    page.find_element(By.ID, "login-submit").click()
    wait.until(ec.visibility_of_element_located((By.ID, "workbench")))
    token = json.loads(page.execute_script("return sessionStorage.getItem('bankcs.console.auth')"))["token"]
    revoked = requests.post(f"{bot.api_url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)
    assert revoked.status_code in (200, 204)
    Select(page.find_element(By.ID, "status")).select_by_value("away")  # the next call gets a 401
    wait.until(lambda d: "登录已过期" in d.find_element(By.ID, "login-error").text)
    assert page.find_element(By.ID, "login-view").is_displayed()


def test_workbench_refuses_an_agent_and_signs_out(bot: Bot, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    page = staff_page(browser_factory, bot.api_url + "/trainer", "agent")
    wait = patient_wait(page, 30)
    wait.until(ec.visibility_of_element_located((By.ID, "denied-view")))
    assert "无权使用训练师工作台" in page.find_element(By.ID, "denied-note").text
    page.find_element(By.ID, "denied-logout").click()
    wait.until(ec.visibility_of_element_located((By.ID, "login-view")))
    assert not page.find_element(By.ID, "denied-view").is_displayed()
