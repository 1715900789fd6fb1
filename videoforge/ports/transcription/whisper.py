"""faster-whisper (CTranslate2 Whisper) from a model folder the operator provides: better words, any language.

Nothing is ever downloaded: WHISPER_MODEL_DIR must hold a converted model (e.g. `Systran/faster-whisper-small`),
and it is opened with `local_files_only`. faster-whisper is an optional extra (`pip install 'videoforge[whisper]'`),
imported only here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videoforge.config import ConfigError
from videoforge.ports.transcription import Check, TranscriptionFailed, Word, primary_language


@dataclass
class WhisperTranscriber:
    """One faster-whisper model on the CPU (int8 by default: the fastest there, at little cost in words)."""

    model_dir: str
    compute_type: str = "int8"
    threads: int = 0
    name: str = "whisper"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> WhisperTranscriber:
        model_dir = config.get("WHISPER_MODEL_DIR") or ""
        if not model_dir:
            raise ConfigError("VIDEOFORGE_WHISPER_MODEL_DIR: required when TRANSCRIPTION_BACKEND is whisper (a "
                              "faster-whisper model folder; models are never downloaded)")
        if not os.path.isfile(os.path.join(model_dir, "model.bin")):
            raise ConfigError(f"VIDEOFORGE_WHISPER_MODEL_DIR: {model_dir!r} holds no faster-whisper model (model.bin)")
        try:
            import faster_whisper  # noqa: F401 - only to say early that it is missing
        except ImportError:
            raise ConfigError("VIDEOFORGE_TRANSCRIPTION_BACKEND: whisper needs faster-whisper, which is not "
                              "installed (pip install 'videoforge[whisper]')") from None
        return cls(model_dir=model_dir, compute_type=str(config.get("WHISPER_COMPUTE_TYPE") or "int8"),
                   threads=int(config.get("WHISPER_THREADS") or 0))

    def transcribe(self, audio: Path, language: str, *, job: str, check: Check | None = None) -> list[Word]:
        from faster_whisper import WhisperModel

        model = WhisperModel(self.model_dir, device="cpu", compute_type=self.compute_type, cpu_threads=self.threads,
                             local_files_only=True)
        try:
            segments, _info = model.transcribe(str(audio), language=primary_language(language), word_timestamps=True,
                                               vad_filter=True, condition_on_previous_text=False)
        except ValueError as exc:  # an unknown language code
            raise TranscriptionFailed(f"whisper cannot transcribe {language!r}: {exc}", permanent=True) from None
        words = []
        for segment in segments:  # a generator: decoding happens as it is read, a window at a time
            for word in segment.words or ():
                if word.word.strip():
                    words.append(Word(start=round(word.start, 3), end=round(word.end, 3), text=word.word.strip()))
            if check is not None:
                check()
        return words
