"""Hostile tenants: the confirmed source's ETag, and an access epoch that revokes playback links.

`source_etag` lets the worker refuse bytes swapped in after confirm; `access_epoch` is signed into every
playback token, so bumping it (visibility change, deletion) ends every link handed out before.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('videos') as batch:
        batch.add_column(sa.Column('source_etag', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('access_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('videos') as batch:
        batch.drop_column('access_epoch')
        batch.drop_column('source_etag')
