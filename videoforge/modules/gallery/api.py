"""Gallery HTTP API: uploads, confirm, the library."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.http import HTTP_STATUS_CODES

from videoforge import waiting
from videoforge.db import get_db, get_session
from videoforge.errors import error_body
from videoforge.identity import current_user, require_user
from videoforge.logs import request_id_var
from videoforge.models import User, Video
from videoforge.modules.gallery import schemas, service
from videoforge.modules.gallery.rules import GalleryError
from videoforge.ports.queue import get_queue
from videoforge.ports.storage import get_storage

blp = Blueprint("gallery", __name__, description="Uploads and the video library")


@blp.errorhandler(GalleryError)
def gallery_error(exc: GalleryError):
    response = jsonify(error_body(exc.status, HTTP_STATUS_CODES.get(exc.status, "Error"), exc.message, exc.errors))
    response.status_code = exc.status
    return response


def present(video: Video, viewer: User | None) -> dict[str, Any]:
    """The Video JSON for this viewer: never the owner's identity, never storage keys."""
    is_owner = viewer is not None and viewer.id == video.owner_id
    poster = next((a for a in video.assets if a.kind == "poster"), None)
    poster_url = None
    if poster is not None:
        poster_url = get_storage(current_app).presign_get(poster.key, int(current_app.config["POSTER_URL_EXPIRY"]))
    body = {
        "id": video.id, "title": video.title, "description": video.description, "visibility": video.visibility,
        "status": video.status, "progress": video.progress, "stage": video.stage, "error": video.error,
        "duration": video.duration, "width": video.width, "height": video.height, "size": video.source_size,
        "created_at": video.created_at, "updated_at": video.updated_at, "poster_url": poster_url,
        "queue_position": None, "estimated_start_seconds": None,
        "is_owner": is_owner,
        "retryable": video.retryable,
    }
    if video.status == "queued":
        session = get_session()
        position = body["queue_position"] = waiting.queue_position(session, video)
        body["estimated_start_seconds"] = waiting.estimated_start_seconds(session, video, position=position)
    if is_owner or (viewer is not None and viewer.is_admin):
        body["filename"] = video.filename
    return body


@blp.route("/uploads")
class Uploads(MethodView):
    @require_user
    @blp.arguments(schemas.UploadRequestSchema)
    @blp.response(201, schemas.UploadCreatedSchema)
    def post(self, data):
        """Create a video and get signed URLs to send its bytes to"""
        user = current_user()
        video, plan = service.create_upload(get_session(), get_storage(current_app), current_app.config, user, data)
        return {"video": present(video, user), "upload": plan}


@blp.route("/uploads/<video_id>")
class UploadById(MethodView):
    @require_user
    @blp.response(200, schemas.UploadStateSchema)
    def get(self, video_id: str):
        """Which parts arrived, with fresh URLs for the rest"""
        user = current_user()
        video = service.video_for_change(get_session(), video_id, user, owner_only=True)
        state = service.upload_state(get_storage(current_app), current_app.config, video)
        return {"video": present(video, user), **state}


@blp.route("/videos/<video_id>/confirm")
class Confirm(MethodView):
    @require_user
    @blp.arguments(schemas.ConfirmSchema)
    @blp.response(202, schemas.VideoSchema)
    def post(self, data, video_id: str):
        """Confirm the bytes arrived and queue the transcode"""
        user = current_user()
        session = get_session()
        video = service.video_for_change(session, video_id, user, owner_only=True)
        video = service.confirm_upload(session, get_db(), get_storage(current_app), get_queue(current_app), video,
                                       data.get("parts"), request_id_var.get())
        return present(video, user)


@blp.route("/videos/<video_id>/retry")
class Retry(MethodView):
    @require_user
    @blp.response(202, schemas.VideoSchema)
    def post(self, video_id: str):
        """Queue a failed video again"""
        user = current_user()
        session = get_session()
        video = service.video_for_change(session, video_id, user)
        video = service.retry_failed(session, get_db(), get_queue(current_app), video, request_id_var.get())
        return present(video, user)


@blp.route("/videos")
class Videos(MethodView):
    @require_user
    @blp.arguments(schemas.VideoQueryArgsSchema, location="query")
    @blp.response(200, schemas.VideoSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """My videos, newest first"""
        user = current_user()
        rows, total = service.my_videos(get_session(), user, args.get("status"),
                                        pagination_parameters.page, pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return [present(v, user) for v in rows]


@blp.route("/public")
class PublicVideos(MethodView):
    @blp.response(200, schemas.VideoSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Public videos ready to watch, newest first"""
        user = current_user(required=False)
        rows, total = service.public_videos(get_session(), pagination_parameters.page, pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return [present(v, user) for v in rows]


@blp.route("/videos/<video_id>")
class VideoById(MethodView):
    @blp.response(200, schemas.VideoSchema)
    def get(self, video_id: str):
        """One video (public and unlisted ones without signing in)"""
        user = current_user(required=False)
        return present(service.video_for_viewer(get_session(), video_id, user), user)

    @require_user
    @blp.arguments(schemas.VideoPatchSchema)
    @blp.response(200, schemas.VideoSchema)
    def patch(self, data, video_id: str):
        """Change title, description or visibility"""
        user = current_user()
        session = get_session()
        video = service.video_for_change(session, video_id, user)
        return present(service.update_video(session, current_app.config, video, data), user)

    @require_user
    @blp.response(204)
    def delete(self, video_id: str):
        """Delete a video, its upload and every processed output"""
        session = get_session()
        video = service.video_for_change(session, video_id, current_user())
        service.delete_video(session, get_storage(current_app), video)
