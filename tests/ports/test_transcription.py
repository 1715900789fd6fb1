"""The transcription port: each adapter's words from speech, its refusals, and the settings that cannot work.

pocketsphinx runs for real on flite speech; Amazon Transcribe runs against moto_server (S3 and Transcribe). moto
starts, tracks and completes jobs but never writes a result file, so the test writes the one AWS would, in AWS's
documented shape (results.items: pronunciations with start/end times, punctuation without), at the OutputKey the
adapter asks for. faster-whisper is not installed here and no model is: only its settings are tested.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import threading
from pathlib import Path

import pytest

from tests.media import SPOKEN_PARTS, make_speech, word_error_rate
from videoforge import layout
from videoforge.config import ConfigError
from videoforge.ports.storage import make_storage
from videoforge.ports.transcription import TranscriptionFailed, Word, make_transcriber
from videoforge.ports.transcription.aws import AwsTranscriber, aws_language, words_of
from videoforge.ports.transcription.sphinx import SphinxTranscriber, quietest_cut

TEXT = " ".join(SPOKEN_PARTS)


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    return make_speech(tmp_path_factory.mktemp("speech") / "speech.wav", TEXT)


@pytest.mark.slow
@pytest.mark.parametrize("chunk_seconds", [30.0, 5.0])
def test_pocketsphinx_hears_most_words_in_order_whatever_the_chunks(speech, chunk_seconds):
    """5 s chunks cut the 10 s of speech twice: at quiet points, so the words survive the cuts."""
    words = SphinxTranscriber(chunk_seconds=chunk_seconds).transcribe(speech, "en-US", job="t")
    # Measured 9.4% (3 of 32 words) with whole or cut audio; the decoder is deterministic, the margin is for
    # other ffmpeg/flite builds.
    assert word_error_rate(TEXT, " ".join(w.text for w in words)) <= 0.25
    assert all(a.start <= a.end <= b.start + 0.01 for a, b in itertools.pairwise(words))
    assert all(w.text.isalpha() or "'" in w.text for w in words), words  # no <s>, <sil>, [NOISE] or word(2)


def test_pocketsphinx_refuses_other_languages_for_good(speech):
    with pytest.raises(TranscriptionFailed) as failed:
        SphinxTranscriber().transcribe(speech, "fr", job="t")
    assert failed.value.permanent and "English only" in failed.value.reason and "'fr'" in failed.value.reason


def test_pocketsphinx_wants_the_extracted_format(tmp_path):
    stereo = tmp_path / "stereo.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", "-ac", "2", "-ar", "44100", str(stereo)],
                   check=True)
    with pytest.raises(TranscriptionFailed, match="16 kHz mono"):
        SphinxTranscriber().transcribe(stereo, "en", job="t")


def test_a_chunk_is_cut_at_its_quietest_point():
    loud, quiet = b"\x00\x40" * 160, b"\x00\x00" * 160  # 10 ms frames of 16-bit samples
    block = loud * 300 + quiet + loud * 199  # 5 s; one silent frame at 3.00 s
    assert quietest_cut(block) == 300 * 320 + 160


def test_the_backend_setting_picks_the_adapter_or_stops_with_its_name(tmp_path):
    assert make_transcriber({"TRANSCRIPTION_BACKEND": ""}) is None
    assert make_transcriber({"TRANSCRIPTION_BACKEND": "pocketsphinx"}).name == "pocketsphinx"
    with pytest.raises(ConfigError, match="TRANSCRIPTION_BACKEND: 'vosk'"):
        make_transcriber({"TRANSCRIPTION_BACKEND": "vosk"})
    with pytest.raises(ConfigError, match="STORAGE_BACKEND=s3"):
        make_transcriber({"TRANSCRIPTION_BACKEND": "transcribe", "STORAGE_BACKEND": "local"})


def test_whisper_needs_a_model_folder_and_never_downloads_one(tmp_path):
    with pytest.raises(ConfigError, match="WHISPER_MODEL_DIR: required"):
        make_transcriber({"TRANSCRIPTION_BACKEND": "whisper"})
    with pytest.raises(ConfigError, match="holds no faster-whisper model"):
        make_transcriber({"TRANSCRIPTION_BACKEND": "whisper", "WHISPER_MODEL_DIR": str(tmp_path)})


def test_whisper_without_its_package_says_which_extra_to_install(tmp_path):
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("faster-whisper is installed here")
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"pip install 'videoforge\[whisper\]'"):
        make_transcriber({"TRANSCRIPTION_BACKEND": "whisper", "WHISPER_MODEL_DIR": str(tmp_path)})


# --- Amazon Transcribe ------------------------------------------------------------------------------------------

AWS_RESULT = {  # the shape of a real result file (docs.aws.amazon.com/transcribe/latest/dg/how-input.html)
    "jobName": "job", "accountId": "123456789012", "status": "COMPLETED",
    "results": {
        "transcripts": [{"transcript": "Hello world. Bye."}],
        "items": [
            {"start_time": "0.04", "end_time": "0.51", "type": "pronunciation",
             "alternatives": [{"confidence": "0.99", "content": "Hello"}]},
            {"start_time": "0.51", "end_time": "0.9", "type": "pronunciation",
             "alternatives": [{"confidence": "0.98", "content": "world"}]},
            {"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": "."}]},
            {"start_time": "2.1", "end_time": "2.4", "type": "pronunciation",
             "alternatives": [{"confidence": "0.97", "content": "Bye"}]},
            {"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": "."}]},
        ]}}


def test_transcribe_items_become_words_with_their_punctuation():
    assert words_of(AWS_RESULT) == [Word(0.04, 0.51, "Hello"), Word(0.51, 0.9, "world."), Word(2.1, 2.4, "Bye.")]


def test_transcribe_is_told_a_region_with_every_language():
    assert [aws_language(t) for t in ("en", "en-GB", "pt-br", "zh-Hant-TW", "xx")] == [
        "en-US", "en-GB", "pt-BR", "zh-TW", "xx"]


@pytest.fixture
def aws(moto_endpoint, tmp_path):
    import boto3

    bucket = f"vf-transcripts-{tmp_path.name[-12:].lower().replace('_', '-')}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    storage = make_storage({"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": moto_endpoint,
                            "S3_REGION": "us-east-1"})
    transcriber = AwsTranscriber(storage=storage, bucket=bucket, endpoint_url=moto_endpoint, poll_seconds=0.05,
                                 max_wait_seconds=30)
    return transcriber, storage


def test_transcribe_runs_a_job_through_our_bucket_and_cleans_up(aws, speech):
    transcriber, storage = aws
    job = "video-caption-take1"
    storage_keys: list[str] = []
    # moto never writes the result: put AWS's file where the job was told to write it, once the audio is there.
    done = threading.Event()

    def write_result() -> None:
        while not done.wait(0.02):
            if storage.size_of(layout.transcript_audio(job)):
                storage_keys.append(layout.transcript_audio(job))
                path = speech.with_name("result.json")
                path.write_text(json.dumps(AWS_RESULT))
                storage.upload_file(layout.transcript_result(job), str(path), "application/json")
                return

    writer = threading.Thread(target=write_result)
    writer.start()
    try:
        words = transcriber.transcribe(speech, "en", job=job)
    finally:
        done.set()
        writer.join()
    assert [w.text for w in words] == ["Hello", "world.", "Bye."]
    assert storage_keys == [layout.transcript_audio(job)]  # the audio went to the bucket first
    assert storage.size_of(layout.transcript_audio(job)) is None
    assert storage.size_of(layout.transcript_result(job)) is None
    state = transcriber.client().list_transcription_jobs()["TranscriptionJobSummaries"]
    assert job not in [s["TranscriptionJobName"] for s in state]  # the job was deleted too


def test_a_transcribe_job_that_never_finishes_fails_in_bounded_time(aws, speech):
    transcriber, _ = aws
    transcriber.max_wait_seconds = 0  # moto completes a job on the third look; this adapter gives up at the first
    with pytest.raises(TranscriptionFailed, match="did not finish within 0 s"):
        transcriber.transcribe(speech, "en", job="slow-job")
