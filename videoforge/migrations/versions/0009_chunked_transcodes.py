"""Chunked transcodes: the parts of one long video's ladder, each chunk its own queue job (issue 20); the take each
video's transcode publishes under, so a replacement's transcode can keep the last ladder playing until it is done."""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('videos', sa.Column('take', sa.String(length=16), nullable=True))
    op.create_table('transcode_parts',
                    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('video_id', sa.String(length=32), nullable=False),
                    sa.Column('take', sa.String(length=16), nullable=False),
                    sa.Column('number', sa.Integer(), nullable=False),
                    sa.Column('start_frame', sa.Integer(), nullable=False),
                    sa.Column('end_frame', sa.Integer(), nullable=True),
                    sa.Column('first_segment', sa.Integer(), nullable=False),
                    sa.Column('start', sa.Float(), nullable=False),
                    sa.Column('seconds', sa.Float(), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('worker', sa.String(length=80), nullable=True),
                    sa.Column('progress', sa.Float(), nullable=False),
                    sa.Column('segments', sa.JSON(), nullable=False),
                    sa.Column('inits', sa.JSON(), nullable=False),
                    sa.Column('error', sa.Text(), nullable=True),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('video_id', 'take', 'number'))
    with op.batch_alter_table('transcode_parts') as batch:
        batch.create_index(batch.f('ix_transcode_parts_video_id'), ['video_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('transcode_parts') as batch:
        batch.drop_index(batch.f('ix_transcode_parts_video_id'))
    op.drop_table('transcode_parts')
    # Not in batch mode: on SQLite that copies `videos` and loses 0008's search triggers; SQLite drops a column itself.
    op.drop_column('videos', 'take')
