"""Generated captions on demand: the owner asks for an auto-generated track of a ready video.

Registered on the gallery blueprint (gallery/api.py imports this file). The track answers as the captions list
shows it (captions_schemas.CaptionSchema), pending, with no URL until its job has made it ready.
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from videoforge.db import get_db, get_session
from videoforge.identity import current_user, require_user
from videoforge.logs import request_id_var
from videoforge.modules.gallery import schemas, service
from videoforge.modules.gallery.api import blp
from videoforge.modules.gallery.captions_schemas import CaptionSchema
from videoforge.modules.gallery.captions_service import TrackView
from videoforge.ports.queue import get_queue


@blp.route("/videos/<video_id>/captions/generate")
class GenerateCaptions(MethodView):
    @require_user
    @blp.arguments(schemas.GenerateCaptionsSchema)
    @blp.response(202, CaptionSchema)
    @blp.alt_response(409, description="Transcription is off, the video is not ready, or that track exists already")
    def post(self, data, video_id: str):
        """Ask for an auto-generated caption track of a ready video"""
        caption = service.generate_captions(get_session(), get_db(), get_queue(current_app), current_app.config,
                                            current_user(), video_id, data.get("language"), request_id_var.get())
        return TrackView(caption, None)
