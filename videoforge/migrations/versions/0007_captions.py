"""Captions: a track per video, language and origin (uploaded or generated), their cues for transcript search, and
the upload's wish for generated captions."""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('videos') as batch:
        batch.add_column(sa.Column('auto_captions', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('captions',
                    sa.Column('id', sa.String(length=32), nullable=False),
                    sa.Column('video_id', sa.String(length=32), nullable=False),
                    sa.Column('language', sa.String(length=35), nullable=False),
                    sa.Column('label', sa.String(length=100), nullable=False),
                    sa.Column('kind', sa.String(length=16), nullable=False),
                    sa.Column('generated', sa.Boolean(), server_default=sa.false(), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('error', sa.Text(), nullable=True),
                    sa.Column('key', sa.String(length=400), nullable=False),
                    sa.Column('cue_count', sa.Integer(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('video_id', 'language', 'generated'))
    with op.batch_alter_table('captions') as batch:
        batch.create_index(batch.f('ix_captions_video_id'), ['video_id'], unique=False)
    op.create_table('caption_cues',
                    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('caption_id', sa.String(length=32), nullable=False),
                    sa.Column('video_id', sa.String(length=32), nullable=False),
                    sa.Column('start', sa.Float(), nullable=False),
                    sa.Column('end', sa.Float(), nullable=False),
                    sa.Column('text', sa.Text(), nullable=False),
                    sa.ForeignKeyConstraint(['caption_id'], ['captions.id'], ondelete='CASCADE'),
                    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('caption_cues') as batch:
        batch.create_index(batch.f('ix_caption_cues_caption_id'), ['caption_id'], unique=False)
        batch.create_index(batch.f('ix_caption_cues_video_id'), ['video_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('caption_cues') as batch:
        batch.drop_index(batch.f('ix_caption_cues_video_id'))
        batch.drop_index(batch.f('ix_caption_cues_caption_id'))
    op.drop_table('caption_cues')
    with op.batch_alter_table('captions') as batch:
        batch.drop_index(batch.f('ix_captions_video_id'))
    op.drop_table('captions')
    with op.batch_alter_table('videos') as batch:
        batch.drop_column('auto_captions')
