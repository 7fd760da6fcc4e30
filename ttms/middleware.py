"""The site's own error pages with DEBUG on, and the signed-in user's language.

With DEBUG off Django answers a missing page and an uncaught exception with handler404 and
handler500 (ttms.views). With DEBUG on it shows its technical pages instead, so what a
developer sees is not what users see, and the pages' own 404 and 500 go untried. This
middleware answers both with the same views while DEBUG is on; the traceback still goes to
the log (django.request), and TTMS_TECHNICAL_ERROR_PAGES=1 gives Django's pages back.
Exceptions that Django turns into a 400 or 403 (SuspiciousOperation, PermissionDenied,
BadRequest) keep Django's handling.
"""

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import Resolver404
from django.utils.log import log_response

from ttms import views
from ttms.languages import user_language_activate


class SiteErrorPagesMiddleware:
    """Last in MIDDLEWARE: it sees a view's exception first, and the response of a request
    no URL matched before the other middleware (CommonMiddleware's APPEND_SLASH redirect
    still applies to it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            _replaces_technical_pages()
            and response.status_code == 404
            and request.resolver_match is None
        ):
            # No URL matched: Django's technical 404 page.
            return views.page_not_found(request, Resolver404())
        return response

    def process_exception(self, request, exception):
        if not _replaces_technical_pages():
            return None
        if isinstance(exception, Http404):
            return views.page_not_found(request, exception)
        if isinstance(exception, SuspiciousOperation | PermissionDenied | BadRequest):
            return None
        # What Django does for an uncaught exception, bar the technical page: the signal
        # (the test client re-raises through it), the page, the log with the traceback.
        signals.got_request_exception.send(sender=None, request=request)
        response = views.server_error(request)
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response


def _replaces_technical_pages() -> bool:
    return settings.DEBUG and not settings.TTMS_TECHNICAL_ERROR_PAGES


class UserLanguageMiddleware:
    """After AuthenticationMiddleware (and LocaleMiddleware): a signed-in user who chose a
    language gets it, whatever the browser asks; one who did not keeps what LocaleMiddleware
    chose (the `set_language` cookie, else Accept-Language). The API's token users get
    theirs from ttms.api.authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            user_language_activate(request, request.user)
        return self.get_response(request)
