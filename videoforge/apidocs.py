"""The OpenAPI document, built on its first read instead of at blueprint registration.

flask-smorest's `Api` turns every view's schemas into OpenAPI as each blueprint is registered: 20-30 ms of a
Lambda's cold start (docs/benchmarks.md) for a document its requests never read. Here registration only mounts
the blueprint's routes; the document is assembled, in registration order, the first time anything reads
`api.spec` (/api/openapi.json, the docs pages, `videoforge openapi print`, tests).
"""

from __future__ import annotations

import threading
from typing import Any

from flask_smorest import Api
from flask_smorest.spec import openapi_cli


class LazyApi(Api):
    """An `Api` whose spec (and every registered blueprint's documentation) is made on first read."""

    def __init__(self, app):
        self._spec = None
        self._spec_options: dict[str, Any] | None = None
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._building = threading.Lock()
        super().__init__(app)

    @property  # flask-smorest declares a plain attribute; here reads build it first
    def spec(self):
        if self._spec is None and self._spec_options is not None:
            with self._building:
                if self._spec is None:
                    self._build_spec()
        return self._spec

    @spec.setter
    def spec(self, value) -> None:
        self._spec = value

    def _init_spec(self, **options: Any) -> None:
        # Remember the options; only the CLI group is needed at once (`videoforge openapi print` must exist).
        self._spec_options = options
        self._app.cli.add_command(openapi_cli)

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        if self._spec is None:
            self._undocumented.append((blp, name, parameters))
        else:  # registered after the document was read: document it now, as flask-smorest would
            self._document(blp, name, parameters)

    def _build_spec(self) -> None:
        options, self._spec_options = self._spec_options or {}, None
        super()._init_spec(**options)  # sets self._spec through the setter, then the default components
        _document_json_headers(self._spec)
        pending, self._undocumented = self._undocumented, []
        for blp, name, parameters in pending:
            self._document(blp, name, parameters)

    def _document(self, blp, name: str, parameters) -> None:
        spec = self._spec
        assert spec is not None  # only called once the spec exists
        blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
        spec.tag({"name": name, "description": blp.description})


def _document_json_headers(spec) -> None:
    """X-Pagination holds a JSON object: OpenAPI says that with `content`, not `schema` (which means a
    comma-separated `simple` value), so clients and schema checkers read the header as it really is."""
    header = spec.components.headers.get("PAGINATION")
    if header and "schema" in header:
        header["content"] = {"application/json": {"schema": header.pop("schema")}}
