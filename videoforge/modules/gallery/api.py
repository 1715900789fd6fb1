"""Gallery HTTP API: uploads, confirm, the library."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from videoforge.db import get_db, get_session
from videoforge.identity import api_key_scope, current_user, require_user, require_verified_email
from videoforge.identity.api_keys import Scope
from videoforge.logs import request_id_var
from videoforge.modules.gallery import rules, schemas, service
from videoforge.ports.delivery import get_delivery
from videoforge.ports.queue import get_queue
from videoforge.ports.storage import get_storage

blp = Blueprint("gallery", __name__, description="Uploads and the video library")


@blp.route("/uploads")
class Uploads(MethodView):
    @api_key_scope(Scope.UPLOAD)
    @require_verified_email
    @blp.arguments(schemas.UploadRequestSchema)
    @blp.response(201, schemas.UploadCreatedSchema)
    @blp.alt_response(403, description="The account's email address is not verified (AUTH_EMAIL_VERIFICATION)")
    def post(self, data):
        """Create a video and get signed URLs to send its bytes to"""
        return service.start_upload(get_session(), get_storage(current_app), get_delivery(current_app),
                                    current_app.config, current_user(), data)


@blp.route("/upload-rules")
class UploadRules(MethodView):
    @blp.response(200, schemas.UploadRulesSchema)
    def get(self):
        """What an upload may be: file endings, media types, title length, size"""
        return rules.upload_rules(current_app.config)


@blp.route("/uploads/<video_id>")
class UploadById(MethodView):
    @api_key_scope(Scope.UPLOAD)  # a GET, but it hands out URLs that write the video's bytes
    @require_user
    @blp.response(200, schemas.UploadStateSchema)
    def get(self, video_id: str):
        """Which parts arrived, with fresh URLs for the rest"""
        return service.resume_upload(get_session(), get_storage(current_app), get_delivery(current_app),
                                     current_app.config, current_user(), video_id)


@blp.route("/videos/<video_id>/confirm")
class Confirm(MethodView):
    @api_key_scope(Scope.UPLOAD)
    @require_user
    @blp.arguments(schemas.ConfirmSchema)
    @blp.response(202, schemas.VideoSchema)
    def post(self, data, video_id: str):
        """Confirm the bytes arrived and queue the transcode"""
        return service.confirm(get_session(), get_db(), get_storage(current_app), get_delivery(current_app),
                               get_queue(current_app),
                               current_app.config, current_user(), video_id, data.get("parts"), request_id_var.get())


@blp.route("/videos/<video_id>/retry")
class Retry(MethodView):
    @api_key_scope(Scope.UPLOAD)
    @require_user
    @blp.response(202, schemas.VideoSchema)
    def post(self, video_id: str):
        """Queue a failed video again"""
        return service.retry(get_session(), get_db(), get_delivery(current_app), get_queue(current_app),
                             current_app.config, current_user(), video_id, request_id_var.get())


@blp.route("/videos")
class Videos(MethodView):
    @require_user
    @blp.arguments(schemas.VideoQueryArgsSchema, location="query")
    @blp.response(200, schemas.VideoSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """My videos, newest first, or those matching `q`, best first"""
        videos, pagination_parameters.item_count = service.library(
            get_session(), get_delivery(current_app), current_app.config, current_user(), args.get("status"),
            pagination_parameters.page, pagination_parameters.page_size, args.get("q"))
        return videos


@blp.route("/public")
class PublicVideos(MethodView):
    @blp.arguments(schemas.SearchArgsSchema, location="query")
    @blp.response(200, schemas.VideoSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Public videos ready to watch, newest first, or those matching `q`, best first"""
        videos, pagination_parameters.item_count = service.public_library(
            get_session(), get_delivery(current_app), current_app.config, current_user(required=False),
            pagination_parameters.page, pagination_parameters.page_size, args.get("q"))
        return videos


@blp.route("/videos/<video_id>")
class VideoById(MethodView):
    @blp.response(200, schemas.VideoSchema)
    def get(self, video_id: str):
        """One video (public and unlisted ones without signing in)"""
        return service.show(get_session(), get_delivery(current_app), current_app.config, current_user(required=False),
                            video_id)

    @require_user
    @blp.arguments(schemas.VideoPatchSchema)
    @blp.response(200, schemas.VideoSchema)
    def patch(self, data, video_id: str):
        """Change title, description, visibility or the sites allowed to embed it"""
        return service.edit(get_session(), get_delivery(current_app), current_app.config, current_user(), video_id,
                            data)

    @require_user
    @blp.response(204)
    def delete(self, video_id: str):
        """Delete a video, its upload and every processed output"""
        service.delete(get_session(), get_storage(current_app), current_user(), video_id)


# Caption tracks, generated captions and the original file live in their own files; importing them registers their
# routes on `blp`.
from videoforge.modules.gallery import captions_api, originals_api, transcripts_api  # noqa: E402, F401
