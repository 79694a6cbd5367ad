"""single sign-on with OpenID Connect

Revision ID: 0014
Revises: 0013

A user signed in through an OpenID Connect provider remembers which identity it is (`oidc_subject`, the
issuer and the `sub` claim), so a user name claim cannot later hand the account to someone else. A page
session keeps the sign-in's `acr` and its ID token (the hint the provider's sign-out endpoint asks for).
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=512), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_oidc_subject'), ['oidc_subject'])
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acr', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('id_token', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_column('id_token')
        batch_op.drop_column('acr')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_oidc_subject'), type_='unique')
        batch_op.drop_column('oidc_subject')
