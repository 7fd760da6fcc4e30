from django.shortcuts import redirect
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import cache_control

from ttms.api import errors


@cache_control(max_age=86400)
def favicon(request):
    """/favicon.ico, which browsers ask for on their own: the icon among the static files
    (under its hashed name once collected)."""
    return redirect(static("favicon.ico"))


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


# The error views (handler400, handler404, handler500, and ttms.middleware with DEBUG on):
# the site's pages, or the API's error shape on API addresses.


def bad_request(request, exception):
    if _is_api(request):
        return errors.json_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return errors.json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Rendered without the request's context (no user, no database), so that it still
    renders when the failure is the database's."""
    if _is_api(request):
        return errors.json_server_error(request)
    return defaults.server_error(request)
