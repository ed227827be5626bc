"""Maker-checker (一人经办一人复核) end to end in headless Chromium over the real stack (Rasa, the action server and
the bridge from the run script, with MAKER_CHECKER=true): a customer asks the widget how to set up automatic
utility payments and gets the KB answer; a trainer edits that answer on /trainer and it is held for review; the
customer asking again still gets the old answer; a supervisor approves it on /quality (待复核变更); the index is
rebuilt and hot-swapped and the customer asking again gets the new answer. On the way, the trainer's 机构信息
section shows the shipped placeholders. No error in any browser console."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import Bot, running_bot
from tests.e2e.test_browser import ARTIFACTS, browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow
ENTRY, QUESTION = "transfers_payments-029", "怎么设置水电费自动扣款"
OLD_MARK, NEW_MARK = "生活缴费", "【复核后新版】"


@pytest.fixture(scope="module")
def checked_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    with running_bot(tmp_path_factory.mktemp("maker-checker"), {"MAKER_CHECKER": "true"}) as started:
        yield started


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def ask(customer: Any, question: str) -> str:
    """Send ``question`` in the widget; the bot's messages that answer it."""
    from selenium.webdriver.common.by import By

    before = len(customer.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))
    box = customer.find_element(By.ID, "input")
    box.clear()
    box.send_keys(question)
    customer.find_element(By.ID, "send").click()
    patient_wait(customer, 60).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot")) > before)
    time.sleep(0.5)  # the answer's follow-up (有帮助吗) arrives in the same reply; let it render
    return "\n".join(m.text for m in customer.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot")[before:])


def test_an_answer_change_reaches_the_customer_only_after_approval(checked_bot: Bot,
                                                                   browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    faq = checked_bot.data_dir / "project" / "faq" / "transfers_payments.yml"
    customer = browser_factory()
    customer.get(checked_bot.api_url + "/")
    patient_wait(customer, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))
    first = ask(customer, QUESTION)
    assert OLD_MARK in first and NEW_MARK not in first, first

    trainer = staff_page(browser_factory, checked_bot.api_url + "/trainer", "trainer")
    wait = patient_wait(trainer, 60)
    wait.until(lambda d: d.find_element(By.ID, "tab-kb").is_displayed())
    trainer.find_element(By.ID, "tab-kb").click()
    trainer.find_element(By.ID, "kb-search").send_keys("水电费自动扣款")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f".kb-row[data-id='{ENTRY}']")).click()
    wait.until(lambda d: OLD_MARK in (d.find_element(By.ID, "kb-answer").get_attribute("value") or ""))
    answer = trainer.find_element(By.ID, "kb-answer")
    answer.click()
    answer.send_keys(Keys.CONTROL, Keys.HOME)
    answer.send_keys(NEW_MARK)
    trainer.find_element(By.ID, "kb-save").click()
    wait.until(lambda d: "已提交复核" in d.find_element(By.ID, "toast").text)
    trainer.save_screenshot(str(ARTIFACTS / "maker-checker-1-held.png"))
    assert NEW_MARK not in faq.read_text(encoding="utf-8")  # nothing written

    trainer.find_element(By.ID, "tab-train").click()  # the institution facts' editor, with the dev placeholders
    wait.until(lambda d: d.find_element(By.ID, "inst-hotline").get_attribute("value") == "客服热线95xxx")
    assert "占位" in trainer.find_element(By.ID, "inst-state").text

    held = ask(customer, QUESTION)
    assert OLD_MARK in held and NEW_MARK not in held, held  # the customer still gets the old answer

    checker = staff_page(browser_factory, checked_bot.api_url + "/quality", "supervisor")
    cwait = patient_wait(checker, 60)
    cwait.until(lambda d: d.find_element(By.ID, "tab-approvals").is_displayed())
    checker.find_element(By.ID, "tab-approvals").click()
    change = cwait.until(lambda d: next((c for c in d.find_elements(By.CSS_SELECTOR, "#approvals-list .q-change")
                                        if ENTRY in c.text and "待复核" in c.text), None))
    assert NEW_MARK in change.text and "提交人 trainer" in change.text
    change.find_element(By.CSS_SELECTOR, ".q-change-comment").send_keys("口径已核对")
    change.find_element(By.CSS_SELECTOR, ".q-approve").click()
    cwait.until(lambda d: "已批准" in d.find_element(By.ID, "toast").text)
    checker.save_screenshot(str(ARTIFACTS / "maker-checker-2-approved.png"))
    assert NEW_MARK in faq.read_text(encoding="utf-8")

    deadline = time.monotonic() + 240  # the index rebuilt (cached vectors) and hot-swapped by the action server
    while True:
        latest = ask(customer, QUESTION)
        if NEW_MARK in latest:
            break
        assert time.monotonic() < deadline, f"the customer kept getting the old answer: {latest}"
        time.sleep(3)
    customer.save_screenshot(str(ARTIFACTS / "maker-checker-3-new-answer.png"))
    for driver in (customer, trainer, checker):
        assert console_errors(driver) == []


def test_the_stack_runs_with_maker_checker_on(checked_bot: Bot) -> None:
    import requests

    login = requests.post(f"{checked_bot.api_url}/api/v1/auth/login",
                          json={"username": "trainer", "password": "e2e-demo"}, timeout=30)
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    r = requests.put(f"{checked_bot.api_url}/api/v1/trainer/intents/business_hours/response", headers=headers,
                     json={"text": "营业时间：{branch_hours}。"}, timeout=30)
    assert r.status_code == 202 and r.json()["kind"] == "response", r.text
    domain = Path(checked_bot.data_dir / "project" / "domain.yml").read_text(encoding="utf-8")
    assert "营业时间：{branch_hours}。" not in domain
