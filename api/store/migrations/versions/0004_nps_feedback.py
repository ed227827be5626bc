"""the NPS programme and the feedback loop (issue 15): post-service surveys after bot-only conversations and
themed survey campaigns (专项NPS调查) on the existing survey rows, and feedback items routed to owner teams
(意见建议闭环) with their replies; staff accounts get an owner team

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("team", sa.String(32), nullable=True))
    op.create_table(
        "survey_campaigns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("followups_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("target_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("sample_rate", sa.Float, nullable=False, server_default="1"),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="agent"))
        batch.add_column(sa.Column("campaign_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("customer_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("followup", sa.Text, nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime, nullable=True))
    op.create_index("ix_surveys_campaign_id", "surveys", ["campaign_id"])
    op.create_index("ix_surveys_customer_id", "surveys", ["customer_id"])
    op.create_table(
        "feedback_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.Integer, nullable=True),
        sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("keywords_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("skill_group", sa.String(16), nullable=True),
        sa.Column("branch", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("assignee_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("assigned_at", sa.DateTime, nullable=True),
        sa.Column("first_reply_at", sa.DateTime, nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
    )
    for column in ("status", "team", "category", "conversation_id"):
        op.create_index(f"ix_feedback_items_{column}", "feedback_items", [column])
    op.create_table(
        "feedback_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("feedback_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_feedback_replies_item_id", "feedback_replies", ["item_id"])


def downgrade() -> None:
    op.drop_table("feedback_replies")
    op.drop_table("feedback_items")
    op.drop_index("ix_surveys_customer_id", "surveys")
    op.drop_index("ix_surveys_campaign_id", "surveys")
    with op.batch_alter_table("surveys") as batch:
        for column in ("answered_at", "followup", "customer_id", "campaign_id", "kind"):
            batch.drop_column(column)
    op.drop_table("survey_campaigns")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("team")
