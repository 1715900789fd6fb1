"""In Chromium: a clip transcoded in chunks by the all-in-one's two worker slots plays through hls.js across every
chunk join without a stall, its sound from the separate audio rendition, its buffer one unbroken range."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import running_app
from tests.e2e.test_content_security_policy import upload_and_play, watched_page
from tests.media import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

VIDEO = "[data-testid=player-video]"
CHUNKED = dict(VIDEOFORGE_CHUNK_THRESHOLD_SECONDS="5", VIDEOFORGE_CHUNK_SECONDS="4", VIDEOFORGE_SEGMENT_SECONDS="2",
               VIDEOFORGE_LADDER_HEIGHTS="144,180", VIDEOFORGE_WORKER_MIN="2", VIDEOFORGE_WORKER_MAX="2")
WATCH = """v => {
  window.__stalls = 0; window.__errors = [];
  v.addEventListener('waiting', () => { if (v.currentTime > 0.5 && !v.ended) window.__stalls += 1; });
  v.addEventListener('error', () => window.__errors.push(String(v.error && v.error.message)));
  v.muted = true; v.playbackRate = 2; v.currentTime = 0.1; return v.play();
}"""


def test_a_chunked_clip_plays_across_every_join_without_a_stall(new_page, tmp_path):
    (tmp_path / "instance").mkdir()
    with running_app(tmp_path / "instance", **CHUNKED) as app:
        page, requests = watched_page(new_page, "chunked")
        clip = make_clip(tmp_path / "chunked.mp4", width=320, height=180, seconds=12)
        video_id = upload_and_play(page, app.url, clip, "chunked@example.test")
        video = page.locator(VIDEO)
        video.evaluate(WATCH)
        # Past both joins (4 s and 8 s) to the end, at twice the speed.
        page.wait_for_function(f"() => {{ const v = document.querySelector('{VIDEO}'); "
                               "return v.ended || v.currentTime > 11.5; }", timeout=60_000)
        state = video.evaluate("""v => ({stalls: window.__stalls, errors: window.__errors,
            ranges: Array.from({length: v.buffered.length}, (_, i) => [v.buffered.start(i), v.buffered.end(i)]),
            decoded: v.getVideoPlaybackQuality().totalVideoFrames,
            dropped: v.getVideoPlaybackQuality().droppedVideoFrames})""")
        assert state["errors"] == [] and state["stalls"] == 0, state
        [(start, end)] = state["ranges"]  # one range: no hole at a join
        assert start < 0.2 and end > 11.8, state
        assert page.problems == []
        audio = [url for method, url in requests if "/audio/" in url and ".m4s" in url]
        assert audio, "the sound came from its own rendition: the chunked path"
        assert any(f"/processed/{video_id}/" in url and "seg_00005" in url for _, url in requests), \
            "the last chunk's segments were fetched"
