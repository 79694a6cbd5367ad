"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 07:49:11.407568
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('deployments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployments')),
    sa.UniqueConstraint('checksum', name=op.f('uq_deployments_checksum'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('deployment_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_deployment_resources_deployment_id_deployments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployment_resources'))
    )
    with op.batch_alter_table('deployment_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deployment_resources_deployment_id'), ['deployment_id'], unique=False)

    op.create_table('process_definitions',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=150), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('deployment_id', sa.String(length=36), nullable=False),
    sa.Column('resource_name', sa.String(length=255), nullable=False),
    sa.Column('spec_json', sa.Text(), nullable=False),
    sa.Column('activities', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_process_definitions_deployment_id_deployments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definitions')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_process_definitions_key'))
    )
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definitions_deployment_id'), ['deployment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_definitions_key'), ['key'], unique=False)

    op.create_table('user_groups',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_groups_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'group', name=op.f('pk_user_groups'))
    )
    op.create_table('process_instances',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('definition_id', sa.String(length=200), nullable=False),
    sa.Column('definition_key', sa.String(length=150), nullable=False),
    sa.Column('business_key', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('variables', sa.JSON(), nullable=False),
    sa.Column('active_activities', sa.JSON(), nullable=False),
    sa.Column('workflow_state', sa.Text(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('history_seq', sa.Integer(), nullable=False),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('started_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definitions.id'], name=op.f('fk_process_instances_definition_id_process_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instances'))
    )
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instances_business_key'), ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instances_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instances_definition_key'), ['definition_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instances_state'), ['state'], unique=False)

    op.create_table('history_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('activity_id', sa.String(length=150), nullable=True),
    sa.Column('activity_name', sa.String(length=255), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_history_events_instance_id_process_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_events')),
    sa.UniqueConstraint('instance_id', 'seq', name=op.f('uq_history_events_instance_id'))
    )
    op.create_table('user_tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('activity_id', sa.String(length=150), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('assignee', sa.String(length=120), nullable=True),
    sa.Column('due', sa.DateTime(), nullable=True),
    sa.Column('form_key', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_user_tasks_instance_id_process_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_tasks'))
    )
    with op.batch_alter_table('user_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_tasks_assignee'), ['assignee'], unique=False)
        batch_op.create_index('ix_user_tasks_instance_state', ['instance_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_tasks_state'), ['state'], unique=False)

    op.create_table('task_candidates',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['user_tasks.id'], name=op.f('fk_task_candidates_task_id_user_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'kind', 'name', name=op.f('pk_task_candidates'))
    )
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_candidates_name'), ['name'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_candidates_name'))

    op.drop_table('task_candidates')
    with op.batch_alter_table('user_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_tasks_state'))
        batch_op.drop_index('ix_user_tasks_instance_state')
        batch_op.drop_index(batch_op.f('ix_user_tasks_assignee'))

    op.drop_table('user_tasks')
    op.drop_table('history_events')
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instances_state'))
        batch_op.drop_index(batch_op.f('ix_process_instances_definition_key'))
        batch_op.drop_index(batch_op.f('ix_process_instances_definition_id'))
        batch_op.drop_index(batch_op.f('ix_process_instances_business_key'))

    op.drop_table('process_instances')
    op.drop_table('user_groups')
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definitions_key'))
        batch_op.drop_index(batch_op.f('ix_process_definitions_deployment_id'))

    op.drop_table('process_definitions')
    with op.batch_alter_table('deployment_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deployment_resources_deployment_id'))

    op.drop_table('deployment_resources')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('deployments')
    
