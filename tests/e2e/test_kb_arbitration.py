"""End to end through Rasa and the action server (issue 12, finding 1; issue 13): a trainer adds the customer's
question as a similar question of the right KB entry, the KB index is rebuilt, and the customer's reply changes at
once to the KB answer, in a new and in the same conversation, without retraining or restarting anything."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, Bot, replies_text

pytestmark = pytest.mark.slow

# the intent model gives account_open_materials about 0.52 here: above the NLU fallback (0.25), below the
# arbitration's weak threshold (0.7) -- the shape of the finding. The issue's own sentence
# (办签证要的那个资产证明去哪开) now falls back to the KB by itself and is checked too.
QUESTION = "办签证需要的银行证明去哪开"
FALLBACK_QUESTION = "办签证要的那个资产证明去哪开"
KB_ANSWER = "时段存款证明需冻结对应资金"  # cards_accounts-034 (怎么开存款证明（如出国签证用）？)
ACCOUNT_OPENING = "开立个人银行账户"  # utter_account_open_materials


def custom(replies: list[dict], key: str) -> dict | None:
    return next((r["custom"][key] for r in replies if key in (r.get("custom") or {})), None)


def test_a_trainers_new_similar_question_changes_the_customers_reply_without_retraining(
        bot: Bot, tmp_path: Path) -> None:
    before = replies_text(bot.say(QUESTION, "arb-same"))
    # (the offer itself, over the weak intent, is checked on a fresh KB by test_browser_trainer_console; earlier
    # tests of this session may have added entries that change what the KB offers here)
    assert KB_ANSWER not in before, before

    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "kb_index" / "faq", faq)
    source = faq / "cards_accounts.yml"
    text = source.read_text(encoding="utf-8")
    anchor = "    - 办签证要存款证明\n"
    assert text.count(anchor) == 1
    source.write_text(text.replace(anchor, anchor + f"    - {QUESTION}\n    - {FALLBACK_QUESTION}\n"),
                      encoding="utf-8")
    env = {**os.environ, "DATA_DIR": str(bot.data_dir), "KB_FAQ_DIR": str(faq)}
    built = subprocess.run([sys.executable, "-m", "kb_index", "build"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True, timeout=300)
    assert json.loads(built.stdout.strip().splitlines()[-1])["questions"] > 0

    deadline = time.monotonic() + 20
    replies: list[dict] = []
    while time.monotonic() < deadline:
        replies = bot.say(QUESTION)  # a new conversation each time
        if KB_ANSWER in replies_text(replies):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the customer still gets: {replies_text(replies)}")
    assert ACCOUNT_OPENING not in replies_text(replies)
    assert "这个回答对您有帮助吗" in replies_text(replies)
    kb = custom(replies, "kb")
    assert kb and kb["arbitration"]["winner"] == "kb" and kb["candidates"][0]["entry_id"] == "cards_accounts-034"
    # the conversation that got the old reply gets the new one too
    assert KB_ANSWER in replies_text(bot.say(QUESTION, "arb-same"))
    # the issue's own sentence is too weak for any intent; the KB answers it through the fallback
    assert KB_ANSWER in replies_text(bot.say(FALLBACK_QUESTION))



# deposit_rate at about 0.44 with today's model: above the NLU fallback (0.25), below the weak threshold (0.7)
WEAK_QUESTION = "一年期定存年化是几"


def test_a_weak_intent_is_asked_about_and_the_customers_pick_gets_its_answer(bot: Bot) -> None:
    """Issue 13 (eighth pass): an unsure intent is not answered; the customer is asked 您是不是想问 with the
    intent's own question first, and picking it - the button's payload, or 第一个 typed - gets the usual answer."""
    parsed = requests.post(f"{bot.url}/model/parse", json={"text": WEAK_QUESTION}, timeout=30,
                           headers=bot.rasa_headers()).json()["intent"]
    assert parsed["name"] == "deposit_rate" and 0.25 <= parsed["confidence"] < 0.7, parsed  # the precondition
    for pick in ("/deposit_rate", "第一个"):
        sender = f"arb-clarify-{uuid.uuid4().hex[:8]}"
        replies = bot.say(WEAK_QUESTION, sender)
        offer = next(r for r in replies if r.get("buttons"))
        assert offer["text"].startswith("抱歉，我不太确定您的问题"), replies
        assert offer["buttons"][0] == {"title": "存款利率是多少？", "payload": "/deposit_rate"}
        assert offer["buttons"][-1]["payload"] == "/human_handoff"
        verdict = (custom(replies, "kb") or {}).get("arbitration") or {}
        assert verdict.get("winner") == "clarify" and verdict.get("intent") == "deposit_rate"
        answer = replies_text(bot.say(pick, sender))
        assert "利率" in answer and "您是不是想问" not in answer, (pick, answer)
