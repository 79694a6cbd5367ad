"""deployment source and declared variable types

Revision ID: 0018
Revises: 0013

`deployments.source` keeps where a deployment came from as its client named it (Camunda 7's
deployment-source, e.g. "Camunda Modeler"). `process_instances.variable_types` keeps, per variable, the
type a client declared when it wrote the value (Camunda 7's {type, valueInfo}: Long or Integer, Date,
Json...), which the JSON value alone does not carry; see engine/instances/variable_types.py.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=255), nullable=True))
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('variable_types', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_column('variable_types')
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_column('source')
