"""Streaming HTTP API: playback info, and playlists whose media URLs are signed for direct fetches from storage."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from videoforge.db import get_session
from videoforge.identity import current_user
from videoforge.modules.streaming import service, tokens
from videoforge.modules.streaming.schemas import PlaybackSchema, PlaylistQuerySchema
from videoforge.ports.storage import get_storage

blp = Blueprint("streaming", __name__, description="Playback info and signed HLS playlists")
HLS_TYPE = "application/vnd.apple.mpegurl"


def _video_for_viewer(video_id: str):
    try:
        return service.watchable_video(get_session(), video_id, current_user(required=False))
    except service.NotFound:
        abort(404, message="No such video.")


def _video_for_player(video_id: str, token: str | None):
    """Players carry the playback token; API callers may use their bearer token instead."""
    if tokens.check(current_app.config["SECRET_KEY"], video_id, token):
        video = get_session().get(service.Video, video_id)
        if video is not None:
            return video
    return _video_for_viewer(video_id)


def _presigner():
    storage = get_storage(current_app)
    expiry = current_app.config["PLAYBACK_URL_EXPIRY"]
    return lambda key: storage.presign_get(key, expiry)


def _cache() -> service.PlaylistCache:
    """Per app, so two apps in one process (tests) never share playlists."""
    return current_app.extensions.setdefault("videoforge.playlist_cache", service.PlaylistCache())


def _public(path: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def _playlist_response(text: str, growing: bool, content_type: str = HLS_TYPE) -> Response:
    response = Response(text, content_type=content_type)
    # private: no shared cache may keep signed URLs; short max-age: never outlives the signatures.
    response.headers["Cache-Control"] = "private, max-age=2" if growing else "private, max-age=60"
    return response


@blp.route("/videos/<video_id>")
class PlaybackInfo(MethodView):
    @blp.response(200, PlaybackSchema)
    @blp.alt_response(404, description="No such video, or not yours to watch")
    def get(self, video_id: str):
        """Playback info: status, signed poster, playlist and thumbnail URLs, renditions."""
        video = _video_for_viewer(video_id)
        session = get_session()
        rungs = service.renditions(session, video.id)
        expiry = current_app.config["PLAYBACK_URL_EXPIRY"]
        token = tokens.issue(current_app.config["SECRET_KEY"], video.id, expiry)
        presign = _presigner()
        poster = service.asset_key(session, video.id, "poster")
        has_vtt = service.asset_key(session, video.id, "thumbnails") is not None
        base = f"/api/streaming/videos/{video.id}"
        return {
            "id": video.id, "title": video.title, "status": video.status, "playable": bool(rungs),
            "progress": video.progress, "stage": video.stage, "error": video.error,
            "duration": video.duration, "width": video.width, "height": video.height,
            "poster_url": presign(poster) if poster else None,
            "thumbnails_url": _public(f"{base}/thumbnails.vtt?token={token}") if has_vtt else None,
            "master_url": _public(f"{base}/master.m3u8?token={token}") if rungs else None,
            "expires_in": expiry,
            "renditions": [r.__dict__ for r in rungs],
        }


@blp.route("/videos/<video_id>/master.m3u8")
class MasterPlaylist(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type=HLS_TYPE)
    @blp.alt_response(404, description="No such video, or nothing playable yet")
    def get(self, args, video_id: str):
        """Master playlist of the published rungs (players pass the playback token)."""
        video = _video_for_player(video_id, args["token"])
        rungs = service.renditions(get_session(), video.id)
        if not rungs:
            abort(404, message="Nothing playable yet: the lowest rung has not been published.")
        token = args["token"] or tokens.issue(current_app.config["SECRET_KEY"], video.id,
                                              current_app.config["PLAYBACK_URL_EXPIRY"])
        text = service.master_playlist(rungs, lambda name: f"{name}/index.m3u8?token={token}")
        return _playlist_response(text, growing=not all(r.complete for r in rungs))


@blp.route("/videos/<video_id>/<rung>/index.m3u8")
class VariantPlaylist(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type=HLS_TYPE)
    @blp.alt_response(404, description="No such video or rung")
    def get(self, args, video_id: str, rung: str):
        """One rung's playlist, every segment URL signed with a short expiry."""
        video = _video_for_player(video_id, args["token"])
        try:
            found = service.rung_named(service.renditions(get_session(), video.id), rung)
        except service.NotFound:
            abort(404, message=f"No rung {rung!r} for this video.")
        storage = get_storage(current_app)
        text = _cache().get(found.key, lambda key: storage.read_bytes(key).decode(), cacheable=found.complete)
        folder = found.key.rsplit("/", 1)[0]
        return _playlist_response(service.signed_variant(text, folder, _presigner()), growing=not found.complete)


@blp.route("/videos/<video_id>/thumbnails.vtt")
class Thumbnails(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type="text/vtt")
    @blp.alt_response(404, description="No such video or no thumbnails yet")
    def get(self, args, video_id: str):
        """WebVTT storyboard track for seek-bar previews, sprite URLs signed."""
        video = _video_for_player(video_id, args["token"])
        key = service.asset_key(get_session(), video.id, "thumbnails")
        if key is None:
            abort(404, message="No thumbnails yet.")
        storage = get_storage(current_app)
        text = _cache().get(key, lambda k: storage.read_bytes(k).decode(), cacheable=True)
        folder = key.rsplit("/", 1)[0]
        return _playlist_response(service.signed_thumbnails(text, folder, _presigner()), growing=False,
                                  content_type="text/vtt; charset=utf-8")
