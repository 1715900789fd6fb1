"""Where every object lives in the store: the one place an object key is spelled.

    uploads/{owner_id}/{video_id}/source             the original, as uploaded (a multipart upload's parts are
                                                     the store's own business until it completes)
    uploads/{owner_id}/{video_id}/{r}/source         a file that replaces it ({r}: fresh per replace); the one
                                                     before is deleted once the new one is confirmed
    processed/{video_id}/takes/{take}/{rung}/index.m3u8   a rung's media playlist, beside its init segment (`audio`
                                                     instead of a rung: a chunked transcode's sound, one rendition)
    processed/{video_id}/takes/{take}/{rung}/init.mp4,    and media segments (their names are ffmpeg's)
                                           seg_*.m4s
    processed/{video_id}/takes/{take}/poster.jpg
    processed/{video_id}/takes/{take}/storyboard.jpg      the seek-bar sprite ...
    processed/{video_id}/takes/{take}/storyboard.vtt      ... and the WebVTT track that names it
    processed/{video_id}/captions/{track}.vtt        caption tracks ({track}: the row's id and a fresh take per
                                                     version, captions.store_track)
    transcripts/{job}/audio.wav, transcript.json     Amazon Transcribe's input and output for one generated
                                                     track, deleted when the job has read them

A take is one transcode's outputs, named afresh each time one starts (`new_take`); a new transcode removes the
takes before it (`takes_prefix`) and nothing else, so caption tracks outlive a re-transcode. A retry never writes a new
segment where an old one was, so no cache (a CDN edge, a browser) that kept a published file for a long time can
ever serve the last attempt's bytes under this attempt's name: every published object is immutable.

No master playlist is stored: streaming writes it from the rung rows on each request, so it can sign every
variant URL and list only the rungs published so far. A URI inside a stored playlist or track is relative to the
folder of the object that names it (`beside`). Deleting a video deletes its two prefixes.
"""

from __future__ import annotations

import secrets

RUNG_PLAYLIST = "index.m3u8"
AUDIO = "audio"
"""The folder (and rendition name) of a chunked transcode's sound, beside the rungs' (processor/chunked.py)."""
POSTER = "poster.jpg"
STORYBOARD_SPRITE = "storyboard.jpg"
STORYBOARD_TRACK = "storyboard.vtt"


def upload_prefix(owner_id: str, video_id: str) -> str:
    """Everything an upload stored (ends in `/`, so no other video's prefix matches it)."""
    return f"uploads/{owner_id}/{video_id}/"


def source_key(owner_id: str, video_id: str) -> str:
    """Where an upload's bytes go; user filenames never become part of a key."""
    return upload_prefix(owner_id, video_id) + "source"


def upload_folder_of(source_key: str) -> str:
    """The folder a video's original, and every file replacing it, is in (`uploads/{owner_id}/{video_id}/`), found
    from the key the video holds: a video handed to another owner keeps its files where they are."""
    return "/".join(source_key.split("/")[:3]) + "/"


def replacement_key(source_key: str) -> str:
    """Where a file replacing the video's original (`source_key`) goes: a fresh folder in the same upload folder.

    Never the same key: a transcode may still be reading the original, and the local store refuses writes to a
    confirmed (sealed) key. Never a key another source key is a prefix of, so deleting one file by its key
    (`delete_prefix(key)`) deletes no other."""
    return f"{upload_folder_of(source_key)}{secrets.token_hex(4)}/source"


def processed_prefix(video_id: str) -> str:
    """Everything a transcode published (ends in `/`)."""
    return f"processed/{video_id}/"


def new_take() -> str:
    """A fresh name for one transcode's outputs (8 hex digits; the video id already makes it unique)."""
    return secrets.token_hex(4)


def takes_prefix(video_id: str) -> str:
    """Every transcode's outputs, and nothing else of the video's (ends in `/`)."""
    return f"{processed_prefix(video_id)}takes/"


def take_prefix(video_id: str, take: str) -> str:
    """Everything one transcode published (ends in `/`)."""
    return f"{takes_prefix(video_id)}{take}/"


def take_of(key: str) -> str:
    """The take a published object's key names (processed/{video}/takes/{take}/...); "" for any other key."""
    parts = key.split("/")
    return parts[3] if len(parts) > 4 and parts[0] == "processed" and parts[2] == "takes" else ""


def rung_file(video_id: str, take: str, rung: str, name: str) -> str:
    """A file of one rung: its playlist, init segment or a media segment."""
    return f"{take_prefix(video_id, take)}{rung}/{name}"


def rung_playlist(video_id: str, take: str, rung: str) -> str:
    return rung_file(video_id, take, rung, RUNG_PLAYLIST)


def poster(video_id: str, take: str) -> str:
    return take_prefix(video_id, take) + POSTER


def storyboard_sprite(video_id: str, take: str) -> str:
    return take_prefix(video_id, take) + STORYBOARD_SPRITE


def storyboard_track(video_id: str, take: str) -> str:
    return take_prefix(video_id, take) + STORYBOARD_TRACK


def artwork(video_id: str, take: str) -> dict[str, str]:
    """One take's artwork by asset kind: the poster, the storyboard sprite and its track (`thumbnails`)."""
    return {"poster": poster(video_id, take), "storyboard": storyboard_sprite(video_id, take),
            "thumbnails": storyboard_track(video_id, take)}


def caption_track(video_id: str, track: str) -> str:
    """A caption track's WebVTT file (`track` names the caption row and its version, never a user's words)."""
    return f"{processed_prefix(video_id)}captions/{track}.vtt"


def transcript_prefix(job: str) -> str:
    """Everything one Amazon Transcribe job reads and writes (ends in `/`); `job` is the worker's name for it."""
    return f"transcripts/{job}/"


def transcript_audio(job: str) -> str:
    """The extracted audio a Transcribe job reads."""
    return transcript_prefix(job) + "audio.wav"


def transcript_result(job: str) -> str:
    """Where a Transcribe job writes its JSON result (its OutputKey in our bucket)."""
    return transcript_prefix(job) + "transcript.json"


def beside(key: str, uri: str) -> str:
    """The key a relative `uri` inside the object at `key` names (a segment in a playlist, a sprite in a track).

    The caller checks `uri` is a plain relative path first (streaming's check_relative_uri)."""
    return f"{key.rsplit('/', 1)[0]}/{uri}"
