"""Where each role lands: operator staff and the platform's admins on the admin (their
dashboard), drivers on their trips page, station agents on the counter, passengers on the
site's home page.

Drivers and agents work on their own pages, not in the admin: one who opens the admin
without staff access is sent to their page with a word why, rather than shown the admin's
"not authorized, sign in as someone else" form.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import STAFF_ROLES, Role

# URL names of the field staff's own pages (tracking's driver page, booking's counter).
FIELD_PAGES = {Role.DRIVER: "tracking:driver", Role.AGENT: "booking:pos"}


def landing_url(user) -> str | None:
    """The page `user` lands on after signing in, or None for the site's default
    (LOGIN_REDIRECT_URL): staff with admin access on the admin, drivers and agents on
    their pages."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_staff and (user.role in STAFF_ROLES or user.is_superuser):
        return reverse("admin:index")
    if user.role in FIELD_PAGES:
        return reverse(FIELD_PAGES[user.role])
    return None


class FieldStaffAdminMiddleware:
    """A driver or agent without staff access who opens the admin is redirected to their
    own page, with a message saying where their work is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_staff
            and user.role in FIELD_PAGES
            and request.path.startswith(reverse("admin:index"))
        ):
            messages.info(
                request,
                _("The administration is for operator staff; your work is on this page."),
            )
            return HttpResponseRedirect(reverse(FIELD_PAGES[user.role]))
        return self.get_response(request)
