"""One-click unsubscribe links: a token names a user and an optional event, signed with the
site's secret and a salt of its own (a token made for anything else does not read here).

Tokens do not expire: an email read a year later still unsubscribes. A token turns one
event off, nothing more, so a leaked one costs little; rotating SECRET_KEY voids them all.
"""

from django.core import signing

SALT = "ttms.notifications.unsubscribe"


def unsubscribe_token(user_id: int, topic: str) -> str:
    """The URL-safe token of the link that turns `topic` off for the user."""
    return signing.Signer(salt=SALT).sign_object({"u": user_id, "t": topic}, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str]:
    """(user_id, topic) of a token from `unsubscribe_token`; raises signing.BadSignature
    for anything else (altered, made with another salt or key, or not a token at all)."""
    data = signing.Signer(salt=SALT).unsign_object(token)
    if not (
        isinstance(data, dict) and isinstance(data.get("u"), int) and isinstance(data.get("t"), str)
    ):
        raise signing.BadSignature("Not an unsubscribe token.")
    return data["u"], data["t"]
