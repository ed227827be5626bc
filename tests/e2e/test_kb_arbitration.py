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
from pathlib import Path

import pytest

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
