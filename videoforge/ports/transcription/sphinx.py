"""The embedded default: CMU PocketSphinx with the US-English model its PyPI wheel ships (offline, CPU only).

Long audio is decoded in bounded chunks (TRANSCRIPTION_CHUNK_SECONDS, 30 s by default), each cut at the quietest
10 ms near its end, so a word is rarely split and memory stays flat whatever the length: one chunk of samples and
the words so far. Word times come from the decoder's segmentation, in frames of 1/frate seconds (10 ms).
"""

from __future__ import annotations

import re
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videoforge.ports.transcription import SAMPLE_RATE, Check, TranscriptionFailed, Word, primary_language

BYTES_PER_SAMPLE = 2
FRAME_SAMPLES = SAMPLE_RATE // 100
"""10 ms: the step of the quiet-point search (the decoder's own frame, too)."""
_ALTERNATE = re.compile(r"\(\d+\)$")
"""The dictionary marks alternate pronunciations as `word(2)`."""


@dataclass
class SphinxTranscriber:
    """PocketSphinx, English only (the one acoustic and language model the wheel carries)."""

    chunk_seconds: float = 30.0
    name: str = "pocketsphinx"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SphinxTranscriber:
        return cls(chunk_seconds=max(5.0, float(config.get("TRANSCRIPTION_CHUNK_SECONDS", 30.0))))

    def transcribe(self, audio: Path, language: str, *, job: str, check: Check | None = None) -> list[Word]:
        if primary_language(language) != "en":
            raise TranscriptionFailed(f"the built-in recogniser (pocketsphinx) knows English only, not {language!r}; "
                                      "other languages need the whisper or transcribe backend", permanent=True)
        from pocketsphinx import Decoder

        decoder = Decoder(loglevel="FATAL")  # one per transcription: a decoder is not safe to share across threads
        frame_rate = float(decoder.config["frate"])
        words: list[Word] = []
        chunk_bytes = int(self.chunk_seconds * SAMPLE_RATE) * BYTES_PER_SAMPLE
        with wave.open(str(audio), "rb") as wav:
            if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, BYTES_PER_SAMPLE, SAMPLE_RATE):
                raise TranscriptionFailed("the audio was not extracted as 16 kHz mono 16-bit PCM")
            offset, carry = 0, b""
            while True:
                block = carry + wav.readframes((chunk_bytes - len(carry)) // BYTES_PER_SAMPLE)
                if not block:
                    break
                cut = len(block) if len(block) < chunk_bytes else quietest_cut(block)
                words += _decode(decoder, block[:cut], offset / SAMPLE_RATE, frame_rate)
                offset += cut // BYTES_PER_SAMPLE
                carry = block[cut:]
                if check is not None:
                    check()
        return words


def quietest_cut(block: bytes, search_seconds: float = 5.0) -> int:
    """A byte offset in the last `search_seconds` of `block` at its quietest 10 ms: a pause between words where
    there is one, so cutting there splits no word."""
    frame_bytes = FRAME_SAMPLES * BYTES_PER_SAMPLE
    frames = len(block) // frame_bytes
    first = max(1, frames - int(search_seconds * 100))
    best, best_energy = frames, None
    for index in range(first, frames):
        samples = array("h", block[index * frame_bytes:(index + 1) * frame_bytes])
        energy = sum(s * s for s in samples)
        if best_energy is None or energy < best_energy:
            best, best_energy = index, energy
    return best * frame_bytes + frame_bytes // 2  # the middle of that frame, on a sample boundary


def _decode(decoder: Any, pcm: bytes, start: float, frame_rate: float) -> list[Word]:  # noqa: ANN401 - untyped
    """The words of one chunk, timed from the start of the whole audio."""
    if len(pcm) < FRAME_SAMPLES * BYTES_PER_SAMPLE:
        return []
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    words = []
    for segment in decoder.seg():
        text = _ALTERNATE.sub("", segment.word)
        if not text or text[0] in "<[+":  # <s>, </s>, <sil>, [NOISE], ++BREATH++: not speech
            continue
        words.append(Word(start=round(start + segment.start_frame / frame_rate, 3),
                          end=round(start + (segment.end_frame + 1) / frame_rate, 3), text=text))
    return words
