"""Every page carries a Content-Security-Policy that allows scripts from the site alone,
with Referrer-Policy and Cross-Origin-Opener-Policy; the API docs run under it (no inline
script); `check --deploy` finds nothing to warn about in an HTTPS deployment."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; "
    "script-src-attr 'none'; style-src 'self' 'unsafe-inline'; "
    # The map tiles' host (TTMS_MAP_TILE_URL, OpenStreetMap's by default) serves images.
    "img-src 'self' data: https://tile.openstreetmap.org; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/pnr-status/", "/admin/login/", "/api/docs/", "/no-such-page/"],
)
def test_pages_carry_the_security_headers(client, path):
    response = client.get(path)

    assert _directives(response["Content-Security-Policy"]) == _directives(POLICY)
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_api_docs_have_no_inline_script(client):
    html = client.get("/api/docs/").content.decode()

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert len(scripts) == 3
    assert all(' src="' in attributes and not body.strip() for attributes, body in scripts)
    [init] = [a for a, _ in scripts if "script=" in a]
    init_url = re.search(r'src="([^"]+)"', init).group(1).replace("&amp;", "&")
    init_script = client.get(init_url)
    assert init_script.status_code == 200
    assert init_script["Content-Type"] == "application/javascript"
    assert b"SwaggerUIBundle(" in init_script.content


def _templates() -> list[Path]:
    folders = [
        Path(settings.BASE_DIR) / "templates",
        *(
            Path(app.path) / "templates"
            for app in apps.get_app_configs()
            if Path(app.path).is_relative_to(settings.BASE_DIR)
            and ".venv" not in Path(app.path).parts
        ),
    ]
    return [path for folder in folders if folder.is_dir() for path in folder.rglob("*.html")]


def test_the_templates_have_no_inline_script():
    inline = [
        (path.name, tag)
        for path in _templates()
        for tag in re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", path.read_text())
    ]

    assert _templates()
    assert inline == []


def test_the_templates_have_no_inline_event_handler():
    handlers = [
        (path.name, handler)
        for path in _templates()
        for handler in re.findall(r"\son[a-z]+=\S+", path.read_text())
    ]

    assert _templates()
    assert handlers == []


def test_an_https_deployment_passes_the_deploy_checks_without_a_warning():
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "TTMS_"))
    }
    environment.update(
        TTMS_HTTPS="1",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="ttms.example.com",
    )

    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.stderr == ""
    assert checked.stdout == "System check identified no issues (0 silenced).\n"
    assert checked.returncode == 0
