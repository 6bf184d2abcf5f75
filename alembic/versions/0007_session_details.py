"""what the sessions list shows of each session

Revision ID: 0007
Revises: 0006
Each refresh token keeps the device class and browser it was issued to and its address's
anonymized prefix (IPv4 /24, IPv6 /48); a session is a token family, shown by its newest token.
Tokens issued before this revision show none of them.

Create Date: 2026-12-02 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('browser', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('ip_prefix', sa.String(length=45), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_column('ip_prefix')
        batch_op.drop_column('browser')
        batch_op.drop_column('device')
