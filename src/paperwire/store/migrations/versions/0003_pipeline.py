"""The daily pipeline: step runs, kept state, and the one-worker lease.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("started"),
        _ts("finished", True),
        sa.Column("seconds", sa.Float),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_pipeline_runs_step_day", "pipeline_runs", ["step", "day"])
    op.create_table(
        "pipeline_state",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        _ts("updated"),
    )
    op.create_table(
        "pipeline_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(255), nullable=False),
        _ts("expires"),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pipeline_leases")
    op.drop_table("pipeline_state")
    op.drop_index("ix_pipeline_runs_step_day", table_name="pipeline_runs")
    op.drop_table("pipeline_runs")
