"""The header's unread badge: the count of the signed-in user's unread in-app messages."""

from django.utils.functional import SimpleLazyObject

from .selectors import inbox_unread_count


def unread(request) -> dict:
    """`notifications_unread`, counted (one query) only when a page shows it, and only for
    a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": SimpleLazyObject(lambda: inbox_unread_count(user=user))}
