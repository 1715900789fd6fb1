"""Gallery HTTP API for a video's original file: the owner downloads it, or replaces it keeping the video.

API keys: downloading needs `read` (the default for a GET); replacing needs `manage` (it changes what the video is
and deletes the old file), its GET included, as it hands out write URLs."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from videoforge.db import get_db, get_session
from videoforge.identity import api_key_scope, current_user, require_user, require_verified_email
from videoforge.identity.api_keys import Scope
from videoforge.logs import request_id_var
from videoforge.modules.gallery import originals, schemas
from videoforge.modules.gallery.api import blp
from videoforge.modules.gallery.originals_schemas import DownloadSchema, ReplaceRequestSchema, ReplaceStateSchema
from videoforge.ports.delivery import get_delivery
from videoforge.ports.queue import get_queue
from videoforge.ports.storage import get_storage


@blp.route("/videos/<video_id>/download")
class Download(MethodView):
    @require_user
    @blp.response(200, DownloadSchema)
    @blp.alt_response(403, description="Not the owner (nor an admin)")
    @blp.alt_response(404, description="No such video, or not yours to see")
    @blp.alt_response(409, description="The file has not been uploaded yet")
    def get(self, video_id: str):
        """A short-lived link that downloads the video's original file (its owner and admins)"""
        return originals.download(get_session(), get_storage(current_app), current_app.config, current_user(),
                                  video_id)


@blp.route("/videos/<video_id>/replace")
class Replace(MethodView):
    @require_verified_email
    @blp.arguments(ReplaceRequestSchema)
    @blp.response(201, schemas.UploadCreatedSchema)
    @blp.alt_response(409, description="The video is awaiting upload, queued or processing")
    def post(self, data, video_id: str):
        """Start replacing the video's file: signed URLs to send the new one to"""
        return originals.start_replacement(get_session(), get_storage(current_app), get_delivery(current_app),
                                           current_app.config, current_user(), video_id, data)

    @api_key_scope(Scope.MANAGE)  # a GET, but it hands out URLs that write the video's new file
    @require_user
    @blp.response(200, ReplaceStateSchema)
    def get(self, video_id: str):
        """Which file is being sent and which of its parts arrived, with fresh URLs for the rest"""
        return originals.replacement_state(get_session(), get_storage(current_app), get_delivery(current_app),
                                           current_app.config, current_user(), video_id)

    @require_user
    @blp.response(204)
    def delete(self, video_id: str):
        """Give up replacing: the new file's bytes are removed, the video stays as it is"""
        originals.cancel_replacement(get_session(), get_storage(current_app), current_user(), video_id)


@blp.route("/videos/<video_id>/replace/confirm")
class ReplaceConfirm(MethodView):
    @require_user
    @blp.arguments(schemas.ConfirmSchema)
    @blp.response(202, schemas.VideoSchema)
    @blp.alt_response(409, description="Bytes missing or of another size, or the video changed meanwhile")
    def post(self, data, video_id: str):
        """Confirm the new file arrived: it becomes the original and its transcode is queued"""
        return originals.confirm_replacement(get_session(), get_db(), get_storage(current_app),
                                             get_delivery(current_app), get_queue(current_app), current_app.config,
                                             current_user(), video_id, data.get("parts"), request_id_var.get())
