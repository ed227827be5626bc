"""the joints between customer, bot and agent (issue 12): customer presence and leaving, transfers that are not
routed back, smoothed wait estimates, inert stale buttons, encrypted callback numbers with outcomes, agents'
customer-facing names, and the agent's wrap-up (服务小结)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("public_name", sa.String(32), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("customer_seen_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("customer_left_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("transferred_from", sa.Integer, nullable=True))
        batch.add_column(sa.Column("wait_told_s", sa.Integer, nullable=True))
        batch.add_column(sa.Column("wait_told_position", sa.Integer, nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("buttons_expired", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("leave_messages") as batch:
        batch.add_column(sa.Column("callback_number_enc", sa.Text, nullable=True))
        batch.add_column(sa.Column("preferred_time", sa.String(32), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(16), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("outcome_at", sa.DateTime, nullable=True))
    op.create_table(
        "wrapups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("handoff_id", sa.Integer, nullable=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("disposition", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("customer_left", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_wrapups_conversation_id", "wrapups", ["conversation_id"])
    op.create_index("ix_wrapups_disposition", "wrapups", ["disposition"])


def downgrade() -> None:
    op.drop_table("wrapups")
    with op.batch_alter_table("leave_messages") as batch:
        for column in ("outcome_at", "attempts", "outcome", "preferred_time", "callback_number_enc"):
            batch.drop_column(column)
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("buttons_expired")
    with op.batch_alter_table("conversations") as batch:
        for column in ("wait_told_position", "wait_told_s", "transferred_from", "customer_left_at",
                       "customer_seen_at"):
            batch.drop_column(column)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("public_name")
