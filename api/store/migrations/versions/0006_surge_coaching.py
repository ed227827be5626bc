"""the surge response's raised capacities (restored when level 2 ends) and one-to-one coaching records (issue 16)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surge_capacity",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("base", sa.Integer, nullable=False),
        sa.Column("raised", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "coaching_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("follow_up_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("closed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_coaching_records_agent_id", "coaching_records", ["agent_id"])
    op.create_index("ix_coaching_records_status", "coaching_records", ["status"])


def downgrade() -> None:
    op.drop_index("ix_coaching_records_status", "coaching_records")
    op.drop_index("ix_coaching_records_agent_id", "coaching_records")
    op.drop_table("coaching_records")
    op.drop_table("surge_capacity")
