"""Shared steps of the feedback API tests: owner accounts, a served chat closed with a 服务小结, a campaign."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from api.staff.accounts import create_user
from tests.api.conftest import Customer, Staff

PASSWORD = "owner-pass"


def add_owner(client: TestClient, username: str, team: str | None) -> Staff:
    with client.app.state.sessions() as db, db.begin():  # type: ignore[attr-defined]
        create_user(db, username, PASSWORD, "owner", f"处理人{username}", [], team=team)
    return Staff(client, username, PASSWORD)


def served_and_closed(client: TestClient, agent: Staff, customer: Customer, disposition: str = "resolved",
                      note: str = "已解答") -> None:
    customer.say("转人工")
    r = client.post(f"/api/v1/agent/conversations/{customer.id}/close", headers=agent.auth,
                    json={"disposition": disposition, "note": note})
    assert r.status_code == 200, r.text


def create_campaign(boss: Staff, **overrides: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.timezone.utc)
    body: dict[str, Any] = {
        "topic": "手机银行", "question": "您向亲友推荐我行手机银行App的可能性有多大？",
        "followups": {"detractor": "请问哪里让您不满意？我们会转给负责部门改进。"},
        "target": {"channels": ["web"]}, "sample_rate": 1.0,
        "starts_at": (now - dt.timedelta(hours=1)).isoformat(), "ends_at": (now + dt.timedelta(days=7)).isoformat(),
    }
    body.update(overrides)
    return dict(boss.post("/api/v1/campaigns", body, status=201))


def last_text(customer: Customer) -> str:
    return str(customer.history()["messages"][-1]["text"])
