"""Tables shared by the modules: users, videos, their media assets, the outbox and the embedded job queue."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from videoforge.db import Base, UTCDateTime


def new_id() -> str:
    """An unguessable id (128 random bits, URL-safe)."""
    return secrets.token_hex(16)


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(timezone.utc)


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


REJECTED = "rejected"
"""Stage of a video failed for what the file is (not a video, too long...): a retry cannot help."""
SEEN_BY_ANYONE = ("public", "unlisted")
"""Visibilities anyone with the link may watch; any other is for the owner and admins alone."""
PLAYABLE_STATUSES = ("queued", "processing", "ready")
"""Statuses whose published rungs are served. Never `failed`; queued/processing because the lowest rung is
published first, and a retried video keeps its last ladder until the worker's reset_outputs removes it."""


class Video(Base):
    """An uploaded video and where it is on its way from upload to playable ladder."""

    __tablename__ = "videos"
    __table_args__ = (Index("ix_videos_owner_created", "owner_id", "created_at"),
                      Index("ix_videos_visibility_status", "visibility", "status"))
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    status: Mapped[str] = mapped_column(String(20), default="awaiting_upload", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str | None] = mapped_column(String(40))
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
    access_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Bumped when who may watch changes (visibility, deletion): playback links signed before stop at once."""
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(lazy="joined")
    assets: Mapped[list["MediaAsset"]] = relationship(
        back_populates="video", cascade="all, delete-orphan", order_by="MediaAsset.id")

    @property
    def retryable(self) -> bool:
        """Failed, and not for what the file is: a retry may help."""
        return self.status == "failed" and self.stage != REJECTED

    def visible_to(self, user: User | None) -> bool:
        """Who may see it (gallery) and watch it (streaming): anyone when public or unlisted, else owner and admins."""
        return self.visibility in SEEN_BY_ANYONE or (
            user is not None and (user.id == self.owner_id or user.is_admin))

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
            self.revoke_playback_links()

    def revoke_playback_links(self) -> None:
        """Bump the epoch signed into playback tokens, in SQL so two concurrent changes both count."""
        self.access_epoch = type(self).access_epoch + 1


class MediaAsset(Base):
    """One output of a transcode: a rung's playlist, the master, poster, storyboard or thumbnails track."""

    __tablename__ = "media_assets"
    __table_args__ = (UniqueConstraint("video_id", "kind", "rung"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    rung: Mapped[str] = mapped_column(String(20), default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    codecs: Mapped[str | None] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(400))
    complete: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    video: Mapped[Video] = relationship(back_populates="assets")


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
