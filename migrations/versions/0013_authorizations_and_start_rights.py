"""authorizations and start rights

Revision ID: 0013
Revises: 0012

`authorizations` holds grants modelled on Camunda 7's authorization resource: a resource type
(process_definition or process_instance), a resource id or '*', a user or a group, and permissions
(READ, CREATE_INSTANCE, ALL). `authorization_events` is their audit log: who granted or removed what, when.
Definitions keep their camunda:candidateStarterUsers/Groups in `starters` (empty for existing ones: as today).
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'authorizations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resource_type', sa.String(length=30), nullable=False),
        sa.Column('resource_id', sa.String(length=200), nullable=False),
        sa.Column('user_id', sa.String(length=120), nullable=True),
        sa.Column('group_id', sa.String(length=120), nullable=True),
        sa.Column('permissions', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_authorizations')),
    )
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.create_index('ix_authorizations_user_group', ['user_id', 'group_id'], unique=False)
    op.create_table(
        'authorization_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=True),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('authorization_id', sa.Integer(), nullable=False),
        sa.Column('authorization', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_authorization_events')),
    )
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starters', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_column('starters')
    op.drop_table('authorization_events')
    with op.batch_alter_table('authorizations', schema=None) as batch_op:
        batch_op.drop_index('ix_authorizations_user_group')
    op.drop_table('authorizations')
