"""What the watch page shows a viewer who is not the owner comes from the playback info alone: its description."""

from __future__ import annotations

from videoforge.models import MediaAsset, User, Video


def _video(app, visibility: str, description: str) -> str:
    with app.extensions["videoforge.db"].session() as session:
        owner = User(sub=f"owner-{visibility}", email=f"owner-{visibility}@example.test", groups=[])
        session.add(owner)
        session.flush()
        video = Video(owner_id=owner.id, title="Dawn", description=description, visibility=visibility,
                      status="ready", duration=4.0, width=640, height=360)
        session.add(video)
        session.flush()
        session.add(MediaAsset(video_id=video.id, kind="variant", rung="360p", width=640, height=360, bitrate=800000,
                               key=f"processed/{video.id}/360p/index.m3u8"))
        return video.id


def test_a_signed_out_viewer_gets_a_public_videos_description(app, client):
    video_id = _video(app, "public", "Filmed from the pier.\nSecond line.")
    info = client.get(f"/api/streaming/videos/{video_id}").get_json()
    assert info["title"] == "Dawn"
    assert info["description"] == "Filmed from the pier.\nSecond line."


def test_no_description_is_null_and_a_private_one_never_leaks(app, client):
    assert client.get(f"/api/streaming/videos/{_video(app, 'unlisted', '')}").get_json()["description"] is None
    private = client.get(f"/api/streaming/videos/{_video(app, 'private', 'Only mine')}")
    assert private.status_code == 404 and "Only mine" not in private.get_data(as_text=True)
