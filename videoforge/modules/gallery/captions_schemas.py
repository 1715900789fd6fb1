"""Caption track request and response shapes (the file itself is checked by webvtt.parse_captions in the service)."""

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from videoforge.lifecycle import CaptionKind, CaptionStatus

KINDS = [kind.value for kind in CaptionKind]


class CaptionSchema(Schema):
    """A `captions_service.TrackView`: the track's own columns (never its storage key), and its signed file URL."""

    id = fields.String(attribute="caption.id")
    language = fields.String(attribute="caption.language", metadata={"description": "BCP 47 tag, e.g. en, pt-BR"})
    label = fields.String(attribute="caption.label", metadata={"description": "What the player's menu shows"})
    kind = fields.String(attribute="caption.kind", metadata={"description": " or ".join(KINDS)})
    generated = fields.Boolean(attribute="caption.generated",
                               metadata={"description": "Made by transcription, not uploaded"})
    status = fields.String(attribute="caption.status",
                           metadata={"description": ", ".join(status.value for status in CaptionStatus)})
    error = fields.String(attribute="caption.error", allow_none=True)
    cue_count = fields.Integer(attribute="caption.cue_count")
    created_at = fields.DateTime(attribute="caption.created_at")
    updated_at = fields.DateTime(attribute="caption.updated_at")
    url = fields.String(allow_none=True, metadata={
        "description": "Signed download URL of the WebVTT file (CAPTION_URL_EXPIRY); null unless ready"})


class CaptionFormSchema(Schema):
    label = fields.String(load_default=None, metadata={
        "description": "At most 100 characters, no quotes; defaults to the language's own name (kept on replace)"})
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS),
                         metadata={"description": "subtitles (default) or captions (kept on replace)"})


class CaptionFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "WebVTT or SRT, UTF-8 (or UTF-16 with a BOM)"})


class CaptionUploadSchema(CaptionFileSchema, CaptionFormSchema):
    """The whole multipart body, for the API docs (the view reads its form fields and file separately)."""
