"""Refusals of the user's notification settings, in the API's one error shape."""

from django.utils.translation import gettext_lazy as _

from ttms.exceptions import DomainError


class UnknownEvent(DomainError):
    code = "unknown_event"
    status_code = 400
    default_message = _("There is no such notification for you.")


class MandatoryEvent(DomainError):
    code = "mandatory_event"
    status_code = 400
    default_message = _(
        "This notification cannot be turned off: it tells you about your bookings, money or "
        "account."
    )
