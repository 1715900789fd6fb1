"""Changing rows behind the API's back, for tests that need a state no request makes quickly (a video made public,
ready, old): one home for the helper many test files had each written."""

from __future__ import annotations

from videoforge.models import Video


def set_video(app, video_id: str, **values) -> None:
    """Set these columns of the video (through the ORM, so its column rules apply) and commit."""
    with app.extensions["videoforge.db"].session() as session:
        video = session.get(Video, video_id)
        for name, value in values.items():
            setattr(video, name, value)
