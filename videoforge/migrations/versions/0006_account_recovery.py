"""Account recovery: single-use mailed links (reset, verify, email change), verified addresses, a session epoch.

Existing accounts start unverified: nobody has proven their address yet. With AUTH_EMAIL_VERIFICATION=required
they verify (a resend from the account page) before their next upload; with the default, optional, nothing changes.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
    op.create_table('account_tokens',
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('user_id', sa.String(length=32), nullable=False),
                    sa.Column('purpose', sa.String(length=16), nullable=False),
                    sa.Column('token_hash', sa.String(length=64), nullable=False),
                    sa.Column('email', sa.String(length=320), nullable=False),
                    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('token_hash'))
    with op.batch_alter_table('account_tokens') as batch:
        batch.create_index(batch.f('ix_account_tokens_user_id'), ['user_id'], unique=False)
        batch.create_index(batch.f('ix_account_tokens_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_tokens') as batch:
        batch.drop_index(batch.f('ix_account_tokens_expires_at'))
        batch.drop_index(batch.f('ix_account_tokens_user_id'))
    op.drop_table('account_tokens')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_epoch')
        batch.drop_column('email_verified_at')
