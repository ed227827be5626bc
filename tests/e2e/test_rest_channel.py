"""End to end: the real Rasa server and action server, started by the run script, talking Chinese over the
REST channel (POST /webhooks/rest/webhook). Slow (starts servers); part of `make test`."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import Bot, descendants, replies_text

pytestmark = pytest.mark.slow


def test_card_loss_question_gets_loss_steps_then_the_form(bot: Bot) -> None:
    replies = bot.say("我的银行卡丢了怎么办")
    text = replies_text(replies)
    assert "挂失" in text and "1." in text and "身份证" in text
    assert "借记卡" in replies[-1]["text"] and "信用卡" in replies[-1]["text"]  # the form asks the card type
    assert {b["title"] for b in replies[0]["buttons"]} >= {"申请补卡", "转人工客服"}


def test_card_loss_form_end_to_end_with_a_full_card_number_refused(bot: Bot) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    bot.say("卡丢了", sender)
    assert "后四位" in replies_text(bot.say("是储蓄卡", sender))
    full = "6212261202011234565"
    refused = replies_text(bot.say(full, sender))
    assert full not in refused and "请勿" in refused and "后四位" in refused
    done = replies_text(bot.say("尾号8866", sender))
    assert "尾号8866的借记卡" in done and "正式挂失" in done


def test_branch_form_with_a_digression(bot: Bot) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    assert "城市" in replies_text(bot.say("帮我找个网点", sender))
    assert "业务" in replies_text(bot.say("杭州", sender))
    digression = replies_text(bot.say("你们几点下班", sender))
    assert "营业时间" in digression and "业务" in digression.splitlines()[-1]
    done = replies_text(bot.say("大额取现", sender))
    assert "杭州" in done and "预约" in done


def test_transfer_limit_form_normalises_chinese_amounts(bot: Bot) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    bot.say("我想把转账限额调高", sender)
    assert "多少" in replies_text(bot.say("手机银行", sender))
    assert "25,000元" in replies_text(bot.say("两万五千块", sender))


@pytest.mark.parametrize(
    "text, secret",
    [("验证码是482913，你帮我登录一下", "482913"), ("卡号6212261202011234565能帮我查查吗", "6212261202011234565"),
     ("我的密码是135790", "135790")],
)
def test_secrets_get_a_warning_and_are_never_echoed(bot: Bot, text: str, secret: str) -> None:
    reply = replies_text(bot.say(text))
    assert secret not in reply and "请勿" in reply


def test_secrets_are_not_stored_or_logged_anywhere_in_the_data_directory(bot: Bot) -> None:
    secrets = {
        "6222021234567890128": "卡号6222021234567890128帮我查一下",
        "510107197806150027": "身份证510107197806150027",
        "770155": "动态码770155",
    }

    def holding() -> set[tuple[str, str]]:
        """(file, secret) pairs of every file in the data directory that contains one of the numbers."""
        return {(str(path), secret) for path in bot.data_dir.rglob("*") if path.is_file() and path.suffix != ".gz"
                for secret in secrets if secret.encode() in path.read_bytes()}

    # digits can occur by chance in files built before the customer wrote (a float 0.770155... in the KB
    # re-ranker's model): only what the conversation added counts
    before = holding()
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    bot.say("卡丢了", sender)
    bot.say("信用卡", sender)
    for text in secrets.values():
        bot.say(text, sender)  # inside the card-loss form too: the card number is a from_text slot candidate
    tracker = requests.get(f"{bot.url}/conversations/{sender}/tracker", headers=bot.rasa_headers(), timeout=10).json()
    assert tracker["events"]
    time.sleep(1)
    assert not holding() - before


def test_fraud_script_gets_an_anti_fraud_warning(bot: Bot) -> None:
    assert "诈骗" in replies_text(bot.say("对方说我的账户涉嫌洗钱，要我把钱转到安全账户"))


def test_out_of_scope_is_not_answered_as_understood(bot: Bot) -> None:
    reply = replies_text(bot.say("附近有什么好吃的火锅店"))
    assert "抱歉" in reply


def test_handoff_sends_a_machine_readable_signal(bot: Bot) -> None:
    replies = bot.say("机器人听不懂，转真人客服")
    assert "人工" in replies_text(replies)
    signal_ = next(r["custom"]["handoff"] for r in replies if r.get("custom"))
    assert signal_["reason"] == "customer_request" and signal_["intent"] == "human_handoff"


def test_institution_facts_come_from_one_place(bot: Bot) -> None:
    reply = replies_text(bot.say("你们几点下班"))
    assert "工作日9:00-17:00" in reply  # domain.yml slot `branch_hours`


def test_conversations_are_persisted_in_the_data_directory(bot: Bot) -> None:
    bot.say("你好", "persisted-user")
    tracker = requests.get(f"{bot.url}/conversations/persisted-user/tracker", headers=bot.rasa_headers(),
                           timeout=10).json()
    assert any(e.get("text") == "你好" for e in tracker["events"] if e["event"] == "user")
    assert (bot.data_dir / "rasa" / "tracker.db").stat().st_size > 0


def running(pid: int) -> bool:
    """Alive and not a zombie (an exited child that a container's PID 1 may never reap still has a /proc entry)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return "?"


def test_zz_ctrl_c_stops_every_service(bot: Bot) -> None:
    """Runs last (name): SIGINT to the run script stops Rasa and the action server."""
    services = descendants(bot.process.pid)
    assert len(services) >= 2  # the action server and the Rasa server (and their workers)
    os.killpg(bot.process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    output, _ = bot.process.communicate(timeout=60)
    assert bot.process.returncode == 0, output
    deadline = time.monotonic() + 15  # a busy machine may take a few seconds to tear a worker down
    while (left := [pid for pid in services if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes still running: {[(pid, cmdline(pid)) for pid in left]}"
    with pytest.raises(requests.RequestException):
        requests.get(f"{bot.url}/status", timeout=2)
