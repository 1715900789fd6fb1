"""Caption tracks through the gallery API: upload (WebVTT and SRT, two languages), replace, delete, broken files
refused with the line at fault, and who sees which track (exactly who sees the video)."""

from __future__ import annotations

import io
import json

import pytest
import requests

from tests.conftest import token_for
from tests.modules.gallery.conftest import new_upload
from videoforge.models import Caption, CaptionCue, Video

VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<i>Hello</i> world\n\n00:00:03.000 --> 00:00:04.000\nBye\n"
SRT = "1\r\n00:00:01,000 --> 00:00:02,500\r\nBonjour à tous\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nSalut\r\n"
OWNER = "captions-owner"


def put(client, headers, video_id, language, body: bytes, filename="subs.vtt", **form):
    data = {"file": (io.BytesIO(body), filename), **form}
    return client.put(f"/api/gallery/videos/{video_id}/captions/{language}", data=data, headers=headers,
                      content_type="multipart/form-data")


def listing(client, video_id, headers=None):
    return client.get(f"/api/gallery/videos/{video_id}/captions", headers=headers or {})


def owner(app):
    return {"Authorization": f"Bearer {token_for(app, sub=OWNER)}"}


def video_of(client, headers, visibility="public") -> str:
    return new_upload(client, headers, visibility=visibility).json["video"]["id"]


def test_upload_vtt_and_srt_in_two_languages_replace_and_delete(app, client, storage):
    headers = owner(app)
    video_id = video_of(client, headers)
    english = put(client, headers, video_id, "en", VTT)
    assert english.status_code == 201, english.json
    french = put(client, headers, video_id, "FR-ca", SRT.encode(), filename="sous-titres.srt", kind="captions")
    assert french.status_code == 201, french.json
    assert (french.json["language"], french.json["label"], french.json["kind"], french.json["cue_count"],
            french.json["generated"], french.json["status"]) == ("fr-CA", "Français (Canada)", "captions", 2, False,
                                                                 "ready")

    tracks = listing(client, video_id).json
    assert [(t["language"], t["label"]) for t in tracks] == [("en", "English"), ("fr-CA", "Français (Canada)")]
    files = {t["language"]: requests.get(t["url"], timeout=10) for t in tracks}
    assert all(f.status_code == 200 for f in files.values())
    assert files["en"].text.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n")
    assert "<i>Hello</i> world" in files["en"].text
    assert "00:00:01.000 --> 00:00:02.500\nBonjour à tous" in files["fr-CA"].text  # SRT became WebVTT

    first_key = _key(app, english.json["id"])
    replaced = put(client, headers, video_id, "en", b"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nNew words\n")
    assert replaced.status_code == 200
    assert (replaced.json["id"], replaced.json["label"], replaced.json["cue_count"]) == (english.json["id"],
                                                                                         "English", 1)
    assert not storage.path_of(first_key).exists()  # each version under a new key; the last one removed
    assert "New words" in requests.get(replaced.json["url"], timeout=10).text
    relabelled = put(client, headers, video_id, "en", VTT, label="English (SDH)", kind="captions")
    assert (relabelled.status_code, relabelled.json["label"], relabelled.json["kind"]) == (200, "English (SDH)",
                                                                                          "captions")
    assert _cue_texts(app, english.json["id"]) == ["Hello world", "Bye"]  # search gets the words, not the markup

    key = _key(app, french.json["id"])
    assert client.delete(f"/api/gallery/videos/{video_id}/captions/{french.json['id']}",
                         headers=headers).status_code == 204
    assert not storage.path_of(key).exists()
    assert [t["language"] for t in listing(client, video_id).json] == ["en"]
    assert _cue_texts(app, french.json["id"]) == []
    assert client.delete(f"/api/gallery/videos/{video_id}/captions/{french.json['id']}",
                         headers=headers).status_code == 404


def test_an_upload_never_touches_the_generated_track_of_its_language(app, client):
    headers = owner(app)
    video_id = video_of(client, headers)
    generated = _add_generated(app, video_id, "en", status="ready")
    uploaded = put(client, headers, video_id, "en", VTT)
    assert uploaded.status_code == 201 and uploaded.json["id"] != generated
    tracks = listing(client, video_id).json
    assert [(t["language"], t["generated"]) for t in tracks] == [("en", False), ("en", True)]


def test_pending_and_failed_generated_tracks_show_to_the_owner_and_admins_only(app, client, auth_headers):
    headers = owner(app)
    video_id = video_of(client, headers)
    pending = _add_generated(app, video_id, "en", status="pending")
    failed = _add_generated(app, video_id, "de", status="failed", error="no speech found")
    put(client, headers, video_id, "fr", VTT)
    mine = {t["id"]: t for t in listing(client, video_id, headers).json}
    assert set(mine) >= {pending, failed} and mine[failed]["error"] == "no speech found"
    assert mine[pending]["url"] is None and mine[failed]["url"] is None
    assert {t["id"] for t in listing(client, video_id, auth_headers(groups=["admin"])).json} == set(mine)
    for stranger in ({}, auth_headers()):
        assert [t["language"] for t in listing(client, video_id, stranger).json] == ["fr"]
    conflict = client.delete(f"/api/gallery/videos/{video_id}/captions/{pending}", headers=headers)
    assert conflict.status_code == 409  # its job would write it back
    assert client.delete(f"/api/gallery/videos/{video_id}/captions/{failed}", headers=headers).status_code == 204


@pytest.mark.parametrize("who, visibility, sees", [
    ("anonymous", "public", True), ("anonymous", "unlisted", True), ("anonymous", "private", False),
    ("stranger", "public", True), ("stranger", "unlisted", True), ("stranger", "private", False),
    ("owner", "public", True), ("owner", "unlisted", True), ("owner", "private", True),
    ("admin", "private", True),
])
def test_the_captions_list_and_files_follow_the_video(app, client, auth_headers, who, visibility, sees):
    headers = owner(app)
    video_id = video_of(client, headers, visibility)
    assert put(client, headers, video_id, "en", VTT).status_code == 201
    viewer = {"anonymous": {}, "owner": headers, "stranger": auth_headers(),
              "admin": auth_headers(groups=["admin"])}[who]
    video = client.get(f"/api/gallery/videos/{video_id}", headers=viewer)
    tracks = listing(client, video_id, viewer)
    assert tracks.status_code == video.status_code == (200 if sees else 404)
    if sees:
        assert requests.get(tracks.json[0]["url"], timeout=10).status_code == 200
    else:
        assert tracks.json["code"] == 404 and "captions" not in json.dumps(tracks.json)


def test_only_the_owner_or_an_admin_changes_tracks(app, client, auth_headers):
    headers = owner(app)
    public, private = video_of(client, headers, "public"), video_of(client, headers, "private")
    track = put(client, headers, public, "en", VTT).json["id"]
    stranger = auth_headers()
    assert put(client, stranger, public, "de", VTT).status_code == 403
    assert put(client, stranger, private, "de", VTT).status_code == 404
    assert put(client, {}, public, "de", VTT).status_code == 401
    assert client.delete(f"/api/gallery/videos/{public}/captions/{track}", headers=stranger).status_code == 403
    assert client.delete(f"/api/gallery/videos/{public}/captions/{track}").status_code == 401
    assert client.delete(f"/api/gallery/videos/{private}/captions/{track}", headers=headers).status_code == 404
    assert put(client, auth_headers(groups=["admin"]), public, "de", VTT).status_code == 201


@pytest.mark.parametrize("body, filename, status, words", [
    (b"WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nbackwards\n", "subs.vtt", 422, "Line 3: the cue ends"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n".encode("utf-16-le"), "subs.vtt", 422, "UTF-16"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfête\n".encode("latin-1"), "subs.vtt", 422, "Line 4: not UTF-8"),
    (b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 -> 00:00:04,000\nx\n", "a.srt", 422, "Line 6"),
    (bytes(range(256)) * 64, "subs.vtt", 422, "Line 1: a NUL byte"),
    (b"WEBVTT\n\n" + b"x" * (3 * 1024 * 1024), "big.vtt", 413, "larger than 2 MiB"),
    (b"", "empty.vtt", 422, "The file is empty"),
])
def test_broken_files_are_a_4xx_naming_the_line_never_a_500(app, client, body, filename, status, words):
    headers = owner(app)
    video_id = video_of(client, headers)
    response = put(client, headers, video_id, "en", body, filename=filename)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert words in response.json["message"] and response.json["errors"]["files"]["file"]
    assert "/" not in response.json["message"].replace("/s", "")  # no path of ours
    assert listing(client, video_id, headers).json == []


def test_a_bom_and_utf16_with_a_bom_are_accepted(app, client):
    headers = owner(app)
    video_id = video_of(client, headers)
    assert put(client, headers, video_id, "en", b"\xef\xbb\xbf" + VTT).status_code == 201
    assert put(client, headers, video_id, "fr", SRT.encode("utf-16"), filename="x.srt").status_code == 201


@pytest.mark.parametrize("language, form, field", [
    ("english", {}, "language"), ("x-klingon", {}, "language"), ("en-US-u-ca-x", {}, "language"),
    ("en", {"label": 'Say "hi"'}, "label"), ("en", {"label": "two\nlines"}, "label"),
    ("en", {"label": "x" * 101}, "label"), ("en", {"kind": "chapters"}, "kind"),
])
def test_bad_language_label_or_kind_is_422_naming_the_field(app, client, language, form, field):
    headers = owner(app)
    video_id = video_of(client, headers)
    response = put(client, headers, video_id, language, VTT, **form)
    assert response.status_code == 422
    assert any(field in names for names in response.json["errors"].values())


def test_a_missing_file_is_422(app, client):
    headers = owner(app)
    video_id = video_of(client, headers)
    response = client.put(f"/api/gallery/videos/{video_id}/captions/en", data={"label": "x"}, headers=headers,
                          content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.json["errors"]["files"]


def test_deleting_the_video_deletes_its_caption_files(app, client, storage):
    headers = owner(app)
    video_id = video_of(client, headers)
    keys = [_key(app, put(client, headers, video_id, lang, VTT).json["id"]) for lang in ("en", "pt-BR")]
    assert all(storage.path_of(key).exists() for key in keys)
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=headers).status_code == 204
    assert not any(storage.path_of(key).exists() for key in keys)
    with app.extensions["videoforge.db"].session() as session:
        assert session.query(Caption).count() == 0 and session.query(CaptionCue).count() == 0


# --- helpers ---------------------------------------------------------------------------------------------------------

def _key(app, caption_id: str) -> str:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(Caption, caption_id).key


def _cue_texts(app, caption_id: str) -> list[str]:
    with app.extensions["videoforge.db"].session() as session:
        return [c.text for c in session.query(CaptionCue).filter_by(caption_id=caption_id).order_by(CaptionCue.start)]


def _add_generated(app, video_id: str, language: str, status: str, error: str | None = None) -> str:
    """A generated track as the processor leaves it (a ready one without a file: the list only reads its row)."""
    with app.extensions["videoforge.db"].session() as session:
        assert session.get(Video, video_id) is not None
        caption = Caption(video_id=video_id, language=language, label=f"{language} (auto-generated)", generated=True,
                          status=status, error=error)
        session.add(caption)
        session.flush()
        return caption.id
