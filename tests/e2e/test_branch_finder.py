"""End to end through Rasa and the action server (issue 12, finding 9): the branch finder answers from the
branch directory (the demo file in development) by city and business, or says honestly that none was found;
card loss ends with a concise confirmation and next actions instead of repeating the steps."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Bot, replies_text

pytestmark = pytest.mark.slow


def test_the_branch_finder_lists_branches_of_the_city_offering_the_business(bot: Bot) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    assert "城市" in replies_text(bot.say("帮我找个网点", sender))
    assert "业务" in replies_text(bot.say("上海", sender))
    done = replies_text(bot.say("外汇兑换", sender))
    assert "浦东陆家嘴支行" in done and "静安南京西路支行" in done and "021-50000001" in done
    assert "徐汇漕河泾支行" not in done  # it offers no foreign exchange


def test_the_branch_finder_says_honestly_when_no_branch_is_found(bot: Bot) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    bot.say("帮我找个网点", sender)
    bot.say("阜阳", sender)
    done = replies_text(bot.say("开户", sender))
    assert "暂未查到阜阳可以办理开户的网点" in done and "热线" in done


def test_card_loss_ends_with_a_concise_confirmation_and_next_actions(bot: Bot) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    bot.say("卡丢了", sender)
    bot.say("借记卡", sender)
    replies = bot.say("尾号8866", sender)
    done = replies_text(replies)
    assert "已确认：您要挂失尾号8866的借记卡" in done and "1." not in done
    payloads = [b["payload"] for r in replies for b in r.get("buttons") or []]
    assert "/card_reissue" in payloads and "/human_handoff" in payloads
