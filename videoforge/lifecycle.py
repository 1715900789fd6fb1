"""A video's statuses and visibilities, the only place their values are spelled (the transitions live on `Video`).

    awaiting_upload → queued       Video.queue            confirm: the first job
    queued → processing            Video.start            a worker takes the job (one more attempt)
    processing                     Video.report_progress  stage and per cent, as the worker goes
    queued, processing → processing Video.hold            a chunk of a chunked transcode goes on (its row lock keeps
                                                          the chunks that publish one ladder in single file)
    processing → queued            Video.requeue          the same job again: a transient error, or the worker stopping
    processing → ready             Video.finish
    queued, processing → failed    Video.fail             the file is at fault (rejected), attempts ran out, or the
                                                          job died while no worker watched
    failed → queued                Video.retry            a new job, the owner's or an operator's (an operator may
                                                          force it from any status but awaiting_upload)
    ready, failed → queued         Video.replace_source   the owner replaced the file: a job on the new original

Both enums are `StrEnum`s: the database and the JSON hold the same strings as before, and a value read back from a
`String` column compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """Where a video is on its way from upload to playable ladder."""

    AWAITING_UPLOAD = "awaiting_upload"
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Visibility(StrEnum):
    """Who may watch a video besides its owner and the admins."""

    PUBLIC = "public"
    """Anyone, and listed in the public gallery."""
    UNLISTED = "unlisted"
    """Anyone with the link."""
    PRIVATE = "private"
    """The owner and the admins alone."""
    PASSWORD = "password"
    """Anyone with the link who gives the password its owner set (`Video.password_hash`); not listed. Until a viewer
    unlocks it (streaming's unlock), it is theirs to see by its title alone (`Video.locked_for`)."""


class CaptionStatus(StrEnum):
    """Where a caption track is: uploaded ones are ready at once; generated ones wait for their transcription job."""

    PENDING = "pending"
    """Generated: its job is queued."""
    PROCESSING = "processing"
    """Generated: a worker is transcribing."""
    READY = "ready"
    """Listed in the master playlist and searchable."""
    FAILED = "failed"
    """Generated: the transcription failed (`error` says why); the video plays on without it."""


class CaptionKind(StrEnum):
    """What a track is for (HLS and WebVTT's own words)."""

    SUBTITLES = "subtitles"
    """The dialogue, for viewers who do not understand the language or cannot hear it well."""
    CAPTIONS = "captions"
    """The dialogue and the other sounds, for viewers who cannot hear."""


class PartStatus(StrEnum):
    """Where one part of a chunked transcode is (models.TranscodePart)."""

    PENDING = "pending"
    """Its job is queued."""
    PROCESSING = "processing"
    """A worker has it (again, after a lost worker: `attempts` counts)."""
    DONE = "done"
    """Every segment of every rung (or the extras) is published."""


SEEN_BY_ANYONE = (Visibility.PUBLIC, Visibility.UNLISTED)
"""Visibilities anyone with the link may watch; any other is for the owner and admins alone (a password video, for
whoever unlocks it too)."""
CONFIRMED = (Status.QUEUED, Status.PROCESSING, Status.READY)
"""A confirm already happened (and was not undone by a failure): confirming again changes nothing."""
PLAYABLE_STATUSES = CONFIRMED
"""Statuses whose published rungs are served. Never `failed`; queued/processing because the lowest rung is
published first, and a retried video keeps its last ladder until the worker's reset_outputs removes it."""
REPLACEABLE = (Status.READY, Status.FAILED)
"""Statuses whose file the owner may replace: no job is working on the current one."""
WORKABLE = (Status.QUEUED, Status.PROCESSING)
"""Statuses a job message still has work for; any other makes the message a no-op."""
LEGACY_REJECTED_STAGE = "rejected"
"""How a rejected video was marked before `videos.rejected` (migration 0005 moves it; an older worker still
running during a rolling upgrade may write it)."""
