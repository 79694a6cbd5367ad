"""compressed workflow state

Revision ID: 0020
Revises: 0019

`process_instances.workflow_state` is written deflated (engine/store/compressed_text.py), so it becomes binary.
On PostgreSQL the column becomes BYTEA holding the old JSON as UTF-8, which is read as it is until the instance is
saved again. SQLite stores bytes in the TEXT column as they come, so its table is left as it is: rebuilding the
largest table of an existing database to change a declared type would gain nothing.
"""
import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # A database downgraded past this revision kept the binary column (see downgrade): nothing to convert.
    kind = bind.execute(sa.text(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'process_instances' AND column_name = 'workflow_state'")).scalar()
    if kind != "bytea":
        op.execute("ALTER TABLE process_instances ALTER COLUMN workflow_state TYPE BYTEA "
                   "USING convert_to(workflow_state, 'UTF8')")


def downgrade():
    # Deflated states cannot go back to text in SQL; a downgrade keeps PostgreSQL's column binary.
    pass
