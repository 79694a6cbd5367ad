"""external task error details

Revision ID: 0019
Revises: 0018

`external_tasks.error_details` keeps what a worker reported beside its error message when it failed (Camunda 7's
errorDetails, e.g. a stack trace), which the next worker to fetch the task is shown.
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_details', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.drop_column('error_details')
