"""A missing page or a failure shows the site's own page, with a way home, whether DEBUG is
on or off (Django's technical pages only when TTMS_TECHNICAL_ERROR_PAGES asks for them);
API addresses keep their JSON errors. The site has a favicon."""

import pytest
from django.test import Client, override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ttms.tests.error_urls")]

DEBUG_ON_OFF = pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])


@pytest.fixture
def client_500() -> Client:
    """A client that gets the 500 response instead of the view's exception."""
    return Client(raise_request_exception=False)


@DEBUG_ON_OFF
@pytest.mark.parametrize("path", ["/no-such-page/", "/nothing/", "/static/no-such-file.css"])
def test_a_missing_page_is_the_sites_404_page(client, debug, path):
    with override_settings(DEBUG=debug):
        response = client.get(path)

    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Not found · TTMS</title>" in html
    assert "<h1>Not found</h1>" in html
    assert '<a href="/">home</a>' in html
    assert "URLconf" not in html


@DEBUG_ON_OFF
def test_a_failing_page_is_the_sites_500_page(client_500, debug):
    with override_settings(DEBUG=debug):
        response = client_500.get("/fails/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "<title>Something went wrong · TTMS</title>" in html
    assert "<h1>Something went wrong</h1>" in html
    assert '<a href="/">home page</a>' in html
    assert "a bug in a page" not in html
    assert "Traceback" not in html


@override_settings(DEBUG=True)
def test_with_debug_a_failure_is_still_logged_with_its_traceback(client_500, caplog):
    client_500.get("/fails/")

    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "ERROR"
    assert record.getMessage() == "Internal Server Error: /fails/"
    assert str(record.exc_info[1]) == "a bug in a page"


@override_settings(DEBUG=True)
def test_with_debug_the_test_client_still_sees_the_exception(client):
    with pytest.raises(RuntimeError, match="a bug in a page"):
        client.get("/fails/")


@override_settings(DEBUG=True, TTMS_TECHNICAL_ERROR_PAGES=True)
def test_technical_pages_can_be_asked_for_with_debug(client, client_500):
    missing = client.get("/no-such-page/")
    failing = client_500.get("/fails/")

    assert missing.status_code == 404
    assert "URLconf" in missing.content.decode()
    assert failing.status_code == 500
    assert "a bug in a page" in failing.content.decode()


@override_settings(DEBUG=False, TTMS_TECHNICAL_ERROR_PAGES=True)
def test_technical_pages_are_never_shown_without_debug(client):
    missing = client.get("/no-such-page/")

    assert "<h1>Not found</h1>" in missing.content.decode()


@DEBUG_ON_OFF
def test_api_addresses_keep_their_json_errors(client, client_500, debug):
    with override_settings(DEBUG=debug):
        missing = client.get("/api/v1/no-such-thing/")
        failing = client_500.get("/api/v1/fails/")

    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "not_found", "message": "Nothing is at this address.", "fields": {}}
    }
    assert failing.status_code == 500
    assert failing.json() == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side; it has been logged.",
            "fields": {},
        }
    }


@override_settings(DEBUG=True)
def test_with_debug_a_missing_slash_still_redirects(client):
    response = client.get("/accounts/login")

    assert (response.status_code, response["Location"]) == (301, "/accounts/login/")


def test_pages_link_the_favicon(client):
    html = client.get("/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert '<link rel="icon" href="/static/favicon.ico" sizes="32x32">' in html


def test_the_favicon_files_are_served(client):
    svg = client.get("/static/favicon.svg")
    ico = client.get("/static/favicon.ico")

    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(svg.streaming_content)
    assert ico.status_code == 200
    assert b"".join(ico.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_favicon_ico_at_the_root_answers_with_the_icon(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (302, "/static/favicon.ico")
