"""In Chromium: a multipart upload cut off mid-way carries on after a page reload, sending only the missing parts;
one given up is discarded with its half-made video."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import shoot, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

PART_URL = re.compile(r".*/storage/.*[?&]part=(\d+)")


def part_number(url: str) -> int:
    return int(PART_URL.match(url).group(1))


def test_an_upload_carries_on_after_a_reload(live_server, new_page, artifacts, tmp_path):
    base = live_server.url
    upload = tmp_path / "long-take.mp4"
    upload.write_bytes(os.urandom(20 * 1024**2))  # three parts: 8 + 8 + 4 MiB

    page = new_page("resumer")
    sign_up(page, base, "resumer@example.test")

    # The connection fails for every part but the first: the upload stops, interrupted.
    def only_part_one(route):
        if part_number(route.request.url) == 1:
            route.continue_()
        else:
            route.abort("connectionreset")

    page.route(PART_URL, only_part_one)
    page.goto(f"{base}/upload")
    page.get_by_test_id("upload-input").set_input_files(str(upload))
    item = page.get_by_test_id("upload-item")
    item.get_by_label("Title").fill("The long take")
    item.get_by_role("button", name="Start upload").click()
    expect(item).to_have_attribute("data-phase", "interrupted", timeout=60_000)
    page.unroute(PART_URL)

    # A reload forgets the task; the page remembers the upload and asks for the same file.
    page.reload()
    unfinished = page.get_by_test_id("unfinished-item")
    expect(unfinished).to_have_count(1)
    expect(unfinished).to_contain_text("The long take")
    expect(unfinished).to_contain_text("long-take.mp4")
    shoot(page, artifacts, "upload-unfinished-after-reload")

    sent_after_reload: list[int] = []
    page.on("request", lambda r: r.method == "PUT" and PART_URL.match(r.url)
            and sent_after_reload.append(part_number(r.url)))
    page.get_by_test_id("upload-input").set_input_files(str(upload))
    item = page.get_by_test_id("upload-item")
    expect(item).to_have_attribute("data-phase", "done", timeout=60_000)
    expect(item).to_contain_text("The long take")  # the title given before the reload
    expect(page.get_by_test_id("unfinished-uploads")).to_have_count(0)
    assert sorted(sent_after_reload) == [2, 3]  # part 1 had arrived and was not sent again

    # Storage holds exactly the file, assembled from both sessions' parts.
    sources = list((live_server.instance / "storage" / "uploads").rglob("source"))
    assert any(p.read_bytes() == upload.read_bytes() for p in sources)

    # Another upload cut off, then given up after the reload: Discard deletes its half-made video.
    page.route(PART_URL, lambda route: route.abort("connectionreset"))
    other = tmp_path / "outtake.mp4"
    other.write_bytes(os.urandom(17 * 1024**2))
    page.get_by_test_id("upload-input").set_input_files(str(other))
    item = page.get_by_test_id("upload-item").last
    item.get_by_label("Title").fill("Outtake")
    item.get_by_role("button", name="Start upload").click()
    expect(item).to_have_attribute("data-phase", "interrupted", timeout=60_000)
    page.unroute(PART_URL)
    page.reload()
    expect(page.get_by_test_id("unfinished-item")).to_contain_text("Outtake")
    page.get_by_test_id("unfinished-item").get_by_role("button", name="Discard").click()
    expect(page.get_by_test_id("unfinished-uploads")).to_have_count(0)
    page.get_by_role("link", name="My videos").click()
    expect(page.get_by_text("The long take")).to_be_visible()
    expect(page.get_by_text("Outtake")).to_have_count(0)
    page.problems.clear()  # the aborted parts were the point
