"""history hash chain

Revision ID: 0009
Revises: 0008

Every history event gets `prev_hash` and `hash`, every instance its newest hash (`history_head`)
and where its variables came from (`variable_sources`);
events recorded before this upgrade are chained here, in seq order, as they are now (so the chain
vouches for them from the upgrade on). `at` gets an index for exports by time range.
"""
from alembic import op
import sqlalchemy as sa

from engine.history.chain import chain_rows, plain_json


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

EVENTS = sa.table(
    'history_events', sa.column('id', sa.Integer), sa.column('instance_id', sa.String),
    sa.column('seq', sa.Integer), sa.column('at', sa.DateTime), sa.column('type', sa.String),
    sa.column('activity_id', sa.String), sa.column('activity_name', sa.String), sa.column('actor', sa.String),
    sa.column('data', sa.JSON), sa.column('prev_hash', sa.String), sa.column('hash', sa.String))
INSTANCES = sa.table('process_instances', sa.column('id', sa.String), sa.column('history_head', sa.String))


def upgrade():
    with op.batch_alter_table('history_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_history_events_at', ['at'], unique=False)
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('history_head', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('variable_sources', sa.JSON(), nullable=True))
    _chain_existing_events(op.get_bind())


def _chain_existing_events(connection) -> None:
    instance_ids = connection.execute(sa.select(EVENTS.c.instance_id).distinct()).scalars().all()
    for instance_id in instance_ids:
        rows = [dict(row._mapping) for row in connection.execute(
            sa.select(EVENTS).where(EVENTS.c.instance_id == instance_id).order_by(EVENTS.c.seq))]
        for row in rows:
            row['data'] = plain_json(row['data'])
        head = chain_rows(rows, None)
        connection.execute(sa.update(EVENTS).where(EVENTS.c.id == sa.bindparam('event_id')).values(
            prev_hash=sa.bindparam('prev_hash'), hash=sa.bindparam('hash')),
            [{'event_id': r['id'], 'prev_hash': r['prev_hash'], 'hash': r['hash']} for r in rows])
        connection.execute(sa.update(INSTANCES).where(INSTANCES.c.id == instance_id).values(history_head=head))


def downgrade():
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_column('variable_sources')
        batch_op.drop_column('history_head')
    with op.batch_alter_table('history_events', schema=None) as batch_op:
        batch_op.drop_index('ix_history_events_at')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
