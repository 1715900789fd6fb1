"""Web client defaults."""

import os

WEB_DIST = os.path.join(os.path.dirname(__file__), "..", "..", "..", "client", "dist")
"""Folder of the built client (index.html, embed.html and hashed assets)."""
SITE_NAME = "VideoForge"
"""The site's name in link previews (og:site_name) and oEmbed answers (provider_name)."""
PREVIEW_IMAGE_URL_EXPIRY = 7 * 24 * 3600
"""Seconds a poster URL in a link preview or oEmbed answer stays valid: chat apps and social sites fetch it when a
link is first shared and keep their own copy. At most 7 days (the longest a SigV4 presign lives): more is taken as 7."""
