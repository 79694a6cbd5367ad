"""event subscriptions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:02:26.772002
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('event_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('activity_id', sa.String(length=150), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('correlation_value', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_event_subscriptions_instance_id_process_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_subscriptions'))
    )
    with op.batch_alter_table('event_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_subscriptions_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_event_subscriptions_kind_name', ['kind', 'name'], unique=False)

    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('events', sa.JSON(), nullable=True))

    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waits_for_events', sa.Boolean(), server_default=sa.false(), nullable=False))

    


def downgrade():
    
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_column('waits_for_events')

    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_column('events')

    with op.batch_alter_table('event_subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_event_subscriptions_kind_name')
        batch_op.drop_index(batch_op.f('ix_event_subscriptions_instance_id'))

    op.drop_table('event_subscriptions')
    
