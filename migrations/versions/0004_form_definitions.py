"""form definitions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:37:56.006656
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('form_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=36), nullable=False),
    sa.Column('resource_name', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_form_definitions_deployment_id_deployments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_definitions')),
    sa.UniqueConstraint('form_id', 'version', name=op.f('uq_form_definitions_form_id'))
    )
    with op.batch_alter_table('form_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_definitions_deployment_id'), ['deployment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_definitions_form_id'), ['form_id'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('form_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_definitions_form_id'))
        batch_op.drop_index(batch_op.f('ix_form_definitions_deployment_id'))

    op.drop_table('form_definitions')
    
