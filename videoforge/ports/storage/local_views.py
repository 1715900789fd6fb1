"""The local store's HTTP face: signed PUTs streamed to disk, signed GETs with Range, CORS for the web client."""

from __future__ import annotations

import errno
import time

from flask import Blueprint, Response, current_app, request, send_file
from flask_smorest import abort

from videoforge.errors import Refusal
from videoforge.ports.storage import NoSuchUpload, Sealed, get_storage
from videoforge.ports.storage.local import InvalidKey, LocalStorage, content_type_of
from videoforge.ports.storage.local_files import SizeMismatch
from videoforge.ports.storage.signing import SignatureError

blp = Blueprint("storage", __name__)

CACHE_CAP = 24 * 3600
CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, PUT",
    "Access-Control-Allow-Headers": "Content-Type, Range",
    # A browser uploading parts reads each ETag to send it back with confirm.
    "Access-Control-Expose-Headers": "ETag, Content-Length, Content-Range, Accept-Ranges",
    "Access-Control-Max-Age": "600",
}


def _local() -> LocalStorage:
    storage = get_storage(current_app)
    if not isinstance(storage, LocalStorage):
        abort(404, message="This app serves no objects: STORAGE_BACKEND is not local.")
    return storage


def _verified(storage: LocalStorage, method: str, key: str) -> dict[str, str]:
    try:
        params = storage.signer.verify(method, key, request.args)
        storage.path_of(key)
    except SignatureError as exc:
        abort(403, message=f"Storage URL refused: {exc}.")
    except InvalidKey as exc:
        abort(403, message=f"Storage URL refused: {exc}.")
    return params


@blp.route("/<path:key>", methods=["GET"])
def get_object(key: str) -> Response:
    """Serve an object (HEAD too); Range requests get 206 with Content-Range, streamed from disk."""
    storage = _local()
    params = _verified(storage, "GET", key)
    path = storage.path_of(key)
    if not path.is_file():
        abort(404, message="No such object.")
    response = send_file(path, mimetype=content_type_of(key), conditional=True, etag=False, max_age=None)
    if "disposition" in params:  # signed with the URL (a download), made by videoforge.disposition
        response.headers["Content-Disposition"] = params["disposition"]
    remaining = int(request.args["expires"]) - int(time.time())
    response.headers["Cache-Control"] = f"private, max-age={max(0, min(remaining, CACHE_CAP))}"
    return response


@blp.route("/<path:key>", methods=["PUT"])
def put_object(key: str) -> Response:
    """Receive a whole object or one multipart part, each of exactly the signed size, atomically."""
    storage = _local()
    params = _verified(storage, "PUT", key)
    if "size" not in params:
        abort(403, message="Storage URL refused: it names no size (signed before sizes were bound; ask for a new one).")
    try:
        size = int(params["size"])
        if request.content_length is not None and request.content_length != size:
            abort(400, message=f"Content-Length is {request.content_length}; this URL accepts exactly {size} bytes.",
                  errors={"size": [f"expected {size} bytes"]})
        # One byte of slack: the writer reads one past the size to notice an oversized body, and servers that
        # terminate the input (gunicorn) make reading past max_content_length a 413 even for an exact body.
        request.max_content_length = size + 1
        if "upload" in params:
            etag = storage.receive_part(key, params["upload"], int(params.get("part", 0)), request.stream, size)
        else:
            etag = storage.receive_object(key, request.stream, size)
    except SizeMismatch as exc:
        abort(400, message=f"Upload refused: {exc}.", errors={"size": [str(exc)]})
    except Sealed:
        abort(409, message="Upload refused: this video's upload was confirmed; its file can no longer be replaced.")
    except NoSuchUpload as exc:
        abort(404, message=f"{exc}; it was completed or aborted.")
    except (KeyError, ValueError) as exc:
        abort(400, message=f"Malformed storage URL: {exc}.")
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        # The temp file is gone (the write is atomic), so nothing half-written stays behind: send it again later.
        current_app.logger.error("storage full: PUT %s refused: %s", key, exc.strerror)
        raise Refusal(507, "Storage is full: the upload was not kept. Try again later.") from None
    response = Response(status=200)
    response.headers["ETag"] = etag
    return response


@blp.after_request
def allow_cross_origin(response: Response) -> Response:
    """CORS for the web client when it is served from another origin (the all-in-one needs none)."""
    origin = request.headers.get("Origin")
    allowed = current_app.config.get("CORS_ORIGINS") or []
    if origin and (origin in allowed or "*" in allowed) and "Access-Control-Allow-Origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = origin
        for name, value in CORS_HEADERS.items():
            response.headers.setdefault(name, value)
        response.vary.add("Origin")
    return response
