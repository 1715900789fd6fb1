"""Shapes of the original file's download and replace (gallery/originals.py); the replace's upload plan and state
are the upload's own (schemas.UploadCreatedSchema, UploadStateSchema)."""

from marshmallow import Schema, fields, validate


class DownloadSchema(Schema):
    url = fields.String(metadata={
        "description": "Signed link to the original; the store answers Content-Disposition: attachment with "
                       "`filename`. Valid for expires_in seconds (a download under way goes on)."})
    filename = fields.String(metadata={"description": "The name the file is saved under (title and extension)"})
    size = fields.Integer(metadata={"description": "Bytes"})
    expires_in = fields.Integer()


class ReplaceRequestSchema(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    size = fields.Integer(required=True, strict=True, metadata={"description": "Exact size of the file in bytes."})
    content_type = fields.String(required=True, validate=validate.Length(max=200))
