"""Pages: the in-app list of notifications, a notification opened, the preferences, and the
one-click unsubscribe (which works signed out: the link's token is the credential)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .display import shown
from .events import EVENTS
from .exceptions import MandatoryEvent, UnknownEvent
from .forms import PreferencesForm
from .inbox import inbox_read_all, message_read
from .preferences import event_unsubscribe, preferences_save
from .selectors import inbox_for_user, message_get_for_user, preference_table
from .tokens import unsubscribe_read

INBOX_PAGE_SIZE = 20


@login_required
@require_GET
def inbox(request):
    """The user's in-app notifications, newest first, twenty a page; the unread marked."""
    page = Paginator(inbox_for_user(user=request.user), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "items": [shown(message) for message in page],
            # Notifications belong to no one station: shown in the passengers' zone.
            "display_time_zone": settings.TTMS_DISPLAY_TIME_ZONE,
        },
    )


@login_required
@require_POST
def inbox_read_all_view(request):
    count = inbox_read_all(user=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked read.",
                "%(count)d notifications marked read.",
                count,
            )
            % {"count": count},
        )
    return redirect("notifications:inbox")


@login_required
@require_GET
def message_open(request, message_id: int):
    """One notification, opened: it is marked read. Someone else's is a 404."""
    message = message_read(message=message_get_for_user(message_id=message_id, user=request.user))
    return render(
        request,
        "notifications/inbox_message.html",
        {"item": shown(message), "display_time_zone": settings.TTMS_DISPLAY_TIME_ZONE},
    )


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Which events reach the user on which channel; the mandatory ones' email and in-app
    shown on and disabled."""
    form = PreferencesForm(request.POST or None, table=preference_table(user=request.user))
    if request.method == "POST" and form.is_valid():
        preferences_save(user=request.user, choices=form.choices())
        messages.success(request, _("Your notification preferences have been saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_phone": bool(request.user.phone)},
        status=400 if form.errors else 200,
    )


def _unsubscribe_refused(request, reason: str):
    return render(request, "notifications/unsubscribe_invalid.html", {"reason": reason}, status=400)


# The token is the credential, and mail providers post RFC 8058's one-click
# "List-Unsubscribe=One-Click" without any CSRF token: a forged post can only do what the
# link itself does, for the one user and event it names.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET: what the link turns off, and one button. POST (the button, or a mail
    provider's one-click post): the event is turned off on every channel."""
    try:
        user_id, topic = unsubscribe_read(token)
    except signing.BadSignature:
        return _unsubscribe_refused(
            request, _("This unsubscribe link is not valid. Copy the whole link from the email.")
        )
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    event = EVENTS.get(topic)
    if user is None or event is None:
        return _unsubscribe_refused(request, _("This unsubscribe link is no longer valid."))
    if not event.optional:
        return _unsubscribe_refused(
            request,
            _(
                "“%(event)s” cannot be turned off: it tells you about your bookings, money or "
                "account."
            )
            % {"event": event.label},
        )
    context = {"event": event, "token": token, "email": user.email}
    if request.method == "POST":
        try:
            event_unsubscribe(user=user, topic=topic)
        except (UnknownEvent, MandatoryEvent) as exc:
            return _unsubscribe_refused(request, exc.message)
        return render(request, "notifications/unsubscribe_done.html", context)
    return render(request, "notifications/unsubscribe.html", context)
