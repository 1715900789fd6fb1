"""Amazon Transcribe, for the AWS topology: the audio goes to our bucket, the job writes its result beside it.

The worker uploads the extracted WAV under `transcripts/{job}/`, starts a transcription job whose OutputBucketName is
the same bucket, polls GetTranscriptionJob (every TRANSCRIBE_POLL_SECONDS, for at most TRANSCRIBE_MAX_WAIT_SECONDS;
the worker keeps extending the message's visibility meanwhile, as for a long transcode), then reads the JSON result
and maps `results.items` to words. Both objects and the job are removed afterwards.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videoforge import layout
from videoforge.ports.storage import Storage
from videoforge.ports.transcription import SAMPLE_RATE, Check, TranscriptionFailed, Word, primary_language

log = logging.getLogger(__name__)

REGION_OF = {"en": "en-US", "es": "es-US", "fr": "fr-FR", "de": "de-DE", "it": "it-IT", "pt": "pt-BR", "nl": "nl-NL",
             "ja": "ja-JP", "ko": "ko-KR", "zh": "zh-CN", "hi": "hi-IN", "ar": "ar-SA", "ru": "ru-RU", "sv": "sv-SE",
             "da": "da-DK", "pl": "pl-PL", "tr": "tr-TR", "id": "id-ID", "he": "he-IL", "fi": "fi-FI"}
"""Transcribe wants a region with every language: the usual one, when the upload's tag names none."""


def aws_language(tag: str) -> str:
    """`en-GB` stays; `en` becomes `en-US` (REGION_OF); anything else is passed on for Transcribe to judge."""
    parts = tag.split("-")
    if len(parts) >= 2 and len(parts[-1]) == 2:
        return f"{parts[0].lower()}-{parts[-1].upper()}"
    return REGION_OF.get(primary_language(tag), tag)


@dataclass
class AwsTranscriber:
    """Transcribe through `storage` (the S3 bucket `bucket`)."""

    storage: Storage
    bucket: str
    region: str = "us-east-1"
    endpoint_url: str | None = None
    poll_seconds: float = 5.0
    max_wait_seconds: float = 3600.0
    name: str = "transcribe"
    _client: Any = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: dict[str, Any], storage: Storage) -> AwsTranscriber:
        return cls(storage=storage, bucket=config["S3_BUCKET"],
                   region=config.get("TRANSCRIBE_REGION") or config.get("S3_REGION") or "us-east-1",
                   endpoint_url=config.get("TRANSCRIBE_ENDPOINT_URL") or None,
                   poll_seconds=float(config.get("TRANSCRIBE_POLL_SECONDS", 5.0)),
                   max_wait_seconds=float(config.get("TRANSCRIBE_MAX_WAIT_SECONDS", 3600.0)))

    def client(self) -> Any:  # noqa: ANN401 - a boto3 client (untyped without boto3-stubs)
        if self._client is None:
            import boto3

            self._client = boto3.client("transcribe", region_name=self.region, endpoint_url=self.endpoint_url)
        return self._client

    def transcribe(self, audio: Path, language: str, *, job: str, check: Check | None = None) -> list[Word]:
        from botocore.exceptions import BotoCoreError, ClientError

        media, result = layout.transcript_audio(job), layout.transcript_result(job)
        self.storage.upload_file(media, str(audio), "audio/wav")
        try:
            self.client().start_transcription_job(
                TranscriptionJobName=job, LanguageCode=aws_language(language), MediaFormat="wav",
                MediaSampleRateHertz=SAMPLE_RATE, Media={"MediaFileUri": f"s3://{self.bucket}/{media}"},
                OutputBucketName=self.bucket, OutputKey=result)
            self._wait(job, check)
            return words_of(json.loads(self.storage.read_bytes(result)))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            permanent = error.get("Code") == "BadRequestException"  # e.g. a language Transcribe does not know
            raise TranscriptionFailed(f"Amazon Transcribe refused the job: {error.get('Message') or error.get('Code')}",
                                      permanent=permanent) from None
        except BotoCoreError as exc:
            raise TranscriptionFailed(f"Amazon Transcribe could not be reached: {type(exc).__name__}") from None
        finally:
            self._clean_up(job)

    def _wait(self, job: str, check: Check | None) -> None:
        deadline = time.monotonic() + self.max_wait_seconds
        while True:
            state = self.client().get_transcription_job(TranscriptionJobName=job)["TranscriptionJob"]
            status = state["TranscriptionJobStatus"]
            if status == "COMPLETED":
                return
            if status == "FAILED":
                reason = state.get("FailureReason") or "no reason given"
                raise TranscriptionFailed(f"Amazon Transcribe failed: {reason}")
            if time.monotonic() >= deadline:
                raise TranscriptionFailed(f"Amazon Transcribe did not finish within {self.max_wait_seconds:g} s")
            if check is not None:
                check()
            time.sleep(self.poll_seconds)

    def _clean_up(self, job: str) -> None:
        """Best effort: a failure here loses nothing (an S3 lifecycle rule on `transcripts/` catches leftovers)."""
        try:
            self.storage.delete_prefix(layout.transcript_prefix(job))
            self.client().delete_transcription_job(TranscriptionJobName=job)
        except Exception as exc:  # noqa: BLE001 - the words are already read; leftovers must not fail the job
            log.warning("transcription job %s: clean-up failed: %s", job, exc)


def words_of(result: dict[str, Any]) -> list[Word]:
    """Transcribe's `results.items` as words: each pronunciation with its times, punctuation joined to the word
    before it (so a sentence's end stays visible to the cue maker)."""
    words: list[Word] = []
    for item in result.get("results", {}).get("items", []):
        alternatives = item.get("alternatives") or [{}]
        content = str(alternatives[0].get("content", "")).strip()
        if not content:
            continue
        if item.get("type") == "punctuation":
            if words:
                last = words[-1]
                words[-1] = Word(last.start, last.end, last.text + content)
            continue
        words.append(Word(start=float(item["start_time"]), end=float(item["end_time"]), text=content))
    return words
