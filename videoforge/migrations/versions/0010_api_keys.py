"""Personal API keys: named, scoped, stored hashed, revocable (issue 17)."""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('user_id', sa.String(length=32), nullable=False),
                    sa.Column('name', sa.String(length=100), nullable=False),
                    sa.Column('prefix', sa.String(length=16), nullable=False),
                    sa.Column('secret_hash', sa.String(length=64), nullable=False),
                    sa.Column('scopes', sa.JSON(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('secret_hash'))
    with op.batch_alter_table('api_keys') as batch:
        batch.create_index(batch.f('ix_api_keys_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_index(batch.f('ix_api_keys_user_id'))
    op.drop_table('api_keys')
