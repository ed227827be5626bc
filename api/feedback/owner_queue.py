"""The owners' side of the feedback loop: an owner (role ``owner``, tied to a team) sees only their team's items,
takes or hands them on, replies and closes; a supervisor sees every team and may act for any owner or route an
item to another team. A reply can reach the customer as a message in their conversation or as a 留言 callback
note (a callback task for the agents, with the number the customer left), or stay internal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.compliance.audit import audit
from api.conversation.context import Context
from api.conversation.events import Outbox, publish
from api.conversation.transcript import Transcript, message_out
from api.errors import Conflict, NotFound, Refused, ServiceError
from api.feedback.config import FeedbackConfig, load_config
from api.feedback.intake import SOURCE_NAMES
from api.feedback.lifecycle import STATUS_NAMES, TransitionRefused, is_overdue, next_status
from api.feedback.stats import FeedbackRow, FeedbackStats, feedback_stats
from api.schemas.events import LeaveMessageLeft, NewMessage
from api.schemas.feedback import FeedbackItemOut, FeedbackReplyOut
from api.store.models import Conversation, FeedbackItem, FeedbackReply, LeaveMessage, User, iso
from common.pii import mask_pii

OWNER_ROLES = ("owner", "supervisor")


class Forbidden(ServiceError):
    status = 403


def reply_message(team: str, text: str) -> str:
    return f"【{team}答复您的意见】{text}"


def team_of(user: User) -> str | None:
    """The team whose queue the caller sees: an owner's own; None for a supervisor (every team)."""
    if user.role == "supervisor":
        return None
    if user.role != "owner":
        raise Forbidden("无权限：需要意见处理人或班长身份")
    if not user.team:
        raise Forbidden("您的账号尚未设置所属团队，请联系班长")
    return user.team


class OwnerQueue:
    def __init__(self, ctx: Context, transcript: Transcript) -> None:
        self.ctx = ctx
        self.transcript = transcript

    def config(self) -> FeedbackConfig:
        return load_config(self.ctx.settings.feedback_file)

    # ------------------------------------------------------------------ reading
    def _out(self, db: Session, item: FeedbackItem, with_replies: bool = True) -> FeedbackItemOut:
        assignee = db.get(User, item.assignee_id) if item.assignee_id else None
        replies = []
        if with_replies:
            for r in db.scalars(select(FeedbackReply).where(FeedbackReply.item_id == item.id)
                                .order_by(FeedbackReply.id)):
                author = db.get(User, r.author_id) if r.author_id else None
                replies.append(FeedbackReplyOut(id=r.id, author=author.display_name if author else None, text=r.text,
                                                channel=r.channel, created_at=iso(r.created_at) or ""))  # type: ignore[arg-type]
        return FeedbackItemOut(
            id=item.id, source=item.source, source_name=SOURCE_NAMES.get(item.source, item.source),
            conversation_id=item.conversation_id, text=item.text, score=item.score, category=item.category,
            keywords=item.keywords, team=item.team, skill_group=item.skill_group, branch=item.branch,
            status=item.status, status_name=STATUS_NAMES.get(item.status, item.status),  # type: ignore[arg-type]
            assignee=assignee.display_name if assignee else None, due_at=iso(item.due_at) or "",
            overdue=is_overdue(item.status, item.due_at, self.ctx.now()), created_at=iso(item.created_at) or "",
            assigned_at=iso(item.assigned_at), first_reply_at=iso(item.first_reply_at), closed_at=iso(item.closed_at),
            replies=replies)

    def items(self, user: User, status: str | None = None, category: str | None = None, team: str | None = None,
              overdue: bool | None = None, limit: int = 200) -> tuple[str | None, list[FeedbackItemOut]]:
        """The caller's queue, overdue first, then by due time; closed items last."""
        own = team_of(user)
        with self.ctx.sessions() as db:
            query = select(FeedbackItem)
            if own is not None or team:
                query = query.where(FeedbackItem.team == (own or team))
            if status:
                query = query.where(FeedbackItem.status == status)
            if category:
                query = query.where(FeedbackItem.category == category)
            rows = list(db.scalars(query.order_by(FeedbackItem.due_at).limit(limit * 5)))
            now = self.ctx.now()
            if overdue is not None:
                rows = [r for r in rows if is_overdue(r.status, r.due_at, now) == overdue]
            rows.sort(key=lambda r: (r.status == "closed", not is_overdue(r.status, r.due_at, now), r.due_at))
            return own, [self._out(db, r, with_replies=False) for r in rows[:limit]]

    def _item(self, db: Session, user: User, item_id: int) -> FeedbackItem:
        own = team_of(user)
        item = db.get(FeedbackItem, item_id)
        if item is None or (own is not None and item.team != own):
            raise NotFound("意见不存在或不属于您的团队")  # another team's item: as if it did not exist
        return item

    def item(self, user: User, item_id: int) -> FeedbackItemOut:
        with self.ctx.sessions() as db:
            return self._out(db, self._item(db, user, item_id))

    # ------------------------------------------------------------------ acting
    def _move(self, item: FeedbackItem, action: str) -> None:
        try:
            item.status = next_status(item.status, action)
        except TransitionRefused as exc:
            raise Conflict(str(exc)) from exc

    def assign(self, user: User, item_id: int, assignee: str | None, team: str | None) -> FeedbackItemOut:
        with self.ctx.sessions() as db, db.begin():
            item = self._item(db, user, item_id)
            if team is not None and team != item.team:
                if user.role != "supervisor":
                    raise Forbidden("只有班长可以把意见转给其他团队")
                if team not in self.config().teams:
                    raise Refused(f"没有名为 {team} 的团队")
                if item.status == "closed":
                    raise Conflict("该意见已关闭，不能转派")
                item.team, item.status, item.assignee_id, item.assigned_at = team, "open", None, None
                audit(db, user.username, "feedback_route", str(item.id), team=team)
                return self._out(db, item)
            target = user
            if assignee:
                found = db.scalars(select(User).where(User.username == assignee)).first()
                if found is None or found.role != "owner" or found.team != item.team:
                    raise Refused(f"{assignee} 不是{item.team}的意见处理人")
                target = found
            elif user.role != "owner":
                raise Refused("请指定该团队的意见处理人")
            self._move(item, "assign")
            item.assignee_id, item.assigned_at = target.id, self.ctx.now()
            audit(db, user.username, "feedback_assign", str(item.id), assignee=target.username)
            return self._out(db, item)

    async def reply(self, user: User, item_id: int, text: str, via: str) -> FeedbackItemOut:
        """Store the reply (masked) and send it the chosen way; the item is replied."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                item = self._item(db, user, item_id)
                self._move(item, "reply")
                now = self.ctx.now()
                masked = mask_pii(text.strip())[:1000]
                if via != "none":
                    self._deliver(db, item, masked, via, out)
                if item.assignee_id is None:
                    item.assignee_id, item.assigned_at = user.id, now
                item.first_reply_at = item.first_reply_at or now
                db.add(FeedbackReply(item_id=item.id, author_id=user.id, text=masked, channel=via, created_at=now))
                audit(db, user.username, "feedback_reply", str(item.id), via=via)
                db.flush()
                result = self._out(db, item)
            await publish(self.ctx.hub, out)
        return result

    def _deliver(self, db: Session, item: FeedbackItem, text: str, via: str, out: Outbox) -> None:
        conv = db.get(Conversation, item.conversation_id) if item.conversation_id else None
        if conv is None:
            raise Refused("该意见没有关联会话，无法发送给客户；请选择仅内部记录")
        if via == "message":
            message = self.transcript.add(db, conv, "system", reply_message(item.team, text))
            out.to_customer(conv.id, NewMessage(message=message_out(message)))
            return
        source = db.get(LeaveMessage, item.source_id) if item.source == "leave_message" and item.source_id else None
        source = source or db.scalars(select(LeaveMessage).where(
            LeaveMessage.conversation_id == conv.id, LeaveMessage.callback_number_enc.is_not(None))
            .order_by(LeaveMessage.id.desc())).first()
        if source is None or not source.callback_number_enc:
            raise Refused("该客户没有留下回电号码，无法生成回电任务；请选择在会话中回复")
        db.add(LeaveMessage(conversation_id=conv.id, customer_id=conv.customer_id,
                            callback_number=source.callback_number, callback_number_enc=source.callback_number_enc,
                            preferred_time=source.preferred_time, text=f"【意见答复，请回电告知客户】{text}",
                            status="open", attempts=0, created_at=self.ctx.now()))
        out.to_all_agents(LeaveMessageLeft())

    def close(self, user: User, item_id: int) -> FeedbackItemOut:
        with self.ctx.sessions() as db, db.begin():
            item = self._item(db, user, item_id)
            self._move(item, "close")
            item.closed_at = self.ctx.now()
            audit(db, user.username, "feedback_close", str(item.id))
            return self._out(db, item)

    # ------------------------------------------------------------------ figures
    def stats(self, user: User, since: dt.datetime, until: dt.datetime, team: str | None = None) -> tuple[
            str | None, FeedbackStats]:
        """The period's items (created in [since, until)) of the caller's team (a supervisor: all or ``team``)."""
        own = team_of(user)
        scope = own or team
        with self.ctx.sessions() as db:
            query = select(FeedbackItem).where(FeedbackItem.created_at >= since, FeedbackItem.created_at < until)
            if scope:
                query = query.where(FeedbackItem.team == scope)
            rows = [FeedbackRow(r.id, r.category, r.team, r.status, r.created_at, r.due_at, r.first_reply_at,
                                r.closed_at, tuple(r.keywords)) for r in db.scalars(query)]
        return scope, feedback_stats(rows, self.ctx.now(), self.config().category_names)

    def set_team(self, actor: User, username: str, team: str) -> User:
        if team not in self.config().teams:
            raise Refused(f"没有名为 {team} 的团队")
        with self.ctx.sessions() as db, db.begin():
            user = db.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise NotFound(f"没有用户名为 {username} 的账号")
            if user.role not in OWNER_ROLES:
                raise Refused("只能为意见处理人或班长设置团队")
            user.team = team
            audit(db, actor.username, "set_team", username, team=team)
            db.flush()
            db.expunge(user)
            return user
