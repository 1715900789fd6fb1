"""The upload rules the web client checks before it shows a form are the ones the server applies."""

from __future__ import annotations

from tests.modules.gallery.conftest import new_upload


def test_rules_follow_config_and_need_no_sign_in(gallery_app):
    app = gallery_app(ALLOWED_EXTENSIONS=["MP4", "mov"], ALLOWED_CONTENT_TYPES=["video/mp4"], TITLE_MAX_LENGTH=80,
                      UPLOAD_MAX_SIZE=1000)
    rules = app.test_client().get("/api/gallery/upload-rules")
    assert rules.status_code == 200
    assert rules.get_json() == {"allowed_extensions": ["mp4", "mov"], "allowed_content_types": ["video/mp4"],
                                "title_max_length": 80, "description_max_length": 5000, "upload_max_size": 1000}


def test_the_title_limit_never_passes_the_column(gallery_app):
    app = gallery_app(TITLE_MAX_LENGTH=500)
    assert app.test_client().get("/api/gallery/upload-rules").get_json()["title_max_length"] == 200


def test_a_file_the_rules_refuse_is_refused_by_the_server(app, client, auth_headers):
    rules = client.get("/api/gallery/upload-rules").get_json()
    assert "txt" not in rules["allowed_extensions"] and "text/plain" not in rules["allowed_content_types"]
    refused = new_upload(client, auth_headers(), filename="notes.txt", content_type="text/plain")
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]["json"]) <= {"filename", "content_type"}
    long_title = new_upload(client, auth_headers(), title="x" * (rules["title_max_length"] + 1))
    assert long_title.status_code == 422 and "title" in long_title.get_json()["errors"]["json"]


def test_every_accepted_extension_is_accepted_with_the_type_browsers_report_for_it(app, client, auth_headers):
    """A browser fills File.type from the extension; an extension we accept must never fail on its own type."""
    reported = {"mp4": "video/mp4", "m4v": "video/x-m4v", "mov": "video/quicktime", "webm": "video/webm",
                "mkv": "video/x-matroska", "avi": "video/x-msvideo", "mpg": "video/mpeg", "mpeg": "video/mpeg",
                "ogv": "video/ogg", "3gp": "video/3gpp", "ts": "video/mp2t", "mts": "video/vnd.dlna.mpeg-tts"}
    rules = client.get("/api/gallery/upload-rules").get_json()
    assert set(rules["allowed_extensions"]) == set(reported)
    for extension, content_type in reported.items():
        created = new_upload(client, auth_headers(), filename=f"clip.{extension}", content_type=content_type)
        assert created.status_code == 201, (extension, created.get_json())
