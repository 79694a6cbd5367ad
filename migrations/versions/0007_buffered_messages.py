"""buffered messages

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 09:07:47.055847
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('buffered_messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('business_key', sa.String(length=255), nullable=True),
    sa.Column('correlation_keys', sa.JSON(), nullable=False),
    sa.Column('variables', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buffered_messages'))
    )
    with op.batch_alter_table('buffered_messages', schema=None) as batch_op:
        batch_op.create_index('ix_buffered_messages_name_expires', ['name', 'expires_at'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('buffered_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_buffered_messages_name_expires')

    op.drop_table('buffered_messages')
    
