"""Asking for generated captions: at upload (auto_captions, caption_language) and later (POST .../captions/generate),
refused plainly when transcription is off, the video is not ready, or that track is already on its way."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import token_for
from videoforge import outbox
from videoforge.lifecycle import CaptionStatus, Status
from videoforge.models import Caption, OutboxMessage, User, Video, new_id
from videoforge.modules.processor.cues import CueShape, make_cues, wrap
from videoforge.ports.transcription import Word


def bearer(app, **kwargs) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(app, **kwargs)}"}


UPLOAD = {"filename": "clip.mp4", "size": 1000, "content_type": "video/mp4"}


def generated(app, video_id):
    with app.extensions["videoforge.db"].session() as session:
        return [(c.language, c.status, c.label) for c in session.scalars(
            select(Caption).where(Caption.video_id == video_id, Caption.generated.is_(True)))]


def jobs(app, video_id):
    with app.extensions["videoforge.db"].session() as session:
        return [m.payload for m in session.scalars(select(OutboxMessage)) if m.payload.get("video_id") == video_id
                and m.payload["type"] == outbox.TRANSCRIBE]


def test_an_upload_asking_for_captions_gets_a_pending_track_in_its_language(make_app):
    app = make_app()
    client, auth = app.test_client(), bearer(app)
    asked = client.post("/api/gallery/uploads", json={**UPLOAD, "auto_captions": True, "caption_language": "pt-br"},
                        headers=auth)
    assert asked.status_code == 201, asked.json
    assert generated(app, asked.json["video"]["id"]) == [("pt-BR", "pending", "Português (Brasil) (auto-generated)")]
    assert jobs(app, asked.json["video"]["id"]) == []  # its job waits for the video to be ready

    plain = client.post("/api/gallery/uploads", json=UPLOAD, headers=auth)  # AUTO_CAPTIONS is off by default
    assert generated(app, plain.json["video"]["id"]) == []
    bad = client.post("/api/gallery/uploads", json={**UPLOAD, "auto_captions": True, "caption_language": "english!"},
                      headers=auth)
    assert bad.status_code == 422 and "caption_language" in bad.json["errors"]["json"]


def test_auto_captions_follow_the_server_default_and_are_refused_when_off(make_app):
    app = make_app(AUTO_CAPTIONS=True, AUTO_CAPTIONS_LANGUAGE="de")
    answer = app.test_client().post("/api/gallery/uploads", json=UPLOAD, headers=bearer(app))
    assert generated(app, answer.json["video"]["id"]) == [("de", "pending", "Deutsch (auto-generated)")]

    off = make_app(TRANSCRIPTION_BACKEND="", AUTO_CAPTIONS=True)
    client, auth = off.test_client(), bearer(off)
    quiet = client.post("/api/gallery/uploads", json=UPLOAD, headers=auth)
    assert quiet.status_code == 201 and generated(off, quiet.json["video"]["id"]) == []
    refused = client.post("/api/gallery/uploads", json={**UPLOAD, "auto_captions": True}, headers=auth)
    assert refused.status_code == 422 and "turned off" in refused.json["message"]


def _video(app, status=Status.READY) -> tuple[str, str]:
    with app.extensions["videoforge.db"].session() as session:
        user = User(sub=new_id(), email=f"{new_id()[:8]}@example.test")
        session.add(user)
        session.flush()
        video = Video(owner_id=user.id, title="t", status=status)
        session.add(video)
        session.flush()
        return video.id, user.sub


def test_the_owner_asks_for_generated_captions_of_a_ready_video_once_at_a_time(make_app):
    app = make_app()
    client = app.test_client()
    video_id, sub = _video(app)
    owner = bearer(app, sub=sub)
    url = f"/api/gallery/videos/{video_id}/captions/generate"

    asked = client.post(url, json={}, headers=owner)
    assert asked.status_code == 202, asked.json
    assert asked.json["status"] == "pending" and asked.json["language"] == "en" and asked.json["generated"]
    assert jobs(app, video_id) == [{"type": "transcribe", "video_id": video_id, "caption_id": asked.json["id"],
                                    "request_id": jobs(app, video_id)[0]["request_id"]}]
    again = client.post(url, json={"language": "EN"}, headers=owner)
    assert again.status_code == 409 and "already being generated" in again.json["message"]
    assert client.post(url, json={"language": "fr"}, headers=owner).status_code == 202  # another language

    with app.extensions["videoforge.db"].session() as session:  # a failed one may be asked for again
        caption = session.get(Caption, asked.json["id"])
        caption.status, caption.error = CaptionStatus.FAILED, "no speech was found in the audio"
    retried = client.post(url, json={}, headers=owner)
    assert retried.status_code == 202 and retried.json["id"] == asked.json["id"] and retried.json["error"] is None

    assert client.post(url, json={}, headers=bearer(app)).status_code == 404  # a stranger (private video)
    assert client.post(url, json={"language": "x!"}, headers=owner).status_code == 422


def test_generating_is_refused_for_videos_not_ready_and_when_transcription_is_off(make_app):
    app = make_app()
    video_id, sub = _video(app, Status.PROCESSING)
    busy = app.test_client().post(f"/api/gallery/videos/{video_id}/captions/generate", json={},
                                  headers=bearer(app, sub=sub))
    assert busy.status_code == 409 and "ready video" in busy.json["message"]

    off = make_app(TRANSCRIPTION_BACKEND="")
    video_id, sub = _video(off)
    refused = off.test_client().post(f"/api/gallery/videos/{video_id}/captions/generate", json={},
                                     headers=bearer(off, sub=sub))
    assert refused.status_code == 409 and "turned off" in refused.json["message"]


# --- words into cues ----------------------------------------------------------------------------------------------

def _words(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    return [Word(start + i * step, start + i * step + 0.25, w) for i, w in enumerate(text.split())]


def test_cues_break_at_pauses_and_sentence_ends_and_stay_short():
    words = _words("the quick brown fox") + _words("jumps over", start=3.0)
    cues = make_cues(words)
    assert [c.text for c in cues] == ["The quick brown fox", "jumps over"]  # the 2 s pause
    assert cues[0].start == 0.0 and cues[0].end <= cues[1].start
    assert [c.text for c in make_cues(_words("Hello there. General Kenobi."))] == ["Hello there.", "General Kenobi."]


def test_long_speech_becomes_two_line_cues_of_at_most_42_characters_and_7_seconds():
    words = _words(" ".join(["word"] * 200), step=0.2)
    cues = make_cues(words)
    assert all(len(line) <= 42 for c in cues for line in c.text.splitlines())
    assert all(len(c.text.splitlines()) <= 2 and c.end - c.start <= 7.0 + CueShape().linger for c in cues)
    assert sum(len(c.text.split()) for c in cues) == 200
    slow = make_cues(_words(" ".join(["a"] * 40), step=0.5))  # short words, slowly: the 7 s limit cuts
    assert all(c.end - c.start <= 7.5 for c in slow) and len(slow) >= 3
    assert wrap(["x" * 50, "y"], 42) == ["x" * 50, "y"]
