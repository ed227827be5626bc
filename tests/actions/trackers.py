"""Build rasa-sdk trackers the way the Rasa server sends them to the action server."""

from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Tracker

INSTITUTION = {
    "org_name": "示例银行",
    "hotline": "客服热线95000",
    "app_name": "示例银行App",
    "branch_hours": "工作日9:00-17:00",
    "service_hours": "7×24小时",
}


def tracker_for(
    intent: str = "inform",
    text: str = "",
    slots: Dict[str, Any] | None = None,
    candidates: Dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker whose latest user message is ``text``/``intent`` and whose last events set ``candidates``
    (the slot values a form extracted and now asks the action server to validate)."""
    events: list[Dict[str, Any]] = [{"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in (candidates or {}).items()]
    all_slots = {**INSTITUTION, **(slots or {}), **(candidates or {})}
    return Tracker(
        sender_id="test",
        slots=all_slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )
