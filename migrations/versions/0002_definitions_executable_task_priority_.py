"""definitions executable, task priority and follow-up

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 08:07:16.781846
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('executable', sa.Boolean(), server_default=sa.true(), nullable=False))

    with op.batch_alter_table('user_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=True))

    


def downgrade():
    
    with op.batch_alter_table('user_tasks', schema=None) as batch_op:
        batch_op.drop_column('priority')
        batch_op.drop_column('follow_up')

    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_column('executable')

    
