"""Caption tracks in HLS: the master lists every ready track as a SUBTITLES rendition with a signed URI, each track's
playlist is one signed WebVTT segment, and access follows the video's playlists (tokens, revocation, failure)."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import token_for
from videoforge.models import Caption, MediaAsset, User, Video
from videoforge.ports.storage import get_storage

VARIANT = ("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"init.mp4\"\n"
           "#EXTINF:4.000,\nseg_00000.m4s\n#EXTINF:2.500,\nseg_00001.m4s\n#EXT-X-ENDLIST\n")
VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello <b>there</b>\n"
SRT = b"1\n00:00:03,000 --> 00:00:04,000\nHallo\n"
OWNER = "subtitles-owner"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def owner(app) -> dict:
    return {"Authorization": f"Bearer {token_for(app, sub=OWNER)}"}


def make_video(app, client, visibility="public", duration=6.5) -> tuple[str, dict]:
    """A video with a published 360p rung, and two uploaded tracks (English subtitles, German captions)."""
    db = app.extensions["videoforge.db"]
    with db.session() as session:
        user = session.query(User).filter_by(sub=OWNER).one_or_none()
        if user is None:
            user = User(sub=OWNER, email="subtitles-owner@example.test")
            session.add(user)
            session.flush()
        video = Video(owner_id=user.id, title="clip", visibility=visibility, status="ready", duration=duration,
                      width=640, height=360)
        session.add(video)
        session.flush()
        key = f"processed/{video.id}/t1/360p/index.m3u8"
        session.add(MediaAsset(video_id=video.id, kind="variant", rung="360p", width=640, height=360,
                               bitrate=1_040_000, key=key, complete=True))
        video_id = video.id
    path = get_storage(app).path_of(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(VARIANT)
    tracks = {}
    for language, body, form in (("en", VTT, {}), ("de", SRT, {"kind": "captions", "label": "Deutsch (SDH)"})):
        response = client.put(f"/api/gallery/videos/{video_id}/captions/{language}", headers=owner(app),
                              data={"file": (io.BytesIO(body), "x"), **form}, content_type="multipart/form-data")
        assert response.status_code == 201, response.json
        tracks[language] = response.json["id"]
    return video_id, tracks


def master_of(client, video_id: str, headers=None) -> tuple[str, str]:
    info = client.get(f"/api/streaming/videos/{video_id}", headers=headers or {}).get_json()
    master = path_of(info["master_url"])
    return master, client.get(master).get_data(as_text=True)


def subtitle_links(video_id: str, master: str) -> dict[str, str]:
    """Language → the subtitle playlist path the master names (relative to the master's folder)."""
    found = {}
    for line in master.splitlines():
        if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES"):
            language = re.search(r'LANGUAGE="([^"]+)"', line).group(1)
            found[language] = f"/api/streaming/videos/{video_id}/" + re.search(r'URI="([^"]+)"', line).group(1)
    return found


def test_the_master_lists_every_ready_track_as_a_signed_subtitles_rendition(app, client):
    video_id, tracks = make_video(app, client, "private")
    _, master = master_of(client, video_id, owner(app))
    token = re.search(r"token=([0-9]+\.[0-9a-f]+)", master).group(1)
    media = [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:")]
    assert media == [
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Deutsch (SDH)",LANGUAGE="de",DEFAULT=NO,AUTOSELECT=YES,'
        'FORCED=NO,CHARACTERISTICS="public.accessibility.transcribes-spoken-dialog,'
        f'public.accessibility.describes-music-and-sound",URI="captions/{tracks["de"]}/index.m3u8?token={token}"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,'
        f'FORCED=NO,URI="captions/{tracks["en"]}/index.m3u8?token={token}"',
    ]
    stream_inf = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]
    assert stream_inf and all(line.endswith(',SUBTITLES="subs"') for line in stream_inf)

    # Anonymous, with the token alone: the private video's track playlists and their files.
    links = subtitle_links(video_id, master)
    playlist = client.get(links["en"])
    assert playlist.status_code == 200 and playlist.content_type == "application/vnd.apple.mpegurl"
    body = playlist.get_data(as_text=True)
    assert ("#EXT-X-TARGETDURATION:7" in body and "#EXTINF:6.500," in body and "#EXT-X-PLAYLIST-TYPE:VOD" in body
            and body.rstrip().endswith("#EXT-X-ENDLIST"))
    segment = next(line for line in body.splitlines() if line and not line.startswith("#"))
    assert "expires=" in segment and "/captions/" in segment  # a granted URL, not a bare key
    vtt = client.get(path_of(segment))
    assert vtt.status_code == 200
    assert vtt.get_data(as_text=True) == ("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n"
                                          "00:00:01.000 --> 00:00:02.000\nHello <b>there</b>\n")
    german = client.get(path_of(next(line for line in client.get(links["de"]).get_data(as_text=True).splitlines()
                                     if line and not line.startswith("#")))).get_data(as_text=True)
    assert "00:00:03.000 --> 00:00:04.000\nHallo" in german


def test_without_ready_tracks_the_master_names_no_subtitles_group(app, client):
    video_id, tracks = make_video(app, client)
    for caption_id in tracks.values():
        assert client.delete(f"/api/gallery/videos/{video_id}/captions/{caption_id}",
                             headers=owner(app)).status_code == 204
    with app.extensions["videoforge.db"].session() as session:  # a generated track still being made
        session.add(Caption(video_id=video_id, language="en", label="English (auto-generated)", generated=True,
                            status="processing"))
    _, master = master_of(client, video_id)
    assert "EXT-X-MEDIA" not in master and "SUBTITLES" not in master


@pytest.mark.parametrize("who, visibility, status", [
    ("anonymous", "public", 200), ("anonymous", "unlisted", 200), ("anonymous", "private", 404),
    ("stranger", "public", 200), ("stranger", "unlisted", 200), ("stranger", "private", 404),
    ("owner", "public", 200), ("owner", "unlisted", 200), ("owner", "private", 200), ("admin", "private", 200),
])
def test_subtitle_playlists_without_a_token_answer_as_the_master_does(app, client, auth_headers, who, visibility,
                                                                     status):
    video_id, tracks = make_video(app, client, visibility)
    headers = {"anonymous": {}, "owner": owner(app), "stranger": auth_headers(),
               "admin": auth_headers(groups=["admin"])}[who]
    base = f"/api/streaming/videos/{video_id}"
    assert client.get(f"{base}/master.m3u8", headers=headers).status_code == status
    for caption_id in tracks.values():
        response = client.get(f"{base}/captions/{caption_id}/index.m3u8", headers=headers)
        assert response.status_code == status
        if status == 404:
            assert response.get_json()["code"] == 404


def test_a_visibility_change_revokes_subtitle_links_like_the_others(app, client):
    video_id, _ = make_video(app, client, "public")
    master_link, master = master_of(client, video_id)
    links = subtitle_links(video_id, master)
    assert all(client.get(link).status_code == 200 for link in links.values())
    patched = client.patch(f"/api/gallery/videos/{video_id}", json={"visibility": "private"}, headers=owner(app))
    assert patched.status_code == 200
    assert client.get(master_link).status_code == 404
    for link in links.values():
        assert client.get(link).status_code == 404
    _, fresh = master_of(client, video_id, owner(app))  # the owner's new links work
    assert all(client.get(link).status_code == 200 for link in subtitle_links(video_id, fresh).values())


def test_a_failed_video_serves_no_subtitle_playlist(app, client):
    video_id, tracks = make_video(app, client)
    _, master = master_of(client, video_id)
    links = subtitle_links(video_id, master)
    with app.extensions["videoforge.db"].session() as session:
        session.get(Video, video_id).status = "failed"
    for headers in ({}, owner(app)):
        for link in links.values():
            assert client.get(link, headers=headers).status_code == 404
        for caption_id in tracks.values():
            bare = f"/api/streaming/videos/{video_id}/captions/{caption_id}/index.m3u8"
            assert client.get(bare, headers=headers).status_code == 404


def test_unknown_or_other_videos_tracks_are_404(app, client):
    video_id, tracks = make_video(app, client)
    other_id, _ = make_video(app, client)
    base = f"/api/streaming/videos/{other_id}/captions"
    assert client.get(f"{base}/{tracks['en']}/index.m3u8").status_code == 404  # a track of another video
    assert client.get(f"{base}/{'0' * 32}/index.m3u8").status_code == 404
    assert client.get(f"{base}/..%2f..%2fmaster/index.m3u8").status_code == 404
    private_id, private_tracks = make_video(app, client, "private")
    bad_token = f"/api/streaming/videos/{private_id}/captions/{private_tracks['en']}/index.m3u8?token=1.x"
    assert client.get(bad_token).status_code == 404


def test_labels_and_tags_made_elsewhere_are_written_as_safe_quoted_strings(app, client):
    video_id, tracks = make_video(app, client)
    with app.extensions["videoforge.db"].session() as session:  # as a buggy or hostile writer might leave them
        session.get(Caption, tracks["en"]).label = 'Eng"lish\n#EXT-X-ENDLIST'
        session.get(Caption, tracks["de"]).label = 'Eng"lish\n#EXT-X-ENDLIST'
        session.get(Caption, tracks["de"]).language = 'de",URI="http://evil'
    _, master = master_of(client, video_id)
    media = [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA")]
    assert len(media) == 2 and "\n#EXT-X-ENDLIST" not in master  # no line of its own
    assert 'LANGUAGE="de' not in master  # a tag we would not accept is left out
    assert all(line.count('"') % 2 == 0 and "evil" not in line for line in media)
    names = [re.search(r'NAME="([^"]*)"', line).group(1) for line in media]
    assert len(set(names)) == 2 and all(name.startswith("English#EXT-X-ENDLIST") for name in names)
