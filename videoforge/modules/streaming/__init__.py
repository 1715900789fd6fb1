"""Streaming module: access-checked playback info and signed HLS playlists.

Access rules, each with one home:
- Who may watch is `Video.visible_to` (the gallery asks the same method). What may be served is `Video.playable`:
  ready, or queued/processing with its lowest rung published; never failed. A failed video's master, variant
  playlists and thumbnails answer 404 at once, whatever it published before failing.
- A playback token (`tokens.py`) binds the video id, the video's `access_epoch` and an expiry. The gallery bumps the
  epoch on every change of visibility, so playlist links handed out before stop at once (404); deleting the row
  ends them too. Fresh links come from the playback info.
- A password video (`unlock.py`) gives its playback info to its owner, the admins, and viewers holding an unlock
  token, got by giving its password (throttled); anyone else gets a 403 naming the password. Its playlists need the
  playback token that info hands out, and a new password revokes both kinds of token at once.
- Media (segments, init segments, poster, sprites) is fetched with a grant from the delivery port
  (`ports/delivery`): one signature for the video's whole prefix where the delivery can (CloudFront's custom
  policy, the local store's prefix HMAC), one presign per URL on plain S3. A grant cannot be recalled: it outlives a
  revocation by at most its expiry. hls.js fetches a finished (VOD) variant playlist once and then its segments as
  the viewer goes, so the grant must last through the whole viewing, pauses included. It lives twice the video's
  length plus SEGMENT_URL_MARGIN (30 min), capped at PLAYBACK_URL_EXPIRY (4 h): a 3-minute clip's leaked playlist
  is dead after 36 minutes instead of 4 hours, and a 2-hour film still gets 4 hours (one pause as long as the film
  itself). Anyone who could watch could have saved the bytes anyway; the window bounds how long a copied playlist
  keeps working, not what was already fetched.
"""

from videoforge.modules import Module
from videoforge.modules.streaming import config


def _blueprints():
    from videoforge.modules.streaming.api import blp

    return [blp]


module = Module(name="streaming", blueprints=_blueprints, config=config)
