"""Streaming schemas: playback info and its renditions."""

from marshmallow import Schema, fields, validate

from videoforge.modules.streaming.tokens import MAX_LENGTH


class RenditionSchema(Schema):
    name = fields.String(metadata={"example": "720p"})
    width = fields.Integer()
    height = fields.Integer()
    bandwidth = fields.Integer(metadata={"description": "Peak bits per second"})
    codecs = fields.String(allow_none=True)
    complete = fields.Boolean(metadata={"description": "False while the rung is still growing"})


class PlaybackSchema(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "awaiting_upload, queued, processing, ready or failed"})
    playable = fields.Boolean(metadata={"description": "True once the lowest rung is out, and never when failed"})
    progress = fields.Float()
    stage = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    duration = fields.Float(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    poster_url = fields.String(allow_none=True)
    thumbnails_url = fields.String(allow_none=True)
    master_url = fields.String(allow_none=True)
    expires_in = fields.Integer(metadata={"description": "Seconds the playback token stays valid (unless revoked)"})
    renditions = fields.List(fields.Nested(RenditionSchema))
    media_credentials = fields.Boolean(metadata={
        "description": "True when segment, poster and sprite requests must carry cookies (signed-cookie CDN "
                       "delivery): players send them with credentials"})


class PlaylistQuerySchema(Schema):
    token = fields.String(load_default=None, validate=validate.Length(max=MAX_LENGTH),
                          metadata={"description": "Playback token from the playback info"})


class PlaybackQuerySchema(Schema):
    unlock = fields.String(load_default=None, validate=validate.Length(max=MAX_LENGTH), metadata={
        "description": "A password video's unlock token (POST .../unlock); its owner and admins need none"})


class UnlockSchema(Schema):
    # Bounded here only against abuse; passwords.MAX_LENGTH (256) decides, and a longer one is simply wrong.
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class UnlockedSchema(Schema):
    unlock_token = fields.String(metadata={
        "description": "Pass as `unlock` to the playback info; ends with expires_in, or at once on a new password"})
    expires_in = fields.Integer(metadata={"description": "Seconds the unlock token stays valid (unless revoked)"})
