"""quarter-hour counts index

Revision ID: 0003
Revises: 0002
Dashboards read one scope's quarter hours over a range. With the counts in the index
(PostgreSQL INCLUDE), that read is an index-only scan instead of one heap page per few rows.

Create Date: 2026-11-28 18:40:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rollup_quarter_hours', schema=None) as batch_op:
        batch_op.create_index(
            'ix_rollup_quarter_hours_counts', ['scope', 'scope_id', 'bucket'], unique=False, postgresql_include=['clicks', 'bots']
        )


def downgrade() -> None:
    with op.batch_alter_table('rollup_quarter_hours', schema=None) as batch_op:
        batch_op.drop_index('ix_rollup_quarter_hours_counts')
