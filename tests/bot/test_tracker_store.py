"""The masking tracker store: what reaches the database has no raw card, ID, code or password."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

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
