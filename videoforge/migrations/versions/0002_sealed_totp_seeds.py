"""Room for sealed TOTP seeds (AES-GCM, base64: 83 characters for a 32-character seed).

Seeds stored in the clear by earlier releases stay readable and are sealed the next time they are used.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=128),
                           existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.alter_column('totp_secret', existing_type=sa.String(length=128), type_=sa.String(length=64),
                           existing_nullable=True)
