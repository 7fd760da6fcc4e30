from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .invitations import invitation_link, invitation_timeout_seconds
from .models import User


@shared_task
def sessions_clear_expired_task() -> int:
    """Delete expired sign-in sessions (Django keeps them in the database)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(
    autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 6}, acks_late=True
)
def invitation_email_task(*, user_id: int, company_name: str) -> bool:
    """Send the invitation email (text and HTML, in the account's language) to a user who
    has not chosen a password yet; False, and nothing sent, when the account is gone,
    inactive, or has chosen its password meanwhile. Mail server errors (OSError, which
    smtplib's are) are retried with backoff; the link is made afresh on each attempt."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password():
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "company_name": company_name,
            "link": invitation_link(user),
            "valid_days": invitation_timeout_seconds() // 86400,
            # What the shared email layout (notifications/email.html) shows.
            "operator": company_name,
        }
        subject = render_to_string("accounts/invite_subject.txt", context).strip()
        context["event"] = {"label": subject}
        text = render_to_string("accounts/invite_email.txt", context)
        html = render_to_string("accounts/invite_email.html", context)
    email = EmailMultiAlternatives(subject, text, to=[user.email])
    email.attach_alternative(html, "text/html")
    email.send()
    return True
