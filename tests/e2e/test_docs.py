"""The API documentation renders in a real browser, from files the app serves itself (no CDN)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_swagger_ui_renders_every_module(live_server, new_page, artifacts):
    page = new_page("docs")
    page.goto(f"{live_server.url}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("VideoForge", timeout=30_000)
    for tag in ("gallery", "streaming", "auth", "admin"):
        expect(page.locator(f"#operations-tag-{tag}")).to_be_visible()
    page.screenshot(path=f"{artifacts}/09-api-docs.png")
    assert page.problems == []


def test_redoc_renders(live_server, new_page):
    page = new_page("redoc")
    page.goto(f"{live_server.url}/api/redoc")
    expect(page.locator("h1")).to_contain_text("VideoForge", timeout=30_000)
    expect(page.get_by_text("Create a video and get signed URLs").first).to_be_attached()
    assert page.problems == []
