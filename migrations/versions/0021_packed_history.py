"""packed history

Revision ID: 0021
Revises: 0020

History moves from a row per event (`history_events`) to a row per command (`history_batches`, events packed
as deflated JSON: engine/history/packing.py), about a third of the bytes on disk. Existing events are packed
here in seq order, up to BATCH_EVENTS a row, with the hashes they have, so their chains verify as before.
The downgrade unpacks them back into a row each.
"""
from itertools import groupby

from alembic import op
import sqlalchemy as sa

from engine.history.packing import stored_batches, unpack


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
EVENT_COLUMNS = ('instance_id', 'seq', 'at', 'type', 'activity_id', 'activity_name', 'actor', 'data',
                 'prev_hash', 'hash')
TYPES = {'at': sa.DateTime, 'data': sa.JSON, 'first_at': sa.DateTime, 'last_at': sa.DateTime,
         'events': sa.LargeBinary}
EVENTS = sa.table('history_events', *(sa.column(name, TYPES.get(name)) for name in EVENT_COLUMNS))
BATCHES = sa.table('history_batches', *(sa.column(name, TYPES.get(name)) for name in (
    'instance_id', 'first_seq', 'last_seq', 'first_at', 'last_at', 'prev_hash', 'events')))
# Rows read at a time while moving history: memory stays flat whatever the table holds.
READ_AT_ONCE = 5000


def upgrade():
    op.create_table(
        'history_batches',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('first_seq', sa.Integer(), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.Column('first_at', sa.DateTime(), nullable=False),
        sa.Column('last_at', sa.DateTime(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=True),
        sa.Column('events', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'],
                                name=op.f('fk_history_batches_instance_id_process_instances'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_history_batches')),
        sa.UniqueConstraint('instance_id', 'first_seq', name=op.f('uq_history_batches_instance_id')))
    op.create_index('ix_history_batches_last_at', 'history_batches', ['last_at'], unique=False)
    _pack_events(op.get_bind())
    op.drop_index('ix_history_events_at', table_name='history_events')
    op.drop_table('history_events')


def _pack_events(connection) -> None:
    rows = connection.execute(sa.select(EVENTS).order_by(EVENTS.c.instance_id, EVENTS.c.seq)
                              .execution_options(yield_per=READ_AT_ONCE)).mappings()
    for instance_id, events in groupby(rows, key=lambda row: row['instance_id']):
        events = list(map(dict, events))
        connection.execute(sa.insert(BATCHES), stored_batches(instance_id, events, events[0]['prev_hash']))


def downgrade():
    op.create_table(
        'history_events',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('activity_id', sa.String(length=150), nullable=True),
        sa.Column('activity_name', sa.String(length=255), nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=True),
        sa.Column('data', sa.JSON(), nullable=True),
        sa.Column('prev_hash', sa.String(length=64), nullable=True),
        sa.Column('hash', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'],
                                name=op.f('fk_history_events_instance_id_process_instances'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_history_events')),
        sa.UniqueConstraint('instance_id', 'seq', name=op.f('uq_history_events_instance_id')))
    op.create_index('ix_history_events_at', 'history_events', ['at'], unique=False)
    connection = op.get_bind()
    stored = connection.execute(sa.select(BATCHES).order_by(BATCHES.c.instance_id, BATCHES.c.first_seq)
                                .execution_options(yield_per=100))
    for batch in stored:
        events = unpack(batch.instance_id, batch.first_at, batch.prev_hash, batch.events)
        connection.execute(sa.insert(EVENTS), [{name: getattr(event, name) for name in EVENT_COLUMNS}
                                               for event in events])
    op.drop_index('ix_history_batches_last_at', table_name='history_batches')
    op.drop_table('history_batches')
