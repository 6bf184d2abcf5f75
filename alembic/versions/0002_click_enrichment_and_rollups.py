"""click enrichment and rollups

Revision ID: 0002
Revises: 0001
Clicks gain what enrichment finds (bot reason, visitor id, device, browser, OS, country,
referrer, UTM medium and campaign) and a click id that makes writes idempotent. Rollup tables
(per link and per owner) are filled from the events already stored, so figures carry over.

Create Date: 2026-11-28 16:20:58.710155
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rollup_day_dimensions',
    sa.Column('scope', sa.String(length=1), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('clicks', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('bots', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'scope_id', 'day', 'dimension', 'value')
    )
    op.create_table('rollup_day_visitors',
    sa.Column('scope', sa.String(length=1), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('visitor_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'scope_id', 'day', 'visitor_id')
    )
    op.create_table('rollup_days',
    sa.Column('scope', sa.String(length=1), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('clicks', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('visitors', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('bots', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'scope_id', 'day')
    )
    op.create_table('rollup_quarter_hours',
    sa.Column('scope', sa.String(length=1), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.BigInteger(), nullable=False),
    sa.Column('clicks', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('bots', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'scope_id', 'bucket')
    )
    op.create_table('visitor_salts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    with op.batch_alter_table('link_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('click_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('utm_medium', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('utm_campaign', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('visitor_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('referrer_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('device', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('browser', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('os', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('city', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('bot_reason', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_link_events_clicked', ['clicked_at'], unique=False)
        batch_op.create_index('ux_link_events_click_id', ['click_id'], unique=True)

    _backfill_rollups()



def downgrade() -> None:
    with op.batch_alter_table('link_events', schema=None) as batch_op:
        batch_op.drop_index('ux_link_events_click_id')
        batch_op.drop_index('ix_link_events_clicked')
        batch_op.drop_column('bot_reason')
        batch_op.drop_column('city')
        batch_op.drop_column('country')
        batch_op.drop_column('os')
        batch_op.drop_column('browser')
        batch_op.drop_column('device')
        batch_op.drop_column('referrer_host')
        batch_op.drop_column('visitor_id')
        batch_op.drop_column('utm_campaign')
        batch_op.drop_column('utm_medium')
        batch_op.drop_column('click_id')

    op.drop_table('visitor_salts')
    op.drop_table('rollup_quarter_hours')
    op.drop_table('rollup_days')
    op.drop_table('rollup_day_visitors')
    op.drop_table('rollup_day_dimensions')


def _backfill_rollups() -> None:
    """Rollups of the events stored before this revision. They have no visitor ids or
    enrichment: their visitors are counted by IP and user agent, their breakdowns by source."""
    if op.get_bind().dialect.name == "sqlite":
        bucket = "CAST(strftime('%s', substr(e.clicked_at, 1, 19)) AS INTEGER) / 900"
        day = "date(substr(e.clicked_at, 1, 10))"
    else:
        bucket = "CAST(floor(extract(epoch from e.clicked_at) / 900) AS BIGINT)"
        day = "CAST(e.clicked_at AT TIME ZONE 'UTC' AS DATE)"
    human = "SUM(CASE WHEN e.is_bot THEN 0 ELSE 1 END)"
    bots = "SUM(CASE WHEN e.is_bot THEN 1 ELSE 0 END)"
    visitors = "COUNT(DISTINCT CASE WHEN e.is_bot THEN NULL ELSE COALESCE(e.ip_address, '') || '|' || COALESCE(e.user_agent, '') END)"
    source = "COALESCE(e.source, 'direct')"
    for scope, key in (("l", "e.link_id"), ("o", "k.owner_id")):
        source_rows = f"FROM link_events e JOIN links k ON k.id = e.link_id"
        op.execute(
            f"INSERT INTO rollup_quarter_hours (scope, scope_id, bucket, clicks, bots) "
            f"SELECT '{scope}', {key}, {bucket}, {human}, {bots} {source_rows} GROUP BY {key}, {bucket}"
        )
        op.execute(
            f"INSERT INTO rollup_days (scope, scope_id, day, clicks, visitors, bots) "
            f"SELECT '{scope}', {key}, {day}, {human}, {visitors}, {bots} {source_rows} GROUP BY {key}, {day}"
        )
        op.execute(
            f"INSERT INTO rollup_day_dimensions (scope, scope_id, day, dimension, value, clicks, bots) "
            f"SELECT '{scope}', {key}, {day}, 'source', {source}, {human}, {bots} {source_rows} GROUP BY {key}, {day}, {source}"
        )
        op.execute(
            f"INSERT INTO rollup_day_dimensions (scope, scope_id, day, dimension, value, clicks, bots) "
            f"SELECT '{scope}', {key}, {day}, 'bot_reason', 'bot', 0, COUNT(*) {source_rows} WHERE e.is_bot GROUP BY {key}, {day}"
        )
