"""Gallery request and response shapes; limits that come from config are checked in the service."""

from marshmallow import Schema, fields, post_dump, validate

from videoforge.embedding import MAX_EMBED_ORIGINS, MAX_ORIGIN_LENGTH
from videoforge.lifecycle import Status, Visibility
from videoforge.modules.gallery.search import MAX_QUERY_LENGTH

STATUSES = [status.value for status in Status]
VISIBILITIES = [visibility.value for visibility in Visibility]
PASSWORD_LENGTH = validate.Length(max=1024)
"""Only against abuse: the service checks VIDEO_PASSWORD_MIN_LENGTH and the KDF's limit (protection.py)."""


class UploadRequestSchema(Schema):
    title = fields.String(load_default=None, metadata={"description": "Defaults to the filename without extension."})
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    size = fields.Integer(required=True, strict=True, metadata={"description": "Exact size of the file in bytes."})
    content_type = fields.String(required=True, validate=validate.Length(max=200))
    description = fields.String(load_default="")
    visibility = fields.String(load_default=Visibility.PRIVATE.value, validate=validate.OneOf(VISIBILITIES))
    password = fields.String(load_default=None, allow_none=True, load_only=True, validate=PASSWORD_LENGTH, metadata={
        "description": "With visibility `password`: what viewers must give to watch (never returned)."})
    auto_captions = fields.Boolean(load_default=None, metadata={
        "description": "Transcribe the audio into an auto-generated caption track once the video is ready "
                       "(default: the server's AUTO_CAPTIONS; refused when transcription is off)."})
    caption_language = fields.String(load_default=None, validate=validate.Length(max=35), metadata={
        "description": "BCP 47 tag of the spoken language for auto_captions, e.g. en, pt-BR (default: the server's "
                       "AUTO_CAPTIONS_LANGUAGE)."})


class MatchSchema(Schema):
    """Where a search result matched: its best cue (link to `?t=<start>`), or only its title and description."""

    start = fields.Float(allow_none=True, metadata={
        "description": "Seconds into the video of the best matching cue; null when only the title or description "
                       "matched."})
    text = fields.String(allow_none=True, metadata={"description": "That cue's text (null without a cue)."})
    language = fields.String(allow_none=True, metadata={
        "description": "BCP 47 tag of that cue's caption track (null without a cue)."})


class ChunksSchema(Schema):
    total = fields.Integer(metadata={"description": "Chunks the ladder was cut into"})
    done = fields.Integer(metadata={"description": "Chunks published"})
    workers = fields.Integer(metadata={"description": "Workers that took a chunk"})


class VideoSchema(Schema):
    """A `service.VideoView`: the video's own columns (never its owner or storage keys), then what its page
    computed for this viewer."""

    id = fields.String(attribute="video.id")
    title = fields.String(attribute="video.title")
    description = fields.String(attribute="video.description")
    visibility = fields.String(attribute="video.visibility")
    status = fields.String(attribute="video.status")
    progress = fields.Float(attribute="video.progress")
    stage = fields.String(attribute="video.stage", allow_none=True)
    error = fields.String(attribute="video.error", allow_none=True)
    duration = fields.Float(attribute="video.duration", allow_none=True)
    width = fields.Integer(attribute="video.width", allow_none=True)
    height = fields.Integer(attribute="video.height", allow_none=True)
    size = fields.Integer(attribute="video.source_size")
    created_at = fields.DateTime(attribute="video.created_at")
    updated_at = fields.DateTime(attribute="video.updated_at")
    retryable = fields.Boolean(attribute="video.retryable", metadata={
        "description": "Failed, and a retry may help (false when the file is not a playable video)."})
    filename = fields.String(metadata={"description": "The uploaded file's name (owners and admins only)."})
    poster_url = fields.String(allow_none=True)
    queue_position = fields.Integer(allow_none=True)
    chunks = fields.Nested(ChunksSchema, allow_none=True, metadata={
        "description": "A long video transcoded in chunks by the worker group: how far (null: one job)."})
    estimated_start_seconds = fields.Float(allow_none=True)
    is_owner = fields.Boolean()
    locked = fields.Boolean(metadata={
        "description": "A password video this viewer has not unlocked: only its title is shown (no description, "
                       "poster or error) until streaming's unlock."})
    embed_origins = fields.List(fields.String(), attribute="video.embed_origins", allow_none=True, metadata={
        "description": "Sites allowed to frame the video's embed page; null: any site."})
    match = fields.Nested(MatchSchema, metadata={
        "description": "Only in a list searched with `q`: where this video matched it."})

    @post_dump
    def _filename_for_owners_only(self, data, **kwargs):
        if data.get("filename") is None:  # the view withheld it: the key is left out, not null
            data.pop("filename", None)
        return data

    @post_dump
    def _title_only_when_locked(self, data, **kwargs):
        if data.get("locked"):
            data.update(description="", error=None, poster_url=None)
            # The owner's list of sites is theirs: a locked video has no embed page to frame, and the list would
            # tell a stranger where its owner publishes. Left out, as `filename` is (null would mean "any site").
            data.pop("embed_origins", None)
        return data

    @post_dump
    def _match_for_searches_only(self, data, **kwargs):
        if data.get("match") is None:  # not a search: the key is left out, as before search existed
            data.pop("match", None)
        return data


class PutPlanSchema(Schema):
    method = fields.String()
    url = fields.String()
    headers = fields.Dict(keys=fields.String(), values=fields.String())
    expires_in = fields.Integer()


class PartUrlSchema(Schema):
    number = fields.Integer()
    url = fields.String()


class MultipartPlanSchema(Schema):
    upload_id = fields.String()
    part_size = fields.Integer()
    parts = fields.List(fields.Nested(PartUrlSchema))


class UploadPlanSchema(PutPlanSchema):
    """Either method/url/headers (one PUT) or multipart."""

    multipart = fields.Nested(MultipartPlanSchema)


class UploadCreatedSchema(Schema):
    video = fields.Nested(VideoSchema)
    upload = fields.Nested(UploadPlanSchema)


class ReceivedPartSchema(Schema):
    number = fields.Integer()
    etag = fields.String()
    size = fields.Integer()


class UploadStateSchema(Schema):
    video = fields.Nested(VideoSchema)
    upload = fields.Nested(UploadPlanSchema, allow_none=True,
                           metadata={"description": "Fresh URLs; null once the upload is confirmed."})
    parts = fields.List(fields.Nested(ReceivedPartSchema))
    missing_parts = fields.List(fields.Integer())
    received_bytes = fields.Integer()


class ConfirmPartSchema(Schema):
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10_000))
    etag = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ConfirmSchema(Schema):
    parts = fields.List(fields.Nested(ConfirmPartSchema), load_default=None,
                        metadata={"description": "Each part's number and the ETag storage answered with."})


class VideoPatchSchema(Schema):
    title = fields.String()
    description = fields.String()
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    password = fields.String(allow_none=True, load_only=True, validate=PASSWORD_LENGTH, metadata={
        "description": "Set or change the password of a video whose visibility is (or becomes) `password`; every "
                       "unlock given before stops. Never returned. To remove it, choose another visibility."})
    embed_origins = fields.List(
        fields.String(validate=validate.Length(max=MAX_ORIGIN_LENGTH)), allow_none=True,
        validate=validate.Length(max=MAX_EMBED_ORIGINS), metadata={"description": (
            "Sites allowed to show the video in a frame (its /embed page), each `https://host[:port]`; null: any "
            "site, []: none. Only public and unlisted videos have an embed page.")})


class SearchArgsSchema(Schema):
    q = fields.String(validate=validate.Length(max=MAX_QUERY_LENGTH), metadata={"description": (
        "Search titles, descriptions and caption text; results best first, each with `match`. Every word must "
        "appear (the last also as a prefix); punctuation and operators are plain separators. Blank: no search.")})


class VideoQueryArgsSchema(SearchArgsSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class UploadRulesSchema(Schema):
    allowed_extensions = fields.List(fields.String(), metadata={"description": "File endings accepted, lower case"})
    allowed_content_types = fields.List(fields.String(), metadata={"description": "Declared media types accepted"})
    title_max_length = fields.Integer()
    description_max_length = fields.Integer()
    upload_max_size = fields.Integer(metadata={"description": "Largest upload in bytes"})


class GenerateCaptionsSchema(Schema):
    language = fields.String(load_default=None, validate=validate.Length(max=35), metadata={
        "description": "BCP 47 tag of the spoken language, e.g. en, pt-BR (default: AUTO_CAPTIONS_LANGUAGE)."})
