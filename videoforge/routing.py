"""URL rules whose URL builders are made when a URL is first built for them, not when the rule is added.

Werkzeug compiles two Python functions per rule as it is added (`Rule.compile`: one builder that appends unknown
arguments as a query string, one that does not), which is half of what `create_app` itself costs for a module's
routes (about 5 ms of 10 for the gallery's, measured in benchmarks/cold_start.py). VideoForge never builds URLs for
most of its rules: the API answers JSON, links are made by `videoforge.urls`, and only the docs pages call
`url_for`. So a rule keeps Werkzeug's own builder code and compiles it the first time it is asked for a URL.
Matching requests is untouched (it uses the rule's parts, not the builders).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """A Werkzeug `Rule` that compiles each URL builder on first use (Flask's `url_rule_class`)."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, *args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:  # two threads may both compile once: the same function, no harm
                compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(*args, **kwargs)

        return build  # Rule.compile binds it to the rule, as it does Werkzeug's own builder
