"""token expiry and revocation

Revision ID: 0010
Revises: 0009

An API token may end: at `expires_at`, or when revoked (`revoked_at`). `note` says what a token is for
(`make run` replaces its own demo token by that note instead of adding one more on every start).
Existing tokens stay valid: all three columns start empty.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('expires_at')
