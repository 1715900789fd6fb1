"""The video lifecycle: `videos.rejected` instead of the stage 'rejected'; rung rates for the one master playlist.

A rejected video (not a video, too long...) was marked by its stage; the flag says it, and the stage goes back to
saying what the worker does. Streaming builds the only master playlist from the rung rows, so each row carries the
rung's mean bitrate and frame rate too; the processor's stored master is gone, and so are the rows naming it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

videos = sa.table('videos', sa.column('stage', sa.String), sa.column('rejected', sa.Boolean))
media_assets = sa.table('media_assets', sa.column('kind', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('videos') as batch:
        batch.add_column(sa.Column('rejected', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(videos.update().where(videos.c.stage == 'rejected').values(rejected=True, stage=None))
    with op.batch_alter_table('media_assets') as batch:
        batch.add_column(sa.Column('average_bitrate', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('frame_rate', sa.Float(), nullable=True))
    op.execute(media_assets.delete().where(media_assets.c.kind == 'master'))


def downgrade() -> None:
    # The master rows are not brought back: no version ever read them (streaming always built its own).
    with op.batch_alter_table('media_assets') as batch:
        batch.drop_column('frame_rate')
        batch.drop_column('average_bitrate')
    op.execute(videos.update().where(videos.c.rejected == sa.true()).values(stage='rejected'))
    with op.batch_alter_table('videos') as batch:
        batch.drop_column('rejected')
