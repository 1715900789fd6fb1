"""Known sign-in addresses: where each account last signed in successfully, exempt from the account-wide limit.

A stranger's failed sign-ins from elsewhere then never lock the owner out from where they usually sign in.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('known_addresses',
                    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('user_id', sa.String(length=32), nullable=False),
                    sa.Column('address', sa.String(length=64), nullable=False),
                    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('user_id', 'address'))
    with op.batch_alter_table('known_addresses') as batch:
        batch.create_index(batch.f('ix_known_addresses_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('known_addresses') as batch:
        batch.drop_index(batch.f('ix_known_addresses_seen_at'))
    op.drop_table('known_addresses')
