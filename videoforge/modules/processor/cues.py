"""Timed words into readable captions: short lines, few of them, cut where the speaker pauses or a sentence ends.

The shape follows common broadcast caption guidance (BBC, Netflix): at most ~42 characters a line and two lines a
cue, no cue longer than ~7 s, and a new cue after a pause (here > 0.8 s) or a sentence's end, so a caption never
stays up through silence nor runs two thoughts together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from videoforge.ports.transcription import Word
from videoforge.webvtt import Cue

SENTENCE_ENDS = (".", "?", "!", "…")


@dataclass(frozen=True)
class CueShape:
    """How long and how full a cue may be."""

    line_chars: int = 42
    lines: int = 2
    seconds: float = 7.0
    pause: float = 0.8
    linger: float = 0.5
    """A cue stays this much after its last word, if the next one has not started (time to finish reading)."""


def wrap(texts: Sequence[str], width: int) -> list[str]:
    """Words onto lines of at most `width` characters (a longer word gets a line of its own)."""
    lines: list[str] = []
    for text in texts:
        if lines and len(lines[-1]) + 1 + len(text) <= width:
            lines[-1] += " " + text
        else:
            lines.append(text)
    return lines


def make_cues(words: Sequence[Word], shape: CueShape = CueShape()) -> list[Cue]:
    """Group `words` (in order) into cues of `shape`."""
    texts = _cased([w.text for w in words])
    groups: list[list[int]] = []
    for index in range(len(words)):
        current = groups[-1] if groups else None
        if current is not None and not _breaks_before(words, texts, current, index, shape):
            current.append(index)
        else:
            groups.append([index])
    cues = []
    for number, group in enumerate(groups):
        start, end = words[group[0]].start, words[group[-1]].end
        following = words[groups[number + 1][0]].start if number + 1 < len(groups) else end + shape.linger
        cues.append(Cue(start=start, end=max(end, min(end + shape.linger, following)),
                        text="\n".join(wrap([texts[i] for i in group], shape.line_chars))))
    return cues


def _breaks_before(words: Sequence[Word], texts: Sequence[str], group: list[int], index: int,
                   shape: CueShape) -> bool:
    """Whether word `index` starts a new cue instead of joining `group`."""
    last = words[group[-1]]
    if words[index].start - last.end > shape.pause or texts[group[-1]].endswith(SENTENCE_ENDS):
        return True
    if words[index].end - words[group[0]].start > shape.seconds:
        return True
    return len(wrap([texts[i] for i in [*group, index]], shape.line_chars)) > shape.lines


def _cased(texts: list[str]) -> list[str]:
    """Recognisers without casing (pocketsphinx) write everything in lower case: give such a transcript a capital
    `I` and capitals after a sentence's end; a cased one (whisper, Transcribe) is left as it came."""
    if any(text != text.lower() for text in texts):
        return texts
    cased: list[str] = []
    for position, text in enumerate(texts):
        if text == "i" or text.startswith("i'"):
            text = "I" + text[1:]
        elif position == 0 or cased[-1].endswith(SENTENCE_ENDS):
            text = text[:1].upper() + text[1:]
        cased.append(text)
    return cased
