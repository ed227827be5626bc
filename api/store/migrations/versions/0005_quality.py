"""quality review (质检) and maker-checker (issue 16): the review queue with its checklist snapshot, automatic
results, scores and appeal; reviewers' comments on messages; trainers' changes pending a second person's approval

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("target", sa.String(8), nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("reasons_json", sa.Text, nullable=False),
        sa.Column("checklist_version", sa.String(16), nullable=False),
        sa.Column("items_json", sa.Text, nullable=False),
        sa.Column("auto_json", sa.Text, nullable=False),
        sa.Column("scores_json", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("needs_coaching", sa.Boolean, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("total", sa.Float, nullable=True),
        sa.Column("submitted_total", sa.Float, nullable=True),
        sa.Column("appeal_text", sa.Text, nullable=True),
        sa.Column("appealed_at", sa.DateTime, nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("decision_comment", sa.Text, nullable=True),
        sa.Column("decided_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_quality_reviews_agent_id", "quality_reviews", ["agent_id"])
    op.create_index("ix_quality_reviews_status", "quality_reviews", ["status"])
    op.create_index("ix_quality_reviews_created_at", "quality_reviews", ["created_at"])
    op.create_table(
        "review_comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("review_id", sa.Integer, sa.ForeignKey("quality_reviews.id", ondelete="CASCADE"), nullable=False),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("wrong_answer", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_review_comments_review_id", "review_comments", ["review_id"])
    op.create_index("ix_review_comments_message_id", "review_comments", ["message_id"])
    op.create_table(
        "pending_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("maker_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("checker_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_pending_changes_status", "pending_changes", ["status"])


def downgrade() -> None:
    op.drop_table("pending_changes")
    op.drop_table("review_comments")
    op.drop_table("quality_reviews")
