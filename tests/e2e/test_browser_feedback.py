"""Issue 15 in headless Chromium against the real stack (run_services.sh): a supervisor's themed survey
(专项NPS调查) reaches a customer on a phone-sized widget after an agent's service; the customer answers with one
tap, is asked the detractors' follow-up and writes what went wrong; the comment reaches the owner team's queue on
/feedback, masked and categorised; the owner replies into the customer's conversation and closes the item; the
supervisor sees the campaign's live results. A bot-only chat the customer ends is asked the campaign's survey
first and closes once it is answered. Screenshots are kept under DATA_DIR/reports/screenshots."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, Bot
from tests.e2e.test_browser import browser_factory, patient_wait, staff_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("DATA_DIR", ROOT / "var")) / "reports" / "screenshots"
OWNER, OWNER_PASSWORD, TEAM = "tech-owner", "owner-e2e", "金融科技部"
QUESTION = "您向亲友推荐我行手机银行App的可能性有多大？"
FOLLOW_UP = "请问哪里让您不满意？我们会转给负责部门改进。"


def shot(driver: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"issue15-{name}.png"))


def login(bot: Bot, username: str, password: str = "e2e-demo") -> dict[str, str]:
    r = requests.post(f"{bot.api_url}/api/v1/auth/login", json={"username": username, "password": password},
                      timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def add_owner(bot: Bot, username: str, name: str, team: str | None) -> None:
    """An owner account (as ``python -m api create-user --role owner`` makes one), in the stack's database."""
    from api.staff.accounts import create_user
    from api.store.database import open_database
    from api.store.models import User

    engine, sessions = open_database(f"sqlite:///{bot.data_dir / 'bridge' / 'bridge.db'}")
    try:
        with sessions() as db, db.begin():
            if not db.query(User).filter(User.username == username).first():
                create_user(db, username, OWNER_PASSWORD, "owner", name, [], team=team)
    finally:
        engine.dispose()


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_themed_survey_to_owner_reply_and_close(bot: Bot, browser_factory) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    boss, agent = login(bot, "supervisor"), login(bot, "agent")
    now = dt.datetime.now(dt.timezone.utc)
    r = requests.post(f"{bot.api_url}/api/v1/campaigns", headers=boss, timeout=10, json={
        "topic": "手机银行", "question": QUESTION, "followups": {"detractor": FOLLOW_UP},
        "target": {"channels": ["web"]}, "sample_rate": 1.0,
        "starts_at": (now - dt.timedelta(minutes=5)).isoformat(), "ends_at": (now + dt.timedelta(hours=2)).isoformat()})
    assert r.status_code == 201, r.text
    campaign = r.json()
    try:
        # ---- the customer, on a phone, is served by an agent (the agent's side through the API)
        r = requests.patch(f"{bot.api_url}/api/v1/agent/me", headers=agent, json={"status": "online", "capacity": 20},
                           timeout=10)
        assert r.status_code == 200, r.text
        customer = browser_factory()
        customer.get(bot.api_url + "/")
        wait = patient_wait(customer, 60)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))
        conv_id = wait.until(lambda d: d.execute_script(
            "const s = JSON.parse(localStorage.getItem('bankcs.widget.conversation') || 'null');"
            "return s && s.id;"))
        box = customer.find_element(By.ID, "input")
        box.send_keys("转人工")
        customer.find_element(By.ID, "send").click()
        wait.until(lambda d: any(c["id"] == conv_id for c in requests.get(
            f"{bot.api_url}/api/v1/agent/conversations", headers=agent, timeout=10).json()))
        r = requests.post(f"{bot.api_url}/api/v1/agent/conversations/{conv_id}/close", headers=agent, timeout=10,
                          json={"disposition": "resolved", "note": "已解答"})
        assert r.status_code == 200, r.text

        # ---- the themed survey: one tap, the follow-up, a comment with a card number
        wait.until(lambda d: QUESTION in d.find_element(By.ID, "messages").text)
        chips = wait.until(lambda d: [c for c in d.find_elements(By.CSS_SELECTOR, ".nps .nps-chip")
                                      if c.is_enabled()])
        assert len(chips) == 11 and all(c.size["height"] >= 36 for c in chips)  # tappable on a phone
        shot(customer, "survey-phone")
        next(c for c in chips if c.text == "3").click()
        wait.until(lambda d: FOLLOW_UP in d.find_element(By.ID, "messages").text)
        box.send_keys("手机银行App转账时闪退，卡号6222021234567890123")
        customer.find_element(By.ID, "send").click()
        wait.until(lambda d: "感谢您的评价" in d.find_element(By.ID, "messages").text)

        # ---- the owner's queue
        add_owner(bot, OWNER, "科技部小赵", TEAM)
        owner = browser_factory(1280, 900)
        owner.get(bot.api_url + "/feedback")
        owner.find_element(By.ID, "login-username").send_keys(OWNER)
        owner.find_element(By.ID, "login-password").send_keys(OWNER_PASSWORD)
        owner.find_element(By.ID, "login-submit").click()
        owner_wait = patient_wait(owner, 30)
        owner_wait.until(ec.visibility_of_element_located((By.ID, "queue-view")))
        assert TEAM in owner_wait.until(lambda d: d.find_element(By.ID, "queue-team").text)
        row = owner_wait.until(lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "#queue-list .fb-row")
                                              if "闪退" in r.text), None))
        row.click()
        owner_wait.until(lambda d: "闪退" in d.find_element(By.ID, "item-text").text)
        text = owner.find_element(By.ID, "item-text").text
        assert "6222021234567890123" not in text and "专项调查：手机银行" in text and "3 分" in text
        assert "系统/App故障" in owner.find_element(By.ID, "item-category").text
        assert not owner.find_element(By.ID, "item-close").is_enabled()  # only once replied
        owner.find_element(By.ID, "item-assign").click()
        owner_wait.until(lambda d: "科技部小赵" in d.find_element(By.ID, "item-assignee").text)
        owner.find_element(By.ID, "reply-text").send_keys("已修复转账闪退问题，请升级到最新版本后再试")
        Select(owner.find_element(By.ID, "reply-via")).select_by_value("message")
        owner.find_element(By.ID, "reply-submit").click()
        owner_wait.until(lambda d: "已答复" in d.find_element(By.ID, "item-status").text)
        owner_wait.until(lambda d: d.find_element(By.ID, "item-close").is_enabled())
        owner.find_element(By.ID, "item-close").click()
        owner_wait.until(lambda d: "已关闭" in d.find_element(By.ID, "item-status").text)
        shot(owner, "owner-queue")
        assert console_errors(owner) == []

        # ---- the reply reached the customer's conversation
        wait.until(lambda d: f"{TEAM}答复您的意见" in d.find_element(By.ID, "messages").text)
        shot(customer, "reply-phone")

        # ---- a bot-only chat: ending it asks the campaign's survey first; the chat closes once it is answered
        other = browser_factory()
        other.get(bot.api_url + "/")
        other_wait = patient_wait(other, 60)
        other_wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot"))
        other.find_element(By.ID, "input").send_keys("网点营业时间")
        other.find_element(By.ID, "send").click()
        other_wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#messages .msg.from-bot")) >= 2)
        other.find_element(By.ID, "new-session").click()
        other_wait.until(ec.element_to_be_clickable((By.ID, "end-confirm"))).click()
        other_wait.until(lambda d: QUESTION in d.find_element(By.ID, "messages").text)
        nine = other_wait.until(lambda d: next((c for c in d.find_elements(By.CSS_SELECTOR, ".nps .nps-chip")
                                               if c.is_enabled() and c.text == "9"), None))
        nine.click()
        other_wait.until(lambda d: "本次会话已结束" in d.find_element(By.ID, "messages").text)
        other_wait.until(ec.visibility_of_element_located((By.ID, "closed-banner")))
        shot(other, "bot-only-survey-phone")
        assert console_errors(other) == []

        # ---- the supervisor: the campaign's live results; an agent is refused the page's data
        sup = staff_page(browser_factory, bot.api_url + "/feedback", "supervisor")
        sup_wait = patient_wait(sup, 30)
        sup_wait.until(ec.visibility_of_element_located((By.ID, "tab-campaigns")))
        sup.find_element(By.ID, "tab-campaigns").click()
        sup_wait.until(lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "#campaign-list .fb-row")
                                      if r.get_attribute("data-id") == str(campaign["id"])), None)).click()
        # scores 3 and 9: one detractor, one promoter of two answers -> NPS 0
        sup_wait.until(lambda d: d.find_element(By.ID, "r-answered").text == "2")
        assert sup.find_element(By.ID, "r-nps").text == "0"
        assert sup.find_element(By.ID, "r-items").text == "1"
        bars = sup.find_elements(By.CSS_SELECTOR, "#r-distribution .fb-bar")
        assert len(bars) == 11
        assert [bars[3].get_attribute("title"), bars[9].get_attribute("title")] == ["3分：1", "9分：1"]
        shot(sup, "campaign-results")
        # a new owner without a team is refused their queue until the supervisor ties them to one
        add_owner(bot, "branch-owner", "渠道部小孙", None)
        newcomer = login(bot, "branch-owner", OWNER_PASSWORD)
        assert requests.get(f"{bot.api_url}/api/v1/feedback/items", headers=newcomer, timeout=10).status_code == 403
        sup.find_element(By.ID, "tab-queue").click()
        form = sup_wait.until(ec.visibility_of_element_located((By.ID, "owner-team-form")))
        sup_wait.until(lambda d: len(Select(d.find_element(By.ID, "owner-team")).options) > 1)
        sup.find_element(By.ID, "owner-username").send_keys("branch-owner")
        Select(sup.find_element(By.ID, "owner-team")).select_by_visible_text("渠道管理部")
        form.find_element(By.ID, "owner-team-submit").click()
        sup_wait.until(lambda d: "渠道部小孙 已设为渠道管理部" in d.find_element(By.ID, "toast").text)
        r = requests.get(f"{bot.api_url}/api/v1/feedback/items", headers=newcomer, timeout=10)
        assert r.status_code == 200 and r.json() == {"team": "渠道管理部", "items": []}
        assert console_errors(sup) == []
        r = requests.get(f"{bot.api_url}/api/v1/feedback/items", headers=agent, timeout=10)
        assert r.status_code == 403
    finally:  # other tests of the session expect the standard survey, and no agent online to take their customers
        requests.patch(f"{bot.api_url}/api/v1/campaigns/{campaign['id']}", headers=boss, json={"active": False},
                       timeout=10)
        requests.patch(f"{bot.api_url}/api/v1/agent/me", headers=agent, json={"status": "offline"}, timeout=10)
