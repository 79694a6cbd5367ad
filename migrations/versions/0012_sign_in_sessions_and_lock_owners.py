"""passwords, TOTP, server-side web sessions, external-task lock owners

Revision ID: 0012
Revises: 0011

Users may have an Argon2 password and a TOTP secret for the pages; a signed-in page session is a row
(signing out deletes it, so a copied cookie stops working) that records when and how the person signed
in; an external task's lock remembers the user who took it, not only the worker_id string it sent.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.create_table(
        'web_sessions',
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('auth_time', sa.DateTime(), nullable=False),
        sa.Column('amr', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_sessions')),
    )
    op.create_index(op.f('ix_web_sessions_user_id'), 'web_sessions', ['user_id'], unique=False)
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('worker_user', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.drop_column('worker_user')
    op.drop_index(op.f('ix_web_sessions_user_id'), table_name='web_sessions')
    op.drop_table('web_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('password_hash')
