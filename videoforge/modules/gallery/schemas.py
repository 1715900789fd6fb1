"""Gallery request and response shapes; limits that come from config are checked in the service."""

from marshmallow import Schema, fields, validate

STATUSES = ("awaiting_upload", "queued", "processing", "ready", "failed")
VISIBILITIES = ("public", "unlisted", "private")


class UploadRequestSchema(Schema):
    title = fields.String(load_default=None, metadata={"description": "Defaults to the filename without extension."})
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    size = fields.Integer(required=True, strict=True, metadata={"description": "Exact size of the file in bytes."})
    content_type = fields.String(required=True, validate=validate.Length(max=200))
    description = fields.String(load_default="")
    visibility = fields.String(load_default="private", validate=validate.OneOf(VISIBILITIES))


class VideoSchema(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    visibility = fields.String()
    status = fields.String()
    progress = fields.Float()
    stage = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    duration = fields.Float(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    size = fields.Integer()
    filename = fields.String(metadata={"description": "The uploaded file's name (owners and admins only)."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    poster_url = fields.String(allow_none=True)
    queue_position = fields.Integer(allow_none=True)
    estimated_start_seconds = fields.Float(allow_none=True)
    is_owner = fields.Boolean()
    retryable = fields.Boolean(metadata={"description": "Failed, and a retry may help (false when the file is not a playable video)."})


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
