"""The quality page (/quality) in headless Chromium against the bridge with a scripted bot (no Rasa needed: the
page talks only to the bridge): a reviewer samples a complaint-driven queue, sees the automatic results and the
failed message marked, scores the rest, marks needs-coaching and submits; the agent finds the review under 我的质检
and appeals once; a supervisor decides the appeal; the report shows the agent's score and the coaching mark. No
error in the browser console on the way."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from tests.api.conftest import ScriptedRasa
from tests.e2e.conftest import ROOT, serving
from tests.e2e.test_browser import browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


@pytest.fixture()
def bridge(tmp_path: Path) -> Iterator[str]:
    from api.app import create_app
    from api.settings import Settings

    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="e2e-demo")
    with serving(create_app(settings, ScriptedRasa())) as url:  # type: ignore[arg-type]
        yield url


@pytest.fixture()
def checked_bridge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """The bridge with maker-checker on, editing a temporary copy of one KB area."""
    from api.app import create_app
    from api.settings import Settings
    from tests.kb_index.fakes import HashingEncoder

    faq = tmp_path / "faq"
    faq.mkdir()
    shutil.copy(ROOT / "kb_index" / "faq" / "loans.yml", faq)
    monkeypatch.setenv("KB_FAQ_DIR", str(faq))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="e2e-demo", maker_checker=True)
    app = create_app(settings, ScriptedRasa())  # type: ignore[arg-type]
    app.state.kb_files._encoder = HashingEncoder
    with serving(app) as url:
        yield url, faq


def login(url: str, username: str) -> dict[str, str]:
    r = requests.post(f"{url}/api/v1/auth/login", json={"username": username, "password": "e2e-demo"}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def customer_says(url: str, *texts: str, payload: str | None = None) -> tuple[str, dict[str, str]]:
    r = requests.post(f"{url}/api/v1/conversations", json={"channel": "web"}, timeout=10)
    conv = r.json()
    auth = {"Authorization": f"Bearer {conv['token']}"}
    for text in texts:
        r = requests.post(f"{url}/api/v1/conversations/{conv['id']}/messages", json={"text": text}, headers=auth,
                          timeout=10)
        assert r.status_code == 200, r.text
    return conv["id"], auth


def served_with_a_complaint(url: str) -> str:
    agent = login(url, "agent")
    assert requests.patch(f"{url}/api/v1/agent/me", json={"status": "online"}, headers=agent, timeout=10).ok
    conv_id, auth = customer_says(url, "转人工")
    for text in ("您好，很高兴为您服务", "已为您处理，感谢您的耐心，再见"):
        r = requests.post(f"{url}/api/v1/agent/conversations/{conv_id}/messages", json={"text": text}, headers=agent,
                          timeout=10)
        assert r.status_code == 200, r.text
    r = requests.post(f"{url}/api/v1/agent/conversations/{conv_id}/close", headers=agent, timeout=10,
                      json={"disposition": "complaint", "note": "等待过久"})
    assert r.status_code == 200, r.text
    r = requests.post(f"{url}/api/v1/conversations/{conv_id}/messages", json={"payload": '/survey_nps{"score":2}'},
                      headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    return conv_id


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def sign_out(page: Any) -> None:
    from selenium.webdriver.common.by import By

    page.find_element(By.ID, "logout").click()
    patient_wait(page, 10).until(lambda d: d.find_element(By.ID, "login-view").is_displayed())


def sign_in(page: Any, username: str) -> None:
    from selenium.webdriver.common.by import By

    for field, value in (("login-username", username), ("login-password", "e2e-demo")):
        page.find_element(By.ID, field).clear()
        page.find_element(By.ID, field).send_keys(value)
    page.find_element(By.ID, "login-submit").click()


def test_review_appeal_and_decision_in_the_browser(bridge: str, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    served = served_with_a_complaint(bridge)
    customer_says(bridge, "基金怎么买")  # a bot-only 基金 answer without 风险提示

    page = staff_page(browser_factory, bridge + "/quality", "reviewer")
    wait = patient_wait(page, 30)
    wait.until(lambda d: d.find_element(By.ID, "queue-view").is_displayed())
    assert not page.find_element(By.ID, "tab-mine").is_displayed()  # a reviewer serves no one
    page.find_element(By.ID, "sample-bot").clear()
    page.find_element(By.ID, "sample-bot").send_keys("0")
    page.find_element(By.ID, "sample-run").click()
    wait.until(lambda d: "新增 1 条" in d.find_element(By.ID, "sample-result").text)
    assert "agent" in page.find_element(By.ID, "sample-result").text  # the agent on watch
    row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#queue-list .q-row"))
    assert "不满意/NPS贬损" in row.text and "被投诉或低分坐席" in row.text
    row.click()
    wait.until(lambda d: served in d.find_element(By.ID, "queue-detail").text)
    detail = page.find_element(By.ID, "queue-detail")
    assert "首条消息含问候" in detail.text and "✓ 达标" in detail.text
    for select in page.find_elements(By.CSS_SELECTOR, "select.q-item-score"):
        Select(select).select_by_visible_text("部分达标" if select.get_attribute("data-item") == "attitude" else "达标")
    page.find_element(By.ID, "q-coaching").click()
    page.find_element(By.ID, "q-summary").send_keys("等待过久，需辅导")
    page.find_element(By.ID, "q-submit").click()
    wait.until(lambda d: d.find_element(By.ID, "q-total").text.startswith("总分 95.7"))
    assert not page.find_elements(By.ID, "q-submit")  # final
    assert console_errors(page) == []
    sign_out(page)

    sign_in(page, "agent")
    wait.until(lambda d: d.find_element(By.ID, "mine-view").is_displayed())
    assert not page.find_element(By.ID, "tab-queue").is_displayed()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#mine-list .q-row")).click()
    wait.until(lambda d: "等待过久，需辅导" in d.find_element(By.ID, "mine-detail").text)
    page.find_element(By.ID, "q-appeal-text").send_keys("当时系统故障")
    page.find_element(By.ID, "q-appeal").click()
    wait.until(lambda d: "申诉中" in d.find_element(By.ID, "mine-detail").text)
    assert not page.find_elements(By.ID, "q-appeal")  # once
    assert console_errors(page) == []
    sign_out(page)

    sign_in(page, "supervisor")
    wait.until(lambda d: d.find_element(By.ID, "queue-view").is_displayed())
    Select(page.find_element(By.ID, "queue-status")).select_by_value("appealed")
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#queue-list .q-row")) == 1)
    page.find_element(By.CSS_SELECTOR, "#queue-list .q-row").click()
    wait.until(lambda d: d.find_elements(By.ID, "q-decide"))
    assert "当时系统故障" in page.find_element(By.ID, "queue-detail").text
    Select(page.find_element(By.ID, "q-decision")).select_by_value("true")
    page.find_element(By.ID, "q-decision-total").send_keys("100")
    page.find_element(By.ID, "q-decision-comment").send_keys("故障属实")
    page.find_element(By.ID, "q-decide").click()
    wait.until(lambda d: "申诉成立：故障属实" in d.find_element(By.ID, "queue-detail").text)
    assert "质检员原评 95.7" in page.find_element(By.ID, "q-total").text

    page.find_element(By.ID, "tab-report").click()
    wait.until(lambda d: "坐席小王" in d.find_element(By.ID, "report-body").text)
    report = page.find_element(By.ID, "report-body").text
    assert "100" in report and "服务态度与耐心" in report and "需要辅导的坐席\nagent" in report
    assert console_errors(page) == []


def test_a_trainers_answer_change_waits_for_a_second_persons_approval(checked_bridge: tuple[str, Path],
                                                                     browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    url, faq = checked_bridge
    question, answer = "外币现钞兑换需要预约吗", "单笔等值1万美元以上的外币现钞兑换，请提前1个工作日预约。"
    trainer = staff_page(browser_factory, url + "/trainer", "trainer")
    wait = patient_wait(trainer, 30)
    wait.until(lambda d: d.find_element(By.ID, "tab-kb").is_displayed())
    trainer.find_element(By.ID, "tab-kb").click()
    wait.until(lambda d: d.find_element(By.ID, "kb-new").is_displayed())
    trainer.find_element(By.ID, "kb-new").click()
    for element_id, text in (("kb-area", "loans"), ("kb-question", question), ("kb-answer", answer)):
        field = trainer.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(text)
    trainer.find_element(By.ID, "kb-save").click()
    wait.until(lambda d: "已提交复核" in d.find_element(By.ID, "toast").text)
    assert answer not in (faq / "loans.yml").read_text(encoding="utf-8")  # customers cannot get it yet
    assert console_errors(trainer) == []

    checker = staff_page(browser_factory, url + "/quality", "reviewer")
    wait = patient_wait(checker, 30)
    wait.until(lambda d: d.find_element(By.ID, "tab-approvals").is_displayed())
    checker.find_element(By.ID, "tab-approvals").click()
    change = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#approvals-list .q-change"))
    assert f"+answer: {answer}" in change.text and "提交人 trainer" in change.text
    change.find_element(By.CSS_SELECTOR, ".q-change-comment").send_keys("口径已核对")
    change.find_element(By.CSS_SELECTOR, ".q-approve").click()
    wait.until(lambda d: "已批准" in d.find_element(By.ID, "toast").text)
    assert answer in (faq / "loans.yml").read_text(encoding="utf-8")
    headers = login(url, "trainer")
    found = requests.get(f"{url}/api/v1/trainer/kb", params={"q": question}, headers=headers, timeout=10).json()
    assert [e["answer"] for e in found] == [answer]
    assert console_errors(checker) == []
