"""Web client defaults."""

import os

WEB_DIST = os.path.join(os.path.dirname(__file__), "..", "..", "..", "client", "dist")
"""Folder of the built client (index.html and hashed assets)."""
