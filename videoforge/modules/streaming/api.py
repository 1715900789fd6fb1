"""Streaming HTTP API: playback info and signed playlists."""

from flask_smorest import Blueprint

blp = Blueprint("streaming", __name__, description="Playback info and signed HLS playlists")
