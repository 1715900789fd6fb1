"""Gallery HTTP API for caption tracks: list a video's tracks, upload (create or replace) one per language, delete
one. Registered on the gallery blueprint (imported at the bottom of api.py)."""

from __future__ import annotations

import functools

from flask import current_app, request
from flask.views import MethodView

from videoforge.db import get_session
from videoforge.identity import current_user, require_user
from videoforge.modules.gallery import captions_service
from videoforge.modules.gallery.api import blp
from videoforge.modules.gallery.captions_schemas import (
    CaptionFileSchema,
    CaptionFormSchema,
    CaptionSchema,
    CaptionUploadSchema,
)
from videoforge.ports.delivery import get_delivery
from videoforge.ports.storage import get_storage

FORM_ALLOWANCE = 64 * 1024
"""Bytes a caption upload's request may hold beyond the file: the multipart framing and the label."""


def caption_sized_body(view):
    """Let this request's body hold a caption file: the app's MAX_CONTENT_LENGTH is sized for JSON. Up to twice
    CAPTION_MAX_BYTES reaches the service, which names the limit; larger bodies stop at the parser (413)."""

    @functools.wraps(view)
    def sized(*args, **kwargs):
        request.max_content_length = 2 * int(current_app.config["CAPTION_MAX_BYTES"]) + FORM_ALLOWANCE
        return view(*args, **kwargs)

    return sized


@blp.route("/videos/<video_id>/captions")
class Captions(MethodView):
    @blp.response(200, CaptionSchema(many=True))
    @blp.alt_response(404, description="No such video, or not yours to see")
    def get(self, video_id: str):
        """The video's caption tracks (public and unlisted ones without signing in)"""
        return captions_service.tracks(get_session(), get_delivery(current_app), current_app.config,
                                       current_user(required=False), video_id)


@blp.route("/videos/<video_id>/captions/<track>", parameters=[{
    "in": "path", "name": "track", "schema": {"type": "string"},
    "description": "PUT: the track's BCP 47 language tag (language[-Script][-REGION], e.g. en, pt-BR, zh-Hant); "
                   "DELETE: the track's id"}])
class CaptionTrack(MethodView):
    @require_user
    @caption_sized_body
    @blp.arguments(CaptionFormSchema, location="form")
    @blp.arguments(CaptionFileSchema, location="files")
    @blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": CaptionUploadSchema}}})
    @blp.response(200, CaptionSchema, description="Replaced")
    @blp.alt_response(201, schema=CaptionSchema, description="Created")
    @blp.alt_response(413, description="The file is larger than CAPTION_MAX_BYTES")
    @blp.alt_response(422, description="Not WebVTT or SRT, or a line of it is wrong: the message names the line")
    def put(self, form, files, video_id: str, track: str):
        """Upload the caption track of a language (WebVTT or SRT), replacing the uploaded one"""
        upload = files["file"]
        view, created = captions_service.put_track(
            get_session(), get_storage(current_app), get_delivery(current_app), current_app.config, current_user(),
            video_id, track, upload.stream, upload.filename or "", form.get("label"), form.get("kind"))
        return view, 201 if created else 200

    @require_user
    @blp.response(204)
    @blp.alt_response(409, description="A generated track still being made")
    def delete(self, video_id: str, track: str):
        """Delete a caption track (its file and its cues)"""
        captions_service.delete_track(get_session(), get_storage(current_app), current_user(), video_id, track)
