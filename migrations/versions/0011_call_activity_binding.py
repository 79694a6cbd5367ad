"""call activity binding

Revision ID: 0011
Revises: 0010

Definitions keep their version tag (camunda:versionTag) for calledElementBinding="versionTag"; instances
keep which definition each of their call activities' bindings resolved to.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_tag', sa.String(length=255), nullable=True))
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('called_definitions', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_column('called_definitions')
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_column('version_tag')
