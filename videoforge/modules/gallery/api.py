"""Gallery HTTP API: uploads, confirm, the library."""

from flask_smorest import Blueprint

blp = Blueprint("gallery", __name__, description="Uploads and the video library")
