"""Benchmark: how fast each local transcription adapter runs against the audio's length, and how many words it gets.

    .venv/bin/python benchmarks/transcription.py [--runs 3] [--workdir /tmp/vf-transcription-bench]

flite (ffmpeg's speech synthesiser, slt voice) reads a known text of about a minute; each local adapter transcribes
the 16 kHz mono WAV the worker would extract. Reported per adapter: the real-time factor (wall seconds per second of
audio, median of the runs; below 1 is faster than real time), CPU seconds per audio second, and the word error rate
against the text. pocketsphinx always runs; whisper only when WHISPER_MODEL_DIR names a faster-whisper model folder
(WHISPER_COMPUTE_TYPE, default int8). The machine's load average is printed before and after: a shared machine
slows wall time, not CPU time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.media import ffprobe, make_speech, word_error_rate  # noqa: E402
from videoforge.ports.transcription import Transcriber, make_transcriber  # noqa: E402

TEXT = (
    "the history of moving pictures began with simple experiments in light and shadow. "
    "inventors in many countries tried to capture motion on glass plates and paper film. "
    "the first public shows were short scenes of workers leaving a factory or a train arriving at a station. "
    "audiences were amazed and some of them were frightened by the images. "
    "within a few years film makers learned to cut between shots and to tell longer stories. "
    "sound arrived much later and changed the way actors worked in front of the camera. "
    "today anyone with a phone can record a video and share it with the whole world in minutes. "
    "captions help people who cannot hear the sound and people who watch in a noisy place. "
    "they also make every spoken word searchable so a viewer can jump straight to the moment they need. "
    "a good caption appears when the words are spoken and leaves the screen soon after. "
    "it never covers more than two short lines so the picture stays in view. "
    "machines now write many captions by listening to the sound track of a video. "
    "they are not perfect but they are fast and they never get tired of listening"
)
"""About 60 s when flite reads it (no colon or quote: flite's option syntax ends there)."""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(transcriber: Transcriber, audio: Path, duration: float, runs: int) -> dict[str, float]:
    walls, cpus, wers = [], [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), cpu_seconds()
        words = transcriber.transcribe(audio, "en", job="bench")
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
        wers.append(word_error_rate(TEXT, " ".join(w.text for w in words)))
    return {"rtf": statistics.median(walls) / duration, "rtf_min": min(walls) / duration,
            "rtf_max": max(walls) / duration, "cpu_per_second": statistics.median(cpus) / duration,
            "wer": statistics.median(wers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/vf-transcription-bench")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    audio = make_speech(work / "speech.wav", TEXT)
    duration = float(ffprobe(audio, "-show_format")["format"]["duration"])
    print(f"audio: {duration:.1f} s, {len(TEXT.split())} words; cpus: {len(os.sched_getaffinity(0))}; "
          f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    adapters = [("pocketsphinx", {"TRANSCRIPTION_BACKEND": "pocketsphinx"})]
    if os.environ.get("WHISPER_MODEL_DIR"):
        adapters.append(("whisper", {"TRANSCRIPTION_BACKEND": "whisper",
                                     "WHISPER_MODEL_DIR": os.environ["WHISPER_MODEL_DIR"],
                                     "WHISPER_COMPUTE_TYPE": os.environ.get("WHISPER_COMPUTE_TYPE", "int8")}))
    else:
        print("whisper: skipped (set WHISPER_MODEL_DIR to a faster-whisper model folder)")
    print(f"{'adapter':<14}{'RTF median':>11}{'(min-max)':>14}{'CPU s/s':>9}{'WER':>8}")
    for name, config in adapters:
        transcriber = make_transcriber(config)
        assert transcriber is not None
        result = measure(transcriber, audio, duration, args.runs)
        print(f"{name:<14}{result['rtf']:>11.3f}   {result['rtf_min']:.3f}-{result['rtf_max']:.3f}"
              f"{result['cpu_per_second']:>9.3f}{result['wer'] * 100:>7.1f}%")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
