"""The masking tracker store: what reaches the database has no raw card, ID, code or password."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import MaskingSQLTrackerStore, mask_event_data

CARD = "6212261202011234565"
ID_NUMBER = "440304199001011233"
DOMAIN = Domain.from_yaml("slots:\n  card_last4:\n    type: text\n    mappings: [{type: from_text}]\n")


def test_mask_event_data_masks_strings_everywhere_but_identifiers() -> None:
    data = {"event": "user", "text": f"卡号{CARD}", "message_id": "13812345678",
            "parse_data": {"text": f"卡号{CARD}", "entities": [{"value": ID_NUMBER}]}}
    masked = mask_event_data(data)
    assert CARD not in str(masked) and ID_NUMBER not in str(masked)
    assert masked["text"].endswith("4565") and masked["message_id"] == "13812345678"


def test_nothing_personal_reaches_the_database(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker.from_events("customer-1", [
        UserUttered(f"我的卡号{CARD}，身份证{ID_NUMBER}，验证码是482913",
                    {"name": "share_sensitive_info", "confidence": 1.0}),
        SlotSet("card_last4", CARD),
        BotUttered("为保护您的资金安全，请勿发送完整卡号。"),
    ])
    asyncio.run(store.save(tracker))
    raw = db.read_bytes() + (db.with_name("tracker.db-wal").read_bytes() if db.with_name("tracker.db-wal").exists()
                             else b"")
    for secret in (CARD, ID_NUMBER, "482913"):
        assert secret.encode() not in raw
    restored = asyncio.run(store.retrieve("customer-1"))
    assert restored is not None
    user = next(e for e in restored.events if isinstance(e, UserUttered))
    assert user.text == "我的卡号***************4565，身份证4****************3，验证码是******"
    assert restored.get_slot("card_last4") == "***************4565"
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_events_are_appended_once_per_save(tmp_path: Path) -> None:
    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    tracker = DialogueStateTracker.from_events("c2", [UserUttered("你好", {"name": "greet", "confidence": 1.0})])
    asyncio.run(store.save(tracker))
    tracker.update(BotUttered("您好"))
    asyncio.run(store.save(tracker))
    restored = asyncio.run(store.retrieve("c2"))
    assert restored is not None
    assert [type(e).__name__ for e in restored.events].count("UserUttered") == 1
    assert [type(e).__name__ for e in restored.events].count("BotUttered") == 1


def test_a_restarted_store_appends_after_what_is_already_stored(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    first = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    asyncio.run(first.save(DialogueStateTracker.from_events("c3", [UserUttered("你好", {"name": "greet"})])))
    restarted = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    tracker = asyncio.run(restarted.retrieve("c3"))
    assert tracker is not None
    tracker.update(UserUttered("营业时间", {"name": "business_hours"}))
    asyncio.run(restarted.save(tracker))
    reread = asyncio.run(MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db).retrieve("c3"))
    assert reread is not None
    texts = [e.text for e in reread.events if isinstance(e, UserUttered)]
    assert texts == ["你好", "营业时间"]


def _stored(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _escaped(text: str) -> bytes:
    """How json.dumps (the tracker store's column format) writes ``text``."""
    return json.dumps(text).strip('"').encode()


@pytest.mark.parametrize("payload", [
    '/inform{"card_last4": "6222021234567890128"}',
    '/inform{"card_last4": 6222021234567890128}',
    '/inform{"card_last4": "\\u0036\\u0032\\u0032\\u0032021234567890128"}',
    '/inform{"card_last4": "6222021234567890128"',  # unparseable: Rasa keeps it as text
    '/inform{"6222021234567890128": 1}',
    "/inform{\"card_last4\": \"６２２２０２１２３４５６７８９０１２８\"}",
])
def test_payloads_and_their_entities_are_masked(tmp_path: Path, payload: str) -> None:
    db = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    value = json.loads(payload[len("/inform"):] + ("" if payload.endswith("}") else "}")).get("card_last4", 0)
    tracker = DialogueStateTracker.from_events("c-payload", [
        UserUttered(payload, {"intent": {"name": "inform", "confidence": 1.0},
                              "entities": [{"entity": "card_last4", "value": value, "start": 7, "end": 20}]},
                    metadata={"6222021234567890128": {"note": "身份证440304199001011233"}}),
        SlotSet("card_last4", value),
    ])
    asyncio.run(store.save(tracker))
    raw = _stored(db)
    for secret in ("6222021234567890128", "440304199001011233", "６２２２０２１２３４５６７８９０１２８"):
        assert _escaped(secret) not in raw and secret.encode() not in raw
    assert b"\\\\u0036\\\\u0032\\\\u0032\\\\u0032021234" not in raw
    restored = asyncio.run(store.retrieve("c-payload"))
    assert restored is not None
    assert value == 0 or "0128" in str(restored.get_slot("card_last4"))


def test_a_card_split_across_two_messages_is_masked_in_both_rows(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker.from_events("c-split", [
        UserUttered("卡号是6222021234", {"intent": {"name": "inform", "confidence": 1.0}}),
        SlotSet("card_last4", "6222021234"),
        BotUttered("请继续"),
    ])
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve("c-split"))
    assert tracker is not None
    tracker.update(UserUttered("567890128", {"intent": {"name": "inform", "confidence": 1.0},
                                             "entities": [{"entity": "card_last4", "value": "567890128"}]}))
    tracker.update(SlotSet("card_last4", "567890128"))
    asyncio.run(store.save(tracker))
    raw = _stored(db)
    for piece in ("6222021234", "567890128", "62220", "56789"):
        assert piece.encode() not in raw, piece
    restored = asyncio.run(store.retrieve("c-split"))
    assert restored is not None
    texts = [e.text for e in restored.events if isinstance(e, UserUttered)]
    assert texts == ["卡号是**********", "*****0128"]
    assert restored.get_slot("card_last4") == "*****0128"


def test_a_code_sent_alone_after_the_bot_asked_for_one_is_masked(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker.from_events("c-code", [
        UserUttered("我要登录", {"intent": {"name": "login", "confidence": 1.0}}),
        BotUttered("请勿向任何人提供短信验证码。"),
    ])
    asyncio.run(store.save(tracker))
    tracker.update(UserUttered("482913", {"intent": {"name": "inform", "confidence": 1.0}}))
    asyncio.run(store.save(tracker))
    assert b"482913" not in _stored(db)
    restored = asyncio.run(store.retrieve("c-code"))
    assert restored is not None and restored.latest_message is not None
    assert restored.latest_message.text == "******"
    # without the question a bare number is no code
    other = DialogueStateTracker.from_events("c-nocode", [BotUttered("请问金额是多少？"),
                                                          UserUttered("5000", {"intent": {"name": "inform"}})])
    asyncio.run(store.save(other))
    assert b"5000" in _stored(db)
