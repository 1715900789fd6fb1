"""Password-protected videos: a hashed password a viewer must give before playback; and the upload that replaces a
video's file, kept apart from the video until it is confirmed (issue 17)."""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('videos') as batch:
        batch.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
    op.create_table('source_replacements',
                    sa.Column('video_id', sa.String(length=32), nullable=False),
                    sa.Column('source_key', sa.String(length=400), nullable=False),
                    sa.Column('source_size', sa.BigInteger(), nullable=False),
                    sa.Column('filename', sa.String(length=255), nullable=False),
                    sa.Column('content_type', sa.String(length=100), nullable=False),
                    sa.Column('upload_id', sa.String(length=400), nullable=True),
                    sa.Column('part_size', sa.BigInteger(), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('video_id'))
    with op.batch_alter_table('source_replacements') as batch:
        batch.create_index(batch.f('ix_source_replacements_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('source_replacements') as batch:
        batch.drop_index(batch.f('ix_source_replacements_created_at'))
    op.drop_table('source_replacements')
    # Not batch mode: on SQLite that copies `videos` and loses its search triggers (0008); SQLite >= 3.35 and
    # PostgreSQL drop the column in place.
    op.drop_column('videos', 'password_hash')
