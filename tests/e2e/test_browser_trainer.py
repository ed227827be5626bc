"""Browser test of the trainer workbench (headless Chromium): a trainer adds a KB entry and a new intent with
an extra example, trains and deploys from the page, and the customer's widget then gets both answers."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Bot
from tests.e2e.test_browser import ARTIFACTS, browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_trainer_edits_reach_the_customer(bot: Bot, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = staff_page(browser_factory, bot.api_url + "/trainer", "trainer")
    wait = patient_wait(page, 60)
    wait.until(ec.visibility_of_element_located((By.ID, "tab-kb"))).click()

    page.find_element(By.ID, "kb-new").click()
    for element_id, text in (("kb-area", "trainer"), ("kb-question", "外币现钞兑换需要预约吗"),
                             ("kb-similar", "换外币要不要提前预约\n取外币现钞要预约吗"),
                             ("kb-answer", "单笔等值1万美元以上的外币现钞兑换或提取，请提前1个工作日通过网点预约。")):
        box = page.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(text)
    page.find_element(By.ID, "kb-save").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kb-row") and
               "外币现钞兑换需要预约吗" in d.find_element(By.ID, "kb-list").text)

    page.find_element(By.ID, "tab-intents").click()
    page.find_element(By.ID, "new-intent-name").send_keys("safe_deposit_box")
    page.find_element(By.ID, "new-intent-examples").send_keys(
        "保管箱怎么租\n想租个保险箱\n租保管箱要带什么\n保管箱怎么申请\n哪个网点有保管箱\n保管箱租用流程")
    page.find_element(By.ID, "new-intent-response").send_keys(
        "保管箱租用：本人携带身份证到开办网点申请，签约并缴纳租金和保证金后即可使用。")
    page.find_element(By.ID, "new-intent-create").click()

    def open_intent(d) -> bool:  # the list re-renders after the create: patient_wait retries a stale click
        d.find_element(By.CSS_SELECTOR, ".intent-item[data-name='safe_deposit_box']").click()
        return "保管箱怎么租" in d.find_element(By.ID, "example-list").text

    wait.until(open_intent)
    page.find_element(By.ID, "example-input").send_keys("我要租一个银行保险柜")
    page.find_element(By.ID, "example-add").click()
    wait.until(lambda d: "我要租一个银行保险柜" in d.find_element(By.ID, "example-list").text)
    page.save_screenshot(str(ARTIFACTS / "7-trainer-intent.png"))

    page.find_element(By.ID, "tab-train").click()
    page.find_element(By.ID, "train-start").click()
    patient_wait(page, 600).until(lambda d: "成功" in d.find_element(By.ID, "job-status").text
                                   or "失败" in d.find_element(By.ID, "job-status").text
                                   or "已拒绝" in d.find_element(By.ID, "job-status").text)
    page.save_screenshot(str(ARTIFACTS / "8-trainer-deployed.png"))
    assert "成功" in page.find_element(By.ID, "job-status").text, page.find_element(By.ID, "job-log").text[-2000:]

    customer = browser_factory()
    customer.get(bot.api_url + "/")
    chat = patient_wait(customer, 30)
    chat.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))
    for question, answer in (("我要租一个银行保险柜", "保管箱租用"), ("外币现钞兑换需要预约吗", "提前1个工作日")):
        bots = len(customer.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))
        box = customer.find_element(By.ID, "input")
        box.clear()
        box.send_keys(question)
        customer.find_element(By.ID, "send").click()
        def answered(d, n: int = bots) -> bool:
            return len(d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot")) > n

        chat.until(answered)
        assert answer in customer.find_element(By.ID, "messages").text, question
    customer.save_screenshot(str(ARTIFACTS / "9-widget-after-training.png"))
