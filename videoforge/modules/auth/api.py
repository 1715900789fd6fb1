"""Local identity provider HTTP API."""

from flask_smorest import Blueprint

blp = Blueprint("auth", __name__, description="Local sign-up, sign-in and tokens")
