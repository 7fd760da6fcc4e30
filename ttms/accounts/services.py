"""Writes on accounts."""

import hashlib

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ttms.notifications.services import Message, outbox_add

from .models import STAFF_ROLES, Role, User, normalize_email
from .phones import phone_normalize


def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str,
    phone: str = "",
    role: str = Role.PASSENGER,
) -> User:
    """Create a user; staff roles may sign in to the admin site.

    The phone may be written as people write it; it is stored in E.164 (`phone_normalize`).
    Validates the fields and the password (Django's validators) before writing. Raises
    ValidationError with per-field messages; an email already taken is one of them, detected
    by the unique constraint so that two concurrent sign-ups cannot both win.
    """
    errors = {}
    try:
        phone = phone_normalize(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
        phone = ""
    user = User(
        email=normalize_email(email),
        full_name=full_name.strip(),
        phone=phone,
        role=role,
        is_staff=role in STAFF_ROLES,
        is_superuser=role == Role.PLATFORM_ADMIN,
    )
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if password is not None:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        if User.objects.filter(email=user.email).exists():
            raise ValidationError(
                {"email": [_("An account with this email address already exists.")]}
            ) from exc
        raise
    return user


def user_update(*, user: User, full_name: str, phone: str, language: str | None = None) -> User:
    """Change the profile a user edits themselves: full name, phone for SMS and, unless
    None, language ("" follows the browser).

    The email (the sign-in name) and the role are not editable here. The phone may be
    written as people write it; it is stored in E.164 (`phone_normalize`). Both values are
    validated with the model fields' own rules before anything is assigned, so a refused
    update leaves `user` (often `request.user`) exactly as it was. Raises ValidationError
    with per-field messages. Only these columns are written: a concurrent password change
    or sign-in on the same row is not overwritten, and no lock is needed because the new
    values do not depend on the old ones.
    """
    errors = {}
    try:
        phone = phone_normalize(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    values = {"full_name": full_name.strip(), "phone": phone}
    if language is not None:
        values["language"] = language
    for name, value in values.items():
        if name in errors:
            continue
        try:
            User._meta.get_field(name).clean(value, user)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)

    for name, value in values.items():
        setattr(user, name, value)
    user.save(update_fields=list(values))
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Save the language a user chose ("" follows the browser); raises ValidationError if
    it is not one of LANGUAGES. Only that column is written."""
    User._meta.get_field("language").clean(language, user)
    user.language = language
    user.save(update_fields=["language"])
    return user


def password_changed_tell(*, user: User) -> None:
    """ "account.password_changed" to `user`, whose new password the caller has just saved,
    in the same transaction: every path that changes a password (the page, the reset link,
    the admin) calls it. The key names this password (a digest of its hash), so the same
    change told twice writes one message and the next change another."""
    now = timezone.now()
    digest = hashlib.sha256(user.password.encode()).hexdigest()[:24]
    outbox_add(
        messages=[
            Message(
                topic="account.password_changed",
                user_id=user.pk,
                payload={"at": now.isoformat()},
                dedupe_key=f"account.password_changed:{user.pk}:{digest}",
            )
        ],
        now=now,
    )
