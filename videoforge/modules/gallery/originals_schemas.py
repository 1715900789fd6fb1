"""Shapes of the original file's download and replace (gallery/originals.py); the replace's upload plan is the
upload's own (schemas.UploadCreatedSchema), its state the upload's with the file it declared."""

from marshmallow import Schema, fields, validate

from videoforge.modules.gallery.schemas import UploadStateSchema


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


class ReplaceStateSchema(UploadStateSchema):
    """The upload's state, and which file the open replace declared: a client resuming after a reload checks it is
    the file it holds before sending the missing parts."""

    filename = fields.String(allow_none=True, metadata={"description": "The new file's name; null when none is open."})
    size = fields.Integer(allow_none=True, metadata={"description": "The new file's bytes; null when none is open."})
