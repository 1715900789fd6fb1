"""Gallery request and response shapes; limits that come from config are checked in the service."""

from marshmallow import Schema, fields, post_dump, validate

from videoforge.lifecycle import Status, Visibility

STATUSES = [status.value for status in Status]
VISIBILITIES = [visibility.value for visibility in Visibility]


class UploadRequestSchema(Schema):
    title = fields.String(load_default=None, metadata={"description": "Defaults to the filename without extension."})
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    size = fields.Integer(required=True, strict=True, metadata={"description": "Exact size of the file in bytes."})
    content_type = fields.String(required=True, validate=validate.Length(max=200))
    description = fields.String(load_default="")
    visibility = fields.String(load_default=Visibility.PRIVATE.value, validate=validate.OneOf(VISIBILITIES))


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
    estimated_start_seconds = fields.Float(allow_none=True)
    is_owner = fields.Boolean()

    @post_dump
    def _filename_for_owners_only(self, data, **kwargs):
        if data.get("filename") is None:  # the view withheld it: the key is left out, not null
            data.pop("filename", None)
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


class VideoQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class UploadRulesSchema(Schema):
    allowed_extensions = fields.List(fields.String(), metadata={"description": "File endings accepted, lower case"})
    allowed_content_types = fields.List(fields.String(), metadata={"description": "Declared media types accepted"})
    title_max_length = fields.Integer()
    description_max_length = fields.Integer()
    upload_max_size = fields.Integer(metadata={"description": "Largest upload in bytes"})
