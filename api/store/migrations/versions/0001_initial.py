"""initial schema: users, tokens, conversations, messages, surveys, leave messages, canned responses, handoffs

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("skills_json", sa.Text, nullable=False),
        sa.Column("last_assigned_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("session_no", sa.Integer, nullable=False),
        sa.Column("skill_group", sa.String(16), nullable=True),
        sa.Column("handoff_reason", sa.String(32), nullable=True),
        sa.Column("handoff_json", sa.Text, nullable=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("queued_at", sa.DateTime, nullable=True),
        sa.Column("assigned_at", sa.DateTime, nullable=True),
        sa.Column("leave_offered", sa.Boolean, nullable=False),
        sa.Column("stage", sa.String(16), nullable=True),
        sa.Column("survey_id", sa.Integer, nullable=True),
        sa.Column("fallbacks", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_conversations_customer_id", "conversations", ["customer_id"])
    op.create_index("ix_conversations_state", "conversations", ["state"])
    op.create_index("ix_conversations_agent_id", "conversations", ["agent_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons_json", sa.Text, nullable=False),
        sa.Column("agent_name", sa.String(64), nullable=True),
        sa.Column("meta_json", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("nps", sa.Integer, nullable=True),
        sa.Column("csat", sa.String(8), nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_surveys_conversation_id", "surveys", ["conversation_id"])
    op.create_table(
        "leave_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("callback_number", sa.String(32), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_leave_messages_conversation_id", "leave_messages", ["conversation_id"])
    op.create_index("ix_leave_messages_status", "leave_messages", ["status"])
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("skill_group", sa.String(16), nullable=False),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("skill_group", sa.String(16), nullable=False),
        sa.Column("queued_at", sa.DateTime, nullable=False),
        sa.Column("assigned_at", sa.DateTime, nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("wait_s", sa.Float, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
    )
    op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])


def downgrade() -> None:
    for table in ("handoffs", "canned_responses", "leave_messages", "surveys", "messages", "conversations",
                  "auth_tokens", "users"):
        op.drop_table(table)
