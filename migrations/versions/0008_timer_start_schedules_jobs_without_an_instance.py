"""timer start schedules (jobs without an instance)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Timer start events are jobs of a definition, not of an instance: instance_id becomes optional.
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column('definition_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('schedule', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_jobs_definition_id_process_definitions'), 'process_definitions',
                                    ['definition_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_jobs_definition_id'), ['definition_id'], unique=False)


def downgrade():
    op.execute("DELETE FROM jobs WHERE instance_id IS NULL")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_definition_id'))
        batch_op.drop_constraint(op.f('fk_jobs_definition_id_process_definitions'), type_='foreignkey')
        batch_op.drop_column('schedule')
        batch_op.drop_column('definition_id')
        batch_op.alter_column('instance_id', existing_type=sa.String(length=36), nullable=False)
