"""Tables shared by the modules: users, videos, their media assets, the outbox and the embedded job queue."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Update,
    false,
    func,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from videoforge.db import Base, UTCDateTime
from videoforge.lifecycle import (
    LEGACY_REJECTED_STAGE,
    PLAYABLE_STATUSES,
    REPLACEABLE,
    SEEN_BY_ANYONE,
    WORKABLE,
    CaptionKind,
    CaptionStatus,
    PartStatus,
    Status,
    Visibility,
)
from videoforge.webhooks import DeliveryStatus


def new_id() -> str:
    """An unguessable id (128 random bits, URL-safe)."""
    return secrets.token_hex(16)


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(UTC)


class User(Base):
    """A person, created on first sight of their token's `sub` (or by local sign-up)."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    sub: Mapped[str] = mapped_column(String(128), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(128))  # sealed: videoforge.sealing
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    """The 30-second step of the last accepted TOTP code, so a code cannot be replayed."""
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a link mailed to `email` was followed (a reset link counts); None: unverified. Tokens carry it."""
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Signed into local tokens; bumped when a password change or reset signs every session out, which refuses
    every access token minted before at once (and its refresh tokens are revoked)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_admin(self) -> bool:
        return "admin" in (self.groups or [])


class RefreshToken(Base):
    """An opaque refresh token of the local issuer, stored as a hash; rotates on use."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInFailure(Base):
    """One sign-in (or TOTP code) attempt under one throttle key: a failure, or one still being checked."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class KnownAddress(Base):
    """A client address (an IPv6 /64) an account last signed in from successfully at `seen_at`."""

    __tablename__ = "known_addresses"
    __table_args__ = (UniqueConstraint("user_id", "address"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AccountToken(Base):
    """A single-use link mailed to a person (reset a password, verify an address, take a new address), stored as
    the SHA-256 of its 256 random bits; `email` is the address it was sent to, which it proves."""

    __tablename__ = "account_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Video(Base):
    """An uploaded video and where it is on its way from upload to playable ladder."""

    __tablename__ = "videos"
    __table_args__ = (Index("ix_videos_owner_created", "owner_id", "created_at"),
                      Index("ix_videos_visibility_status", "visibility", "status"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PRIVATE)
    """A `Visibility`; changed through change_visibility()."""
    status: Mapped[str] = mapped_column(String(20), default=Status.AWAITING_UPLOAD, index=True)
    """A `Status`; changed only by the transitions below."""
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str | None] = mapped_column(String(40))
    """What the worker is doing now, in words (`probing`, `transcoding 720p`...); shown beside the progress."""
    rejected: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Failed for what the file is (not a video, too long...): no retry can help."""
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    source_key: Mapped[str] = mapped_column(String(400), default="")
    source_size: Mapped[int] = mapped_column(BigInteger, default=0)
    source_etag: Mapped[str | None] = mapped_column(String(128))
    """The stored source's ETag when the upload was confirmed: the worker transcodes those bytes or none."""
    upload_id: Mapped[str | None] = mapped_column(String(400))
    part_size: Mapped[int | None] = mapped_column(BigInteger)
    duration: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    take: Mapped[str | None] = mapped_column(String(16))
    """The take (layout.new_take) the running or last transcode publishes under; its published assets may still be
    an earlier take's while a replacement is transcoded."""
    access_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Bumped when who may watch changes (visibility, deletion): playback links signed before stop at once."""
    password_hash: Mapped[str | None] = mapped_column(String(255))
    """With visibility `password`: what viewers must give, hashed like account passwords (auth/passwords.py); never
    in any response. Changed through set_password(), which revokes every unlock; cleared when the visibility goes."""
    auto_captions: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Transcribe the audio into a generated caption track once the ladder is done (chosen at upload)."""
    embed_origins: Mapped[list[str] | None] = mapped_column(JSON)
    """Origins (`https://host[:port]`) allowed to frame the embed page; None: any site, []: none
    (videoforge/embedding.py)."""
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(lazy="joined")
    assets: Mapped[list[MediaAsset]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="MediaAsset.id")
    captions: Mapped[list[Caption]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="Caption.language")
    parts: Mapped[list[TranscodePart]] = relationship(cascade="all, delete-orphan", order_by="TranscodePart.number")
    """The parts of a chunked transcode (loaded only when asked for: the Video JSON's chunk count while processing)."""
    replacement: Mapped[SourceReplacement | None] = relationship(cascade="all, delete-orphan")
    """A new file being uploaded to replace the original (loaded only when asked for: erasure, the replace)."""

    @property
    def retryable(self) -> bool:
        """Failed, and not for what the file is: a retry may help."""
        return self.status == Status.FAILED and not (self.rejected or self.stage == LEGACY_REJECTED_STAGE)

    # --- the lifecycle (videoforge/lifecycle.py lists it): every status change is one of these, and each one
    # sets every column it owns. They are UPDATE statements the caller executes in its own transaction, so the
    # ones that may race (two confirms; an owner's and an admin's retry) are guarded by the status they leave:
    # 0 rows means another change won.

    @classmethod
    def queue(cls, video_id: str, *, source_etag: str | None, request_id: str | None) -> Update:
        """Confirm: awaiting_upload → queued for its first job, the upload closed and the confirmed ETag recorded."""
        return (update(cls).where(cls.id == video_id, cls.status == Status.AWAITING_UPLOAD)
                .values(upload_id=None, source_etag=source_etag, **cls._next_job(request_id)))

    @classmethod
    def retry(cls, video_ids: str | Iterable[str], *, request_id: str | None = None, force: bool = False) -> Update:
        """failed → queued for another job, the last attempt forgotten; with `force`, any confirmed video.

        `request_id` None keeps the video's own (a redriven dead letter carries the one it had).
        """
        ids = [video_ids] if isinstance(video_ids, str) else list(video_ids)
        leaving = cls.status != Status.AWAITING_UPLOAD if force else cls.status == Status.FAILED
        return update(cls).where(cls.id.in_(ids), leaving).values(**cls._next_job(request_id))

    @classmethod
    def replace_source(cls, video_id: str, replacement: SourceReplacement, *, source_etag: str,
                       request_id: str | None) -> Update:
        """Replace: ready or failed → queued for a job on the new file, whose key, size, ETag, name and type become
        the video's. Everything else stays: id, title, captions, and the published ladder until the job's own is
        ready (the processor's to keep)."""
        return (update(cls).where(cls.id == video_id, cls.status.in_(REPLACEABLE))
                .values(source_key=replacement.source_key, source_size=replacement.source_size,
                        source_etag=source_etag, filename=replacement.filename,
                        content_type=replacement.content_type, part_size=replacement.part_size, upload_id=None,
                        **cls._next_job(request_id)))

    @staticmethod
    def _next_job(request_id: str | None) -> dict[str, Any]:
        now = utcnow()
        values: dict[str, Any] = {"status": Status.QUEUED, "queued_at": now, "updated_at": now, "started_at": None,
                                  "finished_at": None, "progress": 0.0, "stage": None, "error": None, "rejected": False}
        if request_id is not None:
            values["request_id"] = request_id
        return values

    @classmethod
    def start(cls, video_id: str, stage: str) -> Update:
        """queued → processing: one more attempt begins, at `stage` (the worker's words)."""
        return update(cls).where(cls.id == video_id).values(
            status=Status.PROCESSING, stage=stage, progress=0.0, started_at=utcnow(), attempts=cls.attempts + 1)

    @classmethod
    def hold(cls, video_id: str) -> Update:
        """queued, processing → processing: a part of a chunked transcode goes on (a redriven chunk's video was queued).
        Its row lock serialises the parts that publish one ladder; 0 rows: the video is gone or no longer worked on."""
        return update(cls).where(cls.id == video_id, cls.status.in_(WORKABLE)).values(
            status=Status.PROCESSING, updated_at=utcnow())

    @classmethod
    def report_progress(cls, video_id: str, stage: str, percent: float | None = None) -> Update:
        """What the worker is doing now, and how far along it is (None keeps the per cent)."""
        values: dict[str, Any] = {"stage": stage} if percent is None else {"stage": stage, "progress": percent}
        return update(cls).where(cls.id == video_id).values(**values)

    @classmethod
    def requeue(cls, video_id: str, *, stage: str, error: str | None = None) -> Update:
        """processing → queued for the same job (a transient error, or the worker stopping): progress starts over,
        its place in line (queued_at) stays; `stage` says why it waits, `error` what went wrong."""
        return update(cls).where(cls.id == video_id).values(status=Status.QUEUED, stage=stage, progress=0.0,
                                                            error=error)

    @classmethod
    def finish(cls, video_id: str) -> Update:
        """processing → ready: every rung and the artwork are published."""
        return update(cls).where(cls.id == video_id).values(
            status=Status.READY, stage=None, progress=100.0, error=None, rejected=False, finished_at=utcnow())

    @classmethod
    def fail(cls, video_id: str, reason: str, *, rejected: bool = False) -> Update:
        """→ failed, with a reason its owner understands; `rejected` when the file itself is at fault (no retry)."""
        return update(cls).where(cls.id == video_id).values(
            status=Status.FAILED, error=reason[:2000], stage=None, rejected=rejected, finished_at=utcnow())

    def visible_to(self, user: User | None) -> bool:
        """Who may see it (gallery) and watch it (streaming): anyone when public or unlisted, else owner and admins.

        A password video is not visible to anyone else: only streaming's unlock (a password given right) and the
        gallery's title-only view (`locked_for`) open it further."""
        return self.visibility in SEEN_BY_ANYONE or (
            user is not None and (user.id == self.owner_id or user.is_admin))

    def locked_for(self, user: User | None) -> bool:
        """A password video this viewer must unlock before watching: anyone but its owner and the admins."""
        return self.visibility == Visibility.PASSWORD and not self.visible_to(user)

    @property
    def playable(self) -> bool:
        """Its playlists may be served: not failed (nor awaiting upload), and at least its lowest rung is out."""
        return self.status in PLAYABLE_STATUSES and any(asset.kind == "variant" for asset in self.assets)

    def change_visibility(self, visibility: str) -> None:
        """Set who may watch; any real change revokes every playback link signed before it."""
        # Every change, not only narrowing ones: public/unlisted playlists need no token, so their viewers lose
        # nothing, and the rule stays right for any visibility added later without deciding which way it goes.
        if visibility != self.visibility:
            self.visibility = visibility
            if visibility != Visibility.PASSWORD:
                self.password_hash = None
            self.revoke_playback_links()

    def set_password(self, password_hash: str) -> None:
        """Require this password (hashed) to watch; every unlock and playback link given before stops at once."""
        self.password_hash = password_hash
        self.revoke_playback_links()

    def revoke_playback_links(self) -> None:
        """Bump the epoch signed into playback tokens, in SQL so two concurrent changes both count."""
        self.access_epoch = type(self).access_epoch + 1


class MediaAsset(Base):
    """One output of a transcode: a rung's playlist (kind `variant`), the poster, the storyboard sprite or its
    thumbnails track. No master playlist: streaming builds it from the variant rows."""

    __tablename__ = "media_assets"
    __table_args__ = (UniqueConstraint("video_id", "kind", "rung"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    rung: Mapped[str] = mapped_column(String(20), default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    """A rung's peak bits per second (the master's BANDWIDTH), measured over its segments so far."""
    average_bitrate: Mapped[int | None] = mapped_column(Integer)
    """A rung's mean bits per second (AVERAGE-BANDWIDTH)."""
    frame_rate: Mapped[float | None] = mapped_column(Float)
    codecs: Mapped[str | None] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(400))
    complete: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    video: Mapped[Video] = relationship(back_populates="assets")


EXTRAS_PART = -1
"""The number of a chunked transcode's part that is no chunk: the audio rendition, poster and storyboard."""


class TranscodePart(Base):
    """One part of a chunked transcode (modules/processor/chunked.py): a chunk of the ladder, whole segments long,
    that any worker may take from the queue, or the `extras` the planning job makes itself (the audio rendition,
    poster and storyboard). The video is ready when every part of its take is done."""

    __tablename__ = "transcode_parts"
    __table_args__ = (UniqueConstraint("video_id", "take", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    take: Mapped[str] = mapped_column(String(16))
    """The transcode (layout.new_take) this part belongs to: a part of an older take is never worked on."""
    number: Mapped[int] = mapped_column(Integer)
    """Chunks 0, 1, 2... in time order; the extras are -1."""
    start_frame: Mapped[int] = mapped_column(Integer, default=0)
    end_frame: Mapped[int | None] = mapped_column(Integer)
    """The first frame after the chunk (at the ladder's frame rate); None: to the end of the source."""
    first_segment: Mapped[int] = mapped_column(Integer, default=0)
    start: Mapped[float] = mapped_column(Float, default=0.0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default=PartStatus.PENDING)
    """A `PartStatus`."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(80))
    """The worker that took it last."""
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    segments: Mapped[dict[str, list[list[Any]]]] = mapped_column(JSON, default=dict)
    """Per rung, the segments published so far: [sequence, uri, duration, size] each, in order."""
    inits: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    """Per rung, its init segment's name (the first chunk's: every chunk's are the same bytes)."""
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @staticmethod
    def summary(parts: Iterable[TranscodePart]) -> dict[str, int] | None:
        """A chunked transcode's chunks: how many, how many done, and by how many workers (None: not chunked)."""
        chunks = [p for p in parts if p.number != EXTRAS_PART]
        if not chunks:
            return None
        return {"total": len(chunks), "done": sum(p.status == PartStatus.DONE for p in chunks),
                "workers": len({p.worker for p in chunks if p.worker})}


class Caption(Base):
    """A caption track of a video: one per language and origin (uploaded by the owner, or generated from the audio).

    Its WebVTT file is stored at `key` (layout.caption_track); its cues are copied to `caption_cues` for search."""

    __tablename__ = "captions"
    __table_args__ = (UniqueConstraint("video_id", "language", "generated"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(35))
    """BCP 47 tag, e.g. `en`, `pt-BR`, `zh-Hant`."""
    label: Mapped[str] = mapped_column(String(100))
    """What the player's menu shows, e.g. `English` or `Français (auto-generated)`."""
    kind: Mapped[str] = mapped_column(String(16), default=CaptionKind.SUBTITLES)
    generated: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Made by transcription, not uploaded."""
    status: Mapped[str] = mapped_column(String(16), default=CaptionStatus.READY)
    error: Mapped[str | None] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(400), default="")
    cue_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    video: Mapped[Video] = relationship(back_populates="captions")


class CaptionCue(Base):
    """One cue of a ready caption track, kept for transcript search (the WebVTT file is what players read)."""

    __tablename__ = "caption_cues"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    caption_id: Mapped[str] = mapped_column(ForeignKey("captions.id", ondelete="CASCADE"), index=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)


# PostgreSQL full-text search (videoforge/modules/gallery/search.py). The 'simple' configuration lower-cases words and
# neither stems nor drops stop words: the same in every language, as the query's language is unknown. The queries
# spell these very expressions, so the planner uses the GIN indexes. SQLite searches FTS5 tables instead (migration
# 0008), which no model declares.
def search_words(column: ColumnElement[str] | Mapped[str]) -> ColumnElement[Any]:
    """The words of a text column, as PostgreSQL's full-text search indexes them."""
    return func.to_tsvector(text("'simple'"), column)


def video_words() -> ColumnElement[Any]:
    """A video's title (weight A) and description (weight B) as one searchable document."""
    return func.setweight(search_words(Video.title), text("'A'")).op("||")(
        func.setweight(search_words(Video.description), text("'B'")))


def declare_search_indexes() -> None:
    """Declare the two GIN indexes migration 0008 makes on PostgreSQL (once; the schema check calls it).

    Not declared at import: a `postgresql_using` argument makes SQLAlchemy import its PostgreSQL dialect (~50 ms),
    which a SQLite process — the all-in-one, the CLI, a cold start — never needs. No code creates tables from the
    models (migrations do), so nothing else reads these declarations."""
    if "ix_videos_search" in {index.name for index in Base.metadata.tables["videos"].indexes}:
        return
    Index("ix_videos_search", video_words(), postgresql_using="gin").ddl_if(dialect="postgresql")
    Index("ix_caption_cues_search", search_words(CaptionCue.text), postgresql_using="gin").ddl_if(dialect="postgresql")


class OutboxMessage(Base):
    """A message written in the same transaction as the change it announces, relayed to the queue."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class QueueMessage(Base):
    """A job in the embedded SQL queue: hidden until `visible_at`, dead after too many receives."""

    __tablename__ = "queue_messages"
    __table_args__ = (Index("ix_queue_ready", "queue", "dead", "visible_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(64), default="jobs")
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    visible_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    receive_count: Mapped[int] = mapped_column(Integer, default=0)
    receipt: Mapped[str | None] = mapped_column(String(64), index=True)
    dead: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkerHeartbeat(Base):
    """A running worker process, refreshed while it lives: how many jobs it can take and is taking."""

    __tablename__ = "workers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    concurrency: Mapped[int] = mapped_column(Integer, default=1)
    busy: Mapped[int] = mapped_column(Integer, default=0)
    in_process: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# --- Personal API keys (issue 17): videoforge/identity/api_keys.py checks them, the auth module manages them ---


class ApiKey(Base):
    """A personal API key: it acts as its owner within its scopes, until revoked or expired. The key itself is
    shown once; only its SHA-256 (`secret_hash`) and a short non-secret `prefix` for lists are kept."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    """`vf_` and the key's first characters: enough to tell keys apart in a list, nothing to guess with."""
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Every scope the key holds, the implied ones included (`manage` holds `upload` and `read`)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Written at most once a minute per key (identity.api_keys.LAST_USED_GRANULARITY)."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- Webhooks (issue 17): videoforge/webhooks/ writes events and delivers them; the webhooks module manages them ---


class WebhookEndpoint(Base):
    """An owner's URL that receives signed POSTs for the events it subscribes to (videoforge.webhooks.events)."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(255))
    """The signing secret, sealed (videoforge.sealing): the sender needs it back, so it cannot be a hash."""
    previous_secret: Mapped[str | None] = mapped_column(String(255))
    """The secret before the last roll, sealed likewise: deliveries are signed with it too until it expires."""
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When `previous_secret` stops signing (videoforge.webhooks.endpoint_secret)."""
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """Something that happened to a video, written in the transaction of the change: the webhooks' outbox.

    `transition` names the change it announces; being unique, a change recorded twice (two workers finishing the
    same job) makes one event, never two."""

    __tablename__ = "webhook_events"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    video_id: Mapped[str | None] = mapped_column(String(32))
    """No foreign key: a `video.deleted` event outlives its video."""
    transition: Mapped[str | None] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WebhookDelivery(Base):
    """One event on its way to one endpoint: pending (due at `next_attempt_at`), delivered, or failed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
                      Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    """A `DeliveryStatus`."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a dispatcher may try it next (also its lease while one is trying); None once settled."""
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    replay_of: Mapped[str | None] = mapped_column(String(32))
    """The delivery this one sends again at its owner's request."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[WebhookEvent] = relationship(lazy="joined")


class WebhookAttempt(Base):
    """One POST of a delivery, for its log: the answer's status and opening bytes, or why there was none."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
    """The answer's first KiB (webhooks.delivery.RESPONSE_SNIPPET), as text."""
    error: Mapped[str | None] = mapped_column(Text)


# --- Replacing a video's file (issue 17): videoforge/modules/gallery/originals.py ---


class SourceReplacement(Base):
    """A new file on its way to replace a video's original: an upload like a new video's (one PUT or multipart),
    kept apart from the video until its confirm swaps it in (Video.replace_source), so the video plays on
    meanwhile. One per video; its key is new (layout.replacement_key), so nothing reading the current original is
    disturbed and the local store's seal on it does not apply."""

    __tablename__ = "source_replacements"
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True)
    source_key: Mapped[str] = mapped_column(String(400))
    source_size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    upload_id: Mapped[str | None] = mapped_column(String(400))
    part_size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# --- Erasing again what a late upload stored: videoforge/erasure.py ---


class PendingErasure(Base):
    """Objects under `prefix` (one upload's folder, or one replacing file's key) to delete again at `due_at`, when
    every upload URL that could still write there has expired: bytes PUT with a signed URL after its video or
    replacing file was erased would otherwise stay, in no quota and found by nothing. The gallery's housekeeping
    (a worker every 15 minutes, or `videoforge uploads cleanup`) carries it out."""

    __tablename__ = "pending_erasures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(400))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Who runs a periodic chore this interval: videoforge/modules/processor/leases.py ---


class Lease(Base):
    """A periodic chore (`name`, e.g. one module's housekeeping) claimed by one process (`holder`) until `until`:
    every worker of a group ticks, the one whose guarded claim matches runs it."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(UTCDateTime)
