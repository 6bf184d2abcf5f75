"""first and last quarter hour of each day's visitor

Revision ID: 0005
Revises: 0004
With them, the unique visitors of a partial UTC day at the edge of a range in a shifted time
zone come from the rollups instead of raw clicks. Rows are filled from the stored clicks; a row
whose clicks were purged keeps NULL, and the reader counts that day from raw clicks as before.
The SQL is written out here, not imported: a migration must not change when the app does.

Create Date: 2026-11-28 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _seen(scope: str, key: str, day: str, bucket: str) -> str:
    return (
        f"SELECT '{scope}' AS scope, {key} AS scope_id, {day} AS day, e.visitor_id AS visitor_id, "
        f"min({bucket}) AS first_bucket, max({bucket}) AS last_bucket "
        "FROM link_events e JOIN links k ON k.id = e.link_id "
        f"WHERE NOT e.is_bot AND e.visitor_id <> '' GROUP BY {key}, {day}, e.visitor_id"
    )


def upgrade() -> None:
    with op.batch_alter_table('rollup_day_visitors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_bucket', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('last_bucket', sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        day, bucket = "(e.clicked_at AT TIME ZONE 'UTC')::date", "floor(extract(epoch FROM e.clicked_at) / 900)::bigint"
    else:
        day, bucket = "date(e.clicked_at)", "CAST(strftime('%s', e.clicked_at) AS INTEGER) / 900"
    seen = " UNION ALL ".join(_seen(scope, key, day, bucket) for scope, key in (("l", "e.link_id"), ("o", "k.owner_id")))
    op.execute(
        f"UPDATE rollup_day_visitors SET first_bucket = s.first_bucket, last_bucket = s.last_bucket FROM ({seen}) AS s "
        "WHERE rollup_day_visitors.scope = s.scope AND rollup_day_visitors.scope_id = s.scope_id "
        "AND rollup_day_visitors.day = s.day AND rollup_day_visitors.visitor_id = s.visitor_id"
    )


def downgrade() -> None:
    with op.batch_alter_table('rollup_day_visitors', schema=None) as batch_op:
        batch_op.drop_column('last_bucket')
        batch_op.drop_column('first_bucket')
