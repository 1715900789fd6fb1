"""Transcription port: 16 kHz mono WAV in, timed words out. The adapter is picked by TRANSCRIPTION_BACKEND.

`pocketsphinx` (the default) runs offline on the CPU with the US-English model its wheel ships; `whisper` runs
faster-whisper from a model folder the operator provides (never downloaded); `transcribe` sends the audio to Amazon
Transcribe through our S3 bucket. Empty turns generated captions off. Each adapter imports its library on first
use, so a process that never transcribes never loads one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from videoforge.config import ConfigError

if TYPE_CHECKING:
    from videoforge.ports.storage import Storage

BACKENDS = ("pocketsphinx", "whisper", "transcribe")
"""The adapters; TRANSCRIPTION_BACKEND may also be empty (off)."""
SAMPLE_RATE = 16_000
"""What every adapter reads: 16-bit mono PCM at this rate (what the speech models were trained on)."""


@dataclass(frozen=True)
class Word:
    """One recognised word, `start` and `end` in seconds from the start of the audio."""

    start: float
    end: float
    text: str


class TranscriptionFailed(Exception):
    """The audio could not be transcribed; `reason` is one plain line for the video's owner (no path in it).
    `permanent` says whether another attempt could help (an unsupported language never will)."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


Check = Callable[[], None]
"""Called between chunks of work; raises to stop (the worker is shutting down)."""


class Transcriber(Protocol):
    """What every transcription adapter offers."""

    name: str
    """The backend's name, as TRANSCRIPTION_BACKEND spells it."""

    def transcribe(self, audio: Path, language: str, *, job: str, check: Check | None = None) -> list[Word]:
        """The words spoken in `audio` (16 kHz mono WAV) in `language` (BCP 47), in order. `job` names this
        transcription uniquely (a remote service's job name). Raises TranscriptionFailed."""
        ...


def primary_language(tag: str) -> str:
    """`pt` of `pt-BR`: the part of a BCP 47 tag every adapter understands."""
    return tag.split("-", 1)[0].lower()


def make_transcriber(config: dict[str, Any], storage: Storage | None = None) -> Transcriber | None:
    """The adapter TRANSCRIPTION_BACKEND names (None when it is empty); a setting that cannot work is a
    ConfigError naming it."""
    backend = config.get("TRANSCRIPTION_BACKEND") or ""
    if backend == "":
        return None
    if backend == "pocketsphinx":
        from videoforge.ports.transcription.sphinx import SphinxTranscriber

        return SphinxTranscriber.from_config(config)
    if backend == "whisper":
        from videoforge.ports.transcription.whisper import WhisperTranscriber

        return WhisperTranscriber.from_config(config)
    if backend == "transcribe":
        from videoforge.ports.transcription.aws import AwsTranscriber

        if storage is None or config.get("STORAGE_BACKEND") != "s3":
            raise ConfigError("VIDEOFORGE_TRANSCRIPTION_BACKEND: transcribe reads and writes through the S3 bucket; "
                              "set STORAGE_BACKEND=s3")
        return AwsTranscriber.from_config(config, storage)
    raise ConfigError(f"VIDEOFORGE_TRANSCRIPTION_BACKEND: {backend!r} is not one of {', '.join(BACKENDS)} or empty")
