"""link fallback URL

Revision ID: 0009
Revises: 0008
An expired or used-up link may send its visitors to a fallback URL instead of answering 410.
A link's status (active, expired, limit_reached, disabled) is worked out, not stored.

Create Date: 2026-12-02 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fallback_url', sa.String(length=2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.drop_column('fallback_url')
