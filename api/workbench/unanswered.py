"""The review of unanswered questions (fallbacks, low-confidence suggestions, 没帮助 feedback): grouped for the
trainer, and resolved by teaching the bot (an NLU example, a KB similar question or entry) or dismissed."""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy.orm import sessionmaker

from api.compliance.audit import record
from api.errors import NotFound, Refused
from api.schemas.trainer import Resolved, ResolveIn, UnansweredGroup
from api.workbench.kb_edits import KbEdits, entry_from_request
from api.workbench.nlu_edits import NluEdits
from api.workbench.unanswered_groups import Question, group_questions

OPEN_LIMIT = 5000


class UnansweredReview:
    def __init__(self, store: Callable[[], Any], nlu: NluEdits, kb: KbEdits, sessions: sessionmaker) -> None:
        self._store = store  # kb_index.unanswered.UnansweredStore, opened on first use
        self.nlu, self.kb, self.sessions = nlu, kb, sessions

    def groups(self) -> list[UnansweredGroup]:
        rows = self._store().recent("open", limit=OPEN_LIMIT)
        groups = group_questions([Question(r.id, r.text, r.kind, r.created_at) for r in rows])
        return [UnansweredGroup(group=i + 1, text=g.text, count=g.count, last_seen=g.last_seen, kinds=g.kinds,
                                ids=g.ids, samples=g.samples) for i, g in enumerate(groups)]

    def forget(self, conversation: str) -> int:
        """Erase what was recorded under ``conversation`` (the test console's throwaway conversations)."""
        return int(self._store().delete_conversations([conversation]))

    def resolve(self, actor: str, body: ResolveIn) -> Resolved:
        """Apply the action to the group's first question (or ``body.text``), then mark the questions
        resolved (or dismissed)."""
        store = self._store()
        rows = {r.id: r for r in store.recent("open", limit=OPEN_LIMIT)}
        missing = [i for i in body.ids if i not in rows]
        if missing:
            raise NotFound(f"未找到待处理的问题（编号 {'、'.join(map(str, missing[:10]))}），可能已被处理")
        text = body.text or rows[min(body.ids)].text  # the group's first question
        if body.action == "add_example":
            if not body.intent:
                raise Refused("添加为例句需要选择意图")
            self.nlu.add_example(actor, body.intent, text, source="unanswered")
        elif body.action == "add_similar":
            if not body.entry_id:
                raise Refused("添加为相似问需要选择知识条目")
            self.kb.add_similar(actor, body.entry_id, text)
        elif body.action == "create_entry":
            if body.entry is None:
                raise Refused("新建条目需要填写条目内容")
            self.kb.save(actor, entry_from_request(body.entry), body.entry.area, True, "kb_create")
        store.set_status(body.ids, "dismissed" if body.action == "dismiss" else "resolved")
        record(self.sessions, actor, f"unanswered_{body.action}", None, diff="", ids=body.ids[:50])
        return Resolved(resolved=len(body.ids))
