"""Embedding: the origins allowed to frame a video's embed page (issue 17); null means any site."""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('videos', sa.Column('embed_origins', sa.JSON(), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite that copies `videos` and loses its search triggers (0008); SQLite >= 3.35 and
    # PostgreSQL drop the column in place.
    op.drop_column('videos', 'embed_origins')
