"""URL builders are compiled on first use (videoforge/routing.py): none when routes are added, and URLs built
afterwards are the ones Werkzeug's own builders make."""

from __future__ import annotations

import pytest
from flask import url_for
from werkzeug.routing import Rule

from videoforge.routing import LazyBuilderRule


@pytest.fixture
def compiled(monkeypatch):
    """Counts Werkzeug's builder compilations."""
    calls: list[bool] = []
    original = Rule._compile_builder

    def counting(rule, append_unknown=True):
        calls.append(append_unknown)
        return original(rule, append_unknown)

    monkeypatch.setattr(Rule, "_compile_builder", counting)
    return calls


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_app_compiles_no_builder_until_a_url_is_built(make_app, compiled):
    app = make_app()
    assert app.url_rule_class is LazyBuilderRule
    assert len(list(app.url_map.iter_rules())) > 20
    assert compiled == []  # routes added, none of their builders made

    endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule == "/api/gallery/videos/<video_id>")
    with app.test_request_context():
        assert url_for(endpoint, video_id="abc") == "/api/gallery/videos/abc"
        assert url_for(endpoint, video_id="abc", page=2) == "/api/gallery/videos/abc?page=2"
        assert url_for(endpoint, video_id="a b/c") == "/api/gallery/videos/a%20b/c"
    assert compiled == [True]  # url_for's builder (unknown values as a query) of that one rule, once

    with app.test_request_context():
        url_for(endpoint, video_id="again")
    assert compiled == [True]  # kept, not made again


def test_urls_match_werkzeugs_own_builders():
    from werkzeug.routing import Map

    rules = ["/a/<int:n>", "/b/<path:rest>", "/c/<name>/d", "/static"]
    lazy, eager = Map([LazyBuilderRule(r, endpoint=r) for r in rules]), Map([Rule(r, endpoint=r) for r in rules])
    values = {"/a/<int:n>": {"n": 7, "x": "y z"}, "/b/<path:rest>": {"rest": "p/q r"},
              "/c/<name>/d": {"name": "é&?"}, "/static": {"k": ["1", "2"]}}
    for rule, args in values.items():
        for append_unknown in (True, False):  # the two builders a rule has
            built = lazy.bind("example.com").build(rule, args, force_external=True, append_unknown=append_unknown)
            assert built == eager.bind("example.com").build(rule, args, force_external=True,
                                                            append_unknown=append_unknown)
    assert lazy.bind("example.com").match("/c/x/d") == ("/c/<name>/d", {"name": "x"})
