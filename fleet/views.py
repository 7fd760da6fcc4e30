"""Fleet's public pages: the "operate with us" application form."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ttms.throttling import FailedAttempts, client_ident

from .forms import OperatorApplicationForm
from .services import operator_application_submit


@require_http_methods(["GET", "POST"])
def operate_with_us(request):
    """An operator asks to sell on the platform; the application waits in the platform
    admins' queue. Invalid input is a 400 with the form's errors; each application counts
    against the client's address, and past TTMS_APPLICATION_LIMIT per window the answer is
    429 without saving anything."""
    form = OperatorApplicationForm(request.POST or None)
    if request.method == "GET":
        return render(request, "fleet/operate_with_us.html", {"form": form})
    # Every application counts, not only failures: the queue is read by people.
    sent = FailedAttempts(
        [f"operator-application:ip:{client_ident(request)}"],
        limit=settings.TTMS_APPLICATION_LIMIT,
        window=settings.TTMS_APPLICATION_WINDOW,
    )
    wait = sent.retry_after()
    if wait is not None:
        error = _(
            "Too many applications from your network. Try again in {minutes} minute(s)."
        ).format(minutes=max(1, wait // 60))
        return render(
            request, "fleet/operate_with_us.html", {"form": form, "error": error}, status=429
        )
    if form.is_valid():
        try:
            operator_application_submit(**form.cleaned_data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            sent.record_failure()
            return redirect("operate-with-us-thanks")
    return render(request, "fleet/operate_with_us.html", {"form": form}, status=400)


def operate_with_us_thanks(request):
    return render(request, "fleet/operate_with_us_thanks.html")
