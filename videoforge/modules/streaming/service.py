"""Streaming service: who may watch, playback info, and signed playlists built from what the processor stored."""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from videoforge import layout
from videoforge.errors import NoSuchVideo, Refusal
from videoforge.languages import LABEL_MAX_LENGTH, UNQUOTABLE, canonical_tag
from videoforge.lifecycle import CaptionKind, CaptionStatus, Status
from videoforge.models import Caption, MediaAsset, User, Video
from videoforge.modules.streaming import tokens
from videoforge.modules.streaming.playlists import sign_playlist, sign_vtt
from videoforge.ports.delivery import Delivery, MediaGrant

_ID = re.compile(r"^[0-9a-f]{32}$")
_RUNG = re.compile(r"^[0-9]{2,4}p[0-9]*$")


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int | None
    height: int | None
    bandwidth: int | None
    codecs: str | None
    complete: bool
    key: str
    version: str
    """Which transcode wrote it: a retry re-creates the row, so the last attempt's cached playlist is never reused."""
    average_bandwidth: int | None = None
    frame_rate: float | None = None


class PasswordRequired(Refusal):
    """A password video this viewer has not unlocked: 403 naming the `password` field, so a player asks for it."""

    code = 403
    description = "This video is password-protected: unlock it with its password to watch it."

    def __init__(self) -> None:
        super().__init__(errors={"password": ["Give this video's password to watch it."]})


def watchable_video(session: Session, video_id: str, viewer: User | None,
                    unlocked: Callable[[Video], bool] = lambda video: False) -> Video:
    """The video if the viewer may watch it (Video.visible_to), or a password video they `unlocked`;
    PasswordRequired for a password video they did not; NoSuchVideo otherwise, so private ones never leak."""
    video = find_video(session, video_id)
    if video is None:
        raise NoSuchVideo()
    if video.visible_to(viewer):
        return video
    if video.locked_for(viewer):
        if unlocked(video):
            return video
        raise PasswordRequired()
    raise NoSuchVideo()


def find_video(session: Session, video_id: str) -> Video | None:
    """The video by its id, whoever asks; None when there is none (or the id could not be one)."""
    return session.get(Video, video_id) if _ID.match(video_id or "") else None


def unlocked_by(config: Mapping[str, Any], token: str | None) -> Callable[[Video], bool]:
    """Whether `token` unlocks a video: an unlock token (unlock.py) of that video at its current access epoch."""
    return lambda video: tokens.check(config["SECRET_KEY"], video.id, video.access_epoch, token,
                                      purpose=tokens.UNLOCK)


def video_for_player(session: Session, config: Mapping[str, Any], video_id: str, token: str | None,
                     viewer: Callable[[], User | None]) -> tuple[Video, str]:
    """The video a player asks for, and the playback token its playlists hand on.

    Players carry the playback token; API callers may use their bearer token instead (`viewer`, asked only when
    the playback token does not grant the video). The token handed on is the one given while it checks (so
    refetching never extends it), else a fresh one."""
    video = video_for_token(session, config["SECRET_KEY"], video_id, token)
    if video is not None:
        return video, token or ""
    video = watchable_video(session, video_id, viewer())
    return video, playback_token(config, video)


def playback_token(config: Mapping[str, Any], video: Video) -> str:
    """A token that lets players fetch the video's playlists for PLAYBACK_URL_EXPIRY, until its access changes."""
    return tokens.issue(config["SECRET_KEY"], video.id, video.access_epoch, int(config["PLAYBACK_URL_EXPIRY"]))


def playback_info(session: Session, delivery: Delivery, config: Mapping[str, Any], base_url: str, video_id: str,
                  viewer: User | None, unlock: str | None = None) -> tuple[dict[str, Any], MediaGrant | None]:
    """What a player needs (PlaybackSchema): status, signed poster, playlist and thumbnail URLs, renditions; and
    the media grant behind the poster URL (its cookies go with the answer), None when nothing is playable.

    A failed video answers its status and error, and no link to anything it left behind. A password video answers
    only its owner, the admins and viewers with its `unlock` token; the playback token in its links is then what
    its playlists ask for."""
    video = watchable_video(session, video_id, viewer, unlocked_by(config, unlock))
    playable = video.playable
    token = playback_token(config, video)
    grant = media_grant(delivery, config, video) if playable else None
    poster = asset_of(video, "poster") if playable else None
    has_thumbnails = playable and asset_of(video, "thumbnails") is not None
    base = f"{base_url}/api/streaming/videos/{video.id}"
    return {
        "id": video.id, "title": video.title, "description": video.description or None, "status": video.status,
        "playable": playable,
        "progress": video.progress, "stage": video.stage, "error": video.error,
        "duration": video.duration, "width": video.width, "height": video.height,
        "poster_url": grant.url(poster.key) if grant and poster else None,
        "thumbnails_url": f"{base}/thumbnails.vtt?token={token}" if has_thumbnails else None,
        "master_url": f"{base}/master.m3u8?token={token}" if playable else None,
        "expires_in": int(config["PLAYBACK_URL_EXPIRY"]),
        "renditions": renditions(video) if playable else [],
        "media_credentials": delivery.credentials,
    }, grant


def media_grant(delivery: Delivery, config: Mapping[str, Any], video: Video) -> MediaGrant:
    """Read access to this video's published objects (one signature for its whole prefix where the delivery can).
    It cannot be recalled once handed out, so it lives only as long as watching this video needs
    (segment_url_expiry)."""
    expiry = segment_url_expiry(video.duration, int(config["PLAYBACK_URL_EXPIRY"]), int(config["SEGMENT_URL_MARGIN"]))
    return delivery.grant(layout.processed_prefix(video.id), expiry)


def rungs_to_play(video: Video) -> list[Rendition]:
    """The rungs to serve, or a 404: whatever a failed video published before failing is never served."""
    if not video.playable:
        raise Refusal(404, "This video failed: there is nothing to play." if video.status == Status.FAILED
                      else "Nothing playable yet: the lowest rung has not been published.")
    return renditions(video)


def video_for_token(session: Session, secret: str, video_id: str, token: str | None) -> Video | None:
    """The video a playback token grants, or None: malformed, expired, signed before an access change, or deleted."""
    if not token or not _ID.match(video_id or ""):
        return None
    video = session.get(Video, video_id)
    if video is None or not tokens.check(secret, video.id, video.access_epoch, token):
        return None
    return video


def version_of(asset: MediaAsset) -> str:
    # The id alone could repeat (SQLite reuses the highest rowid once it is deleted); with its creation time it cannot.
    return f"{asset.id}@{asset.created_at.timestamp() if asset.created_at else ''}"


def renditions(video: Video) -> list[Rendition]:
    """Published rungs, lowest first; a growing rung counts once its playlist exists."""
    found = [Rendition(a.rung, a.width, a.height, a.bitrate, a.codecs, a.complete, a.key, version_of(a),
                       a.average_bitrate, a.frame_rate)
             for a in video.assets if a.kind == "variant"]
    return sorted(found, key=lambda r: (r.bandwidth or 0, r.height or 0))


AUDIO_GROUP = "audio"
"""The group of a chunked transcode's sound (layout.AUDIO, one rendition for the whole video), which every rung
names (processor/chunked.py)."""


def audio_of(video: Video) -> Rendition | None:
    """The video's own audio rendition, if its sound is one (else the sound is muxed into every rung)."""
    asset = asset_of(video, "audio")
    if asset is None:
        return None
    return Rendition(layout.AUDIO, None, None, asset.bitrate, asset.codecs, asset.complete, asset.key,
                     version_of(asset), asset.average_bitrate)


def asset_of(video: Video, kind: str) -> MediaAsset | None:
    """A single asset (poster, storyboard, thumbnails) if the processor made it."""
    return next((a for a in video.assets if a.kind == kind), None)


def segment_url_expiry(duration: float | None, ceiling: int, margin: int) -> int:
    """Seconds a signed segment URL lives: twice the video's length plus `margin`, never past `ceiling`.

    Twice the length lets a viewer pause for as long as the video runs; the margin covers a short clip's pauses.
    An unknown length gets the ceiling.
    """
    if not duration or duration <= 0:
        return int(ceiling)
    return int(min(ceiling, 2 * duration + margin))


def master_playlist(rungs: list[Rendition], variant_url: Callable[[str], str],
                    subtitles: Sequence[Caption] = (), subtitle_url: Callable[[str], str] | None = None,
                    audio: Rendition | None = None) -> str:
    """The master playlist of the published rungs, lowest first; rungs still growing join as they appear; each ready
    caption track a SUBTITLES rendition of the group every rung names; the audio rendition, if the sound is its own,
    the one member of the AUDIO group every rung names (each rung's BANDWIDTH then counts it too, RFC 8216 4.3.4.2).

    The only master there is: the processor stores none, so this one lists exactly the rungs and tracks served,
    each URL carrying the viewer's token."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if subtitles and subtitle_url is not None:
        lines += subtitle_media(subtitles, subtitle_url)
    if audio is not None:
        lines.append(f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="Main",DEFAULT=YES,AUTOSELECT=YES,'
                     f'CHANNELS="2",URI="{variant_url(audio.name)}"')
    sound, sound_average = (audio.bandwidth or 0, audio.average_bandwidth or 0) if audio else (0, 0)
    for rung in rungs:
        attrs = [f"BANDWIDTH={(rung.bandwidth or 1) + sound}"]
        if rung.average_bandwidth:
            attrs.append(f"AVERAGE-BANDWIDTH={rung.average_bandwidth + sound_average}")
        if rung.width and rung.height:
            attrs.append(f"RESOLUTION={rung.width}x{rung.height}")
        if rung.codecs:
            attrs.append(f'CODECS="{rung.codecs}"')
        if rung.frame_rate:
            attrs.append(f"FRAME-RATE={rung.frame_rate:.3f}")
        attrs.append(f'NAME="{rung.name}"')
        if audio is not None:
            attrs.append(f'AUDIO="{AUDIO_GROUP}"')
        if subtitles and subtitle_url is not None:
            attrs.append(f'SUBTITLES="{SUBTITLES_GROUP}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        lines.append(variant_url(rung.name))
    return "\n".join(lines) + "\n"


# --- caption tracks as HLS subtitle renditions ------------------------------------------------------------------------

SUBTITLES_GROUP = "subs"
CAPTIONS_CHARACTERISTICS = ("public.accessibility.transcribes-spoken-dialog,"
                            "public.accessibility.describes-music-and-sound")
"""What Apple's players look for to offer a track as captions for the deaf and hard of hearing (SDH)."""


def subtitle_tracks(video: Video) -> list[Caption]:
    """The video's ready caption tracks, by language, uploaded before generated."""
    return sorted((c for c in video.captions if c.status == CaptionStatus.READY and c.key),
                  key=lambda c: (c.language, c.generated))


def caption_to_play(video: Video, caption_id: str) -> Caption:
    """One ready track of a playable video, or a 404 (a failed video serves no track either)."""
    rungs_to_play(video)
    for caption in subtitle_tracks(video):
        if caption.id == caption_id:
            return caption
    raise Refusal(404, "No such caption track for this video.")


def subtitle_media(tracks: Sequence[Caption], url: Callable[[str], str]) -> list[str]:
    """One EXT-X-MEDIA line per track. Names are unique in the group (RFC 8216 asks it), labels quoted safely, and a
    tag we would not have accepted is left out rather than written."""
    lines, names = [], set()
    for caption in tracks:
        name = _quotable(caption.label) or caption.language
        if name in names:
            name = f"{name} ({caption.language}{', auto' if caption.generated else ''})"
        while name in names:
            name += "'"
        names.add(name)
        attrs = ["TYPE=SUBTITLES", f'GROUP-ID="{SUBTITLES_GROUP}"', f'NAME="{_quotable(name)}"']
        if canonical_tag(caption.language) == caption.language:
            attrs.append(f'LANGUAGE="{caption.language}"')
        attrs += ["DEFAULT=NO", "AUTOSELECT=YES", "FORCED=NO"]
        if caption.kind == CaptionKind.CAPTIONS:
            attrs.append(f'CHARACTERISTICS="{CAPTIONS_CHARACTERISTICS}"')
        attrs.append(f'URI="{url(caption.id)}"')
        lines.append("#EXT-X-MEDIA:" + ",".join(attrs))
    return lines


def subtitle_playlist(video: Video, caption: Caption, url: Callable[[str], str]) -> str:
    """A VOD media playlist of one segment, the track's whole WebVTT file at its granted URL, as long as the video
    (hls.js and Safari take a single WebVTT segment for the whole timeline; the file maps cue time 0 to media time 0,
    webvtt.HLS_TIMESTAMP_MAP)."""
    duration = video.duration if video.duration and video.duration > 0 else 1.0
    return "\n".join([
        "#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{math.ceil(duration)}", "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD", f"#EXTINF:{duration:.3f},", url(caption.key), "#EXT-X-ENDLIST"]) + "\n"


def _quotable(text: str) -> str:
    return UNQUOTABLE.sub("", text or "")[:LABEL_MAX_LENGTH]


def signed_variant(text: str, key: str, url: Callable[[str], str]) -> str:
    """The rung's playlist stored at `key`, with every segment (and init segment) URI made a granted URL."""
    return sign_playlist(text, lambda uri: url(layout.beside(key, uri)))


def signed_thumbnails(text: str, key: str, url: Callable[[str], str]) -> str:
    """The WebVTT thumbnails track stored at `key`, with its sprite references made granted URLs (fragments kept)."""
    return sign_vtt(text, lambda uri: url(layout.beside(key, uri)))


def rendition_to_play(video: Video, name: str) -> Rendition:
    """One published rung (or the audio rendition) of a playable video by name, or a 404."""
    audio = audio_of(video)
    return rung_named(rungs_to_play(video) + ([audio] if audio else []), name)


def rung_named(rungs: list[Rendition], name: str) -> Rendition:
    """One published rung by name, or a 404."""
    if _RUNG.match(name or "") or name == layout.AUDIO:
        for rung in rungs:
            if rung.name == name:
                return rung
    raise Refusal(404, f"No rung {name!r} for this video.")


class PlaylistCache:
    """Finished playlists never change: keep their text in memory (bounded), so only growing ones hit storage."""

    def __init__(self, capacity: int = 512):
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, version: str, load: Callable[[str], str], cacheable: bool) -> str:
        """The text of `key` as written by the transcode `version`; only a finished one is kept."""
        item = (key, version)
        with self._lock:
            if item in self._items:
                self._items.move_to_end(item)
                return self._items[item]
        text = load(key)
        if cacheable:
            with self._lock:
                self._items[item] = text
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        return text
