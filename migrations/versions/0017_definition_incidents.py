"""incidents of a definition (a timer start job that kept failing has no instance)

Revision ID: 0017
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # A failing timer start job ends in an incident too: it names its definition, not an instance.
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column('definition_id', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(op.f('fk_incidents_definition_id_process_definitions'), 'process_definitions',
                                    ['definition_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_incidents_definition_id'), ['definition_id'], unique=False)


def downgrade():
    op.execute("DELETE FROM incidents WHERE instance_id IS NULL")
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_definition_id'))
        batch_op.drop_constraint(op.f('fk_incidents_definition_id_process_definitions'), type_='foreignkey')
        batch_op.drop_column('definition_id')
        batch_op.alter_column('instance_id', existing_type=sa.String(length=36), nullable=False)
