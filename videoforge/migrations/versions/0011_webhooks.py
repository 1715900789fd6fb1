"""Webhooks: owners' endpoints, the events written with each video change (the outbox), and the delivery log
(issue 17)."""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_endpoints',
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('owner_id', sa.String(length=32), nullable=False),
                    sa.Column('url', sa.String(length=2048), nullable=False),
                    sa.Column('description', sa.String(length=200), nullable=False),
                    sa.Column('events', sa.JSON(), nullable=False),
                    sa.Column('secret', sa.String(length=255), nullable=False),
                    sa.Column('enabled', sa.Boolean(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.create_index(batch.f('ix_webhook_endpoints_owner_id'), ['owner_id'], unique=False)
    op.create_table('webhook_events',
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('owner_id', sa.String(length=32), nullable=False),
                    sa.Column('type', sa.String(length=40), nullable=False),
                    sa.Column('video_id', sa.String(length=32), nullable=True),
                    sa.Column('transition', sa.String(length=120), nullable=True),
                    sa.Column('payload', sa.JSON(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('transition'))
    with op.batch_alter_table('webhook_events') as batch:
        batch.create_index(batch.f('ix_webhook_events_owner_id'), ['owner_id'], unique=False)
        batch.create_index(batch.f('ix_webhook_events_created_at'), ['created_at'], unique=False)
    op.create_table('webhook_deliveries',
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('event_id', sa.String(length=32), nullable=False),
                    sa.Column('endpoint_id', sa.String(length=32), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('last_status_code', sa.Integer(), nullable=True),
                    sa.Column('last_error', sa.Text(), nullable=True),
                    sa.Column('replay_of', sa.String(length=32), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['event_id'], ['webhook_events.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.create_index(batch.f('ix_webhook_deliveries_event_id'), ['event_id'], unique=False)
        batch.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch.create_index('ix_webhook_deliveries_endpoint', ['endpoint_id', 'created_at'], unique=False)
    op.create_table('webhook_attempts',
                    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('delivery_id', sa.String(length=32), nullable=False),
                    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('duration_ms', sa.Integer(), nullable=False),
                    sa.Column('status_code', sa.Integer(), nullable=True),
                    sa.Column('response', sa.Text(), nullable=True),
                    sa.Column('error', sa.Text(), nullable=True),
                    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('webhook_attempts') as batch:
        batch.create_index(batch.f('ix_webhook_attempts_delivery_id'), ['delivery_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_attempts') as batch:
        batch.drop_index(batch.f('ix_webhook_attempts_delivery_id'))
    op.drop_table('webhook_attempts')
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.drop_index('ix_webhook_deliveries_endpoint')
        batch.drop_index('ix_webhook_deliveries_due')
        batch.drop_index(batch.f('ix_webhook_deliveries_event_id'))
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('webhook_events') as batch:
        batch.drop_index(batch.f('ix_webhook_events_created_at'))
        batch.drop_index(batch.f('ix_webhook_events_owner_id'))
    op.drop_table('webhook_events')
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.drop_index(batch.f('ix_webhook_endpoints_owner_id'))
    op.drop_table('webhook_endpoints')
