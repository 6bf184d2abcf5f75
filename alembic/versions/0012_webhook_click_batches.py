"""webhook click batches

Revision ID: 0012
Revises: 0011
`link.clicked` events wait in `webhook_click_batches`, a row per hook and few hundred clicks,
until the dispatcher moves them into the outbox (`webhook_deliveries`) as it comes to them: the
click writer no longer writes an outbox row (with its three indexes) per click. On PostgreSQL the
lines are stored uncompressed: they are written once and read once, and compressing them cost
the database more than the space saved.

Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_click_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hook_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('lines', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('webhook_click_batches', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_click_batches_hook', ['hook_id', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE webhook_click_batches ALTER COLUMN lines SET STORAGE EXTERNAL')


def downgrade() -> None:
    # Events still waiting go to the outbox the previous version reads, one row each.
    bind = op.get_bind()
    rows = bind.execute(sa.text('SELECT hook_id, created_at, lines FROM webhook_click_batches ORDER BY id')).all()
    insert = sa.text(
        'INSERT INTO webhook_deliveries (hook_id, event_id, event_type, payload, created_at, next_attempt_at, status, attempts)'
        " VALUES (:hook_id, :event_id, 'link.clicked', :payload, :created_at, :created_at, 'pending', 0)"
        ' ON CONFLICT (hook_id, event_id) DO NOTHING'
    )
    for hook_id, created_at, lines in rows:
        owed = []
        for line in lines.split('\n'):
            event_id, _, payload = line.partition('\t')
            owed.append({'hook_id': hook_id, 'event_id': event_id, 'payload': payload, 'created_at': created_at})
        bind.execute(insert, owed)
    with op.batch_alter_table('webhook_click_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_click_batches_hook')
    op.drop_table('webhook_click_batches')
