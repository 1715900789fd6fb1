"""Streaming HTTP API: playback info, and playlists whose media URLs are signed for direct fetches from storage."""

from __future__ import annotations

from flask import Response, after_this_request, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from videoforge.db import get_session
from videoforge.identity import current_user
from videoforge.modules.streaming import service, unlock
from videoforge.modules.streaming.schemas import (
    PlaybackQuerySchema,
    PlaybackSchema,
    PlaylistQuerySchema,
    UnlockedSchema,
    UnlockSchema,
)
from videoforge.ports.delivery import MediaGrant, get_delivery
from videoforge.ports.storage import get_storage
from videoforge.urls import public_url

blp = Blueprint("streaming", __name__, description="Playback info and signed HLS playlists")
HLS_TYPE = "application/vnd.apple.mpegurl"


def _video_for_player(video_id: str, token: str | None):
    return service.video_for_player(get_session(), current_app.config, video_id, token,
                                    viewer=lambda: current_user(required=False))


def _grant(video) -> MediaGrant:
    """The viewer's read access to the video's media; its cookies (signed-cookie delivery) go with the answer."""
    grant = service.media_grant(get_delivery(current_app), current_app.config, video)
    _send_cookies(grant)
    return grant


def _send_cookies(grant: MediaGrant | None) -> None:
    if grant is None or not grant.cookies:
        return

    @after_this_request
    def set_cookies(response: Response) -> Response:
        for cookie in grant.cookies:
            # HttpOnly: only the browser's own media requests need them; Lax: the CDN shares the app's site.
            response.set_cookie(cookie.name, cookie.value, max_age=cookie.max_age, path=cookie.path,
                                domain=cookie.domain, secure=cookie.secure, httponly=True, samesite="Lax")
        return response


def _stored_text(key: str, version: str, cacheable: bool) -> str:
    storage = get_storage(current_app)
    try:
        return _cache().get(key, version, lambda k: storage.read_bytes(k).decode(), cacheable=cacheable)
    except FileNotFoundError:  # a retry's reset_outputs removed it between our query and the read
        abort(404, message="This playlist is being replaced by a new transcode; load the video again.")


def _cache() -> service.PlaylistCache:
    """Per app, so two apps in one process (tests) never share playlists."""
    return current_app.extensions.setdefault("videoforge.playlist_cache", service.PlaylistCache())


def _playlist_response(text: str, growing: bool, content_type: str = HLS_TYPE, fresh: bool = False) -> Response:
    response = Response(text, content_type=content_type)
    # private: no shared cache may keep signed URLs; short max-age: never outlives the signatures.
    if fresh:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = "private, max-age=2" if growing else "private, max-age=60"
    return response


@blp.route("/videos/<video_id>")
class PlaybackInfo(MethodView):
    @blp.arguments(PlaybackQuerySchema, location="query")
    @blp.response(200, PlaybackSchema)
    @blp.alt_response(403, description="A password video not unlocked (errors name `password`)")
    @blp.alt_response(404, description="No such video, or not yours to watch")
    def get(self, args, video_id: str):
        """Playback info: status, signed poster, playlist and thumbnail URLs, renditions."""
        info, grant = service.playback_info(get_session(), get_delivery(current_app), current_app.config,
                                            public_url(), video_id, current_user(required=False), args["unlock"])
        _send_cookies(grant)
        return info


@blp.route("/videos/<video_id>/unlock")
class Unlock(MethodView):
    @blp.arguments(UnlockSchema)
    @blp.response(200, UnlockedSchema)
    @blp.alt_response(403, description="Wrong password")
    @blp.alt_response(404, description="No such video")
    @blp.alt_response(409, description="The video needs no password")
    @blp.alt_response(429, description="Too many wrong passwords for this video or from this client; see Retry-After")
    def post(self, data, video_id: str):
        """Give a password video's password: an unlock token for its playback info"""
        return unlock.unlock(get_session(), current_app.config, video_id, data["password"], request.remote_addr)


@blp.route("/videos/<video_id>/master.m3u8")
class MasterPlaylist(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type=HLS_TYPE)
    @blp.alt_response(404, description="No such video, failed, or nothing playable yet")
    def get(self, args, video_id: str):
        """Master playlist of the published rungs (players pass the playback token)."""
        video, token = _video_for_player(video_id, args["token"])
        rungs = service.rungs_to_play(video)
        text = service.master_playlist(rungs, lambda name: f"{name}/index.m3u8?token={token}",
                                       service.subtitle_tracks(video),
                                       lambda caption_id: f"captions/{caption_id}/index.m3u8?token={token}",
                                       service.audio_of(video))
        # Never kept: the master lists caption tracks too, which the owner may add or remove at any moment.
        return _playlist_response(text, growing=not all(r.complete for r in rungs), fresh=True)


@blp.route("/videos/<video_id>/captions/<caption_id>/index.m3u8")
class SubtitlePlaylist(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type=HLS_TYPE)
    @blp.alt_response(404, description="No such video or ready caption track, or failed")
    def get(self, args, video_id: str, caption_id: str):
        """A caption track's playlist: one segment, its WebVTT file at a signed URL."""
        video, _ = _video_for_player(video_id, args["token"])
        caption = service.caption_to_play(video, caption_id)
        return _playlist_response(service.subtitle_playlist(video, caption, _grant(video).url), growing=False)


@blp.route("/videos/<video_id>/<rung>/index.m3u8")
class VariantPlaylist(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type=HLS_TYPE)
    @blp.alt_response(404, description="No such video or rung, or failed")
    def get(self, args, video_id: str, rung: str):
        """One rung's playlist, every segment URL signed with a short expiry."""
        video, _ = _video_for_player(video_id, args["token"])
        found = service.rendition_to_play(video, rung)
        text = _stored_text(found.key, found.version, cacheable=found.complete)
        return _playlist_response(service.signed_variant(text, found.key, _grant(video).url),
                                  growing=not found.complete)


@blp.route("/videos/<video_id>/thumbnails.vtt")
class Thumbnails(MethodView):
    @blp.arguments(PlaylistQuerySchema, location="query")
    @blp.response(200, content_type="text/vtt")
    @blp.alt_response(404, description="No such video, failed, or no thumbnails yet")
    def get(self, args, video_id: str):
        """WebVTT storyboard track for seek-bar previews, sprite URLs signed."""
        video, _ = _video_for_player(video_id, args["token"])
        service.rungs_to_play(video)  # the storyboard goes with the ladder: a failed video serves neither
        asset = service.asset_of(video, "thumbnails")
        if asset is None:
            abort(404, message="No thumbnails yet.")
        text = _stored_text(asset.key, service.version_of(asset), cacheable=True)
        return _playlist_response(service.signed_thumbnails(text, asset.key, _grant(video).url), growing=False,
                                  content_type="text/vtt; charset=utf-8")
