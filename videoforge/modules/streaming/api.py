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


def _token(video) -> str:
    return tokens.issue(current_app.config["SECRET_KEY"], video.id, video.access_epoch,
                        int(current_app.config["PLAYBACK_URL_EXPIRY"]))


def _video_for_player(video_id: str, token: str | None):
    """Players carry the playback token; API callers may use their bearer token instead. Returns the video and the
    token its playlists hand on: the one given while it checks (so refetching never extends it), else a fresh one."""
    video = service.video_for_token(get_session(), current_app.config["SECRET_KEY"], video_id, token)
    if video is not None:
        return video, token
    video = _video_for_viewer(video_id)
    return video, _token(video)


def _rungs_to_play(video) -> list[service.Rendition]:
    """The rungs to serve, or 404: whatever a failed video published before failing is never served."""
    if not video.playable:
        abort(404, message="This video failed: there is nothing to play." if video.status == "failed"
              else "Nothing playable yet: the lowest rung has not been published.")
    return service.renditions(video)


def _presigner(video):
    """Media URLs cannot be recalled once handed out, so they live only as long as watching this video needs."""
    storage = get_storage(current_app)
    config = current_app.config
    expiry = service.segment_url_expiry(video.duration, int(config["PLAYBACK_URL_EXPIRY"]),
                                        int(config["SEGMENT_URL_MARGIN"]))
    return lambda key: storage.presign_get(key, expiry)


def _stored_text(key: str, version: str, cacheable: bool) -> str:
    storage = get_storage(current_app)
    try:
        return _cache().get(key, version, lambda k: storage.read_bytes(k).decode(), cacheable=cacheable)
    except FileNotFoundError:  # a retry's reset_outputs removed it between our query and the read
        abort(404, message="This playlist is being replaced by a new transcode; load the video again.")


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
        playable = video.playable  # a failed video: its status and error, no link to anything it left behind
        rungs = service.renditions(video) if playable else []
        token, presign = _token(video), _presigner(video)
        poster = service.asset_of(video, "poster") if playable else None
        has_vtt = playable and service.asset_of(video, "thumbnails") is not None
        base = f"/api/streaming/videos/{video.id}"
        return {
            "id": video.id, "title": video.title, "status": video.status, "playable": playable,
            "progress": video.progress, "stage": video.stage, "error": video.error,
            "duration": video.duration, "width": video.width, "height": video.height,
            "poster_url": presign(poster.key) if poster else None,
            "thumbnails_url": _public(f"{base}/thumbnails.vtt?token={token}") if has_vtt else None,
            "master_url": _public(f"{base}/master.m3u8?token={token}") if playable else None,
            "expires_in": int(current_app.config["PLAYBACK_URL_EXPIRY"]),
            "renditions": [r.__dict__ for r in rungs],
        }


@blp.route("/videos/<video_id>/master.m3u8")
class MasterPlaylist(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type=HLS_TYPE)
    @blp.alt_response(404, description="No such video, failed, or nothing playable yet")
    def get(self, args, video_id: str):
        """Master playlist of the published rungs (players pass the playback token)."""
        video, token = _video_for_player(video_id, args["token"])
        rungs = _rungs_to_play(video)
        text = service.master_playlist(rungs, lambda name: f"{name}/index.m3u8?token={token}")
        return _playlist_response(text, growing=not all(r.complete for r in rungs))


@blp.route("/videos/<video_id>/<rung>/index.m3u8")
class VariantPlaylist(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type=HLS_TYPE)
    @blp.alt_response(404, description="No such video or rung, or failed")
    def get(self, args, video_id: str, rung: str):
        """One rung's playlist, every segment URL signed with a short expiry."""
        video, _ = _video_for_player(video_id, args["token"])
        try:
            found = service.rung_named(_rungs_to_play(video), rung)
        except service.NotFound:
            abort(404, message=f"No rung {rung!r} for this video.")
        text = _stored_text(found.key, found.version, cacheable=found.complete)
        folder = found.key.rsplit("/", 1)[0]
        return _playlist_response(service.signed_variant(text, folder, _presigner(video)), growing=not found.complete)


@blp.route("/videos/<video_id>/thumbnails.vtt")
class Thumbnails(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type="text/vtt")
    @blp.alt_response(404, description="No such video, failed, or no thumbnails yet")
    def get(self, args, video_id: str):
        """WebVTT storyboard track for seek-bar previews, sprite URLs signed."""
        video, _ = _video_for_player(video_id, args["token"])
        _rungs_to_play(video)  # the storyboard goes with the ladder: a failed video serves neither
        asset = service.asset_of(video, "thumbnails")
        if asset is None:
            abort(404, message="No thumbnails yet.")
        text = _stored_text(asset.key, service.version_of(asset), cacheable=True)
        folder = asset.key.rsplit("/", 1)[0]
        return _playlist_response(service.signed_thumbnails(text, folder, _presigner(video)), growing=False,
                                  content_type="text/vtt; charset=utf-8")
