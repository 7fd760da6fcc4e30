"""Email through Django's email backend (EMAIL_URL: the console embedded, SMTP in
production; an anymail backend, e.g. EMAIL_BACKEND="anymail.backends.postmark.EmailBackend"
with its ANYMAIL settings, where a provider is configured)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from . import ChannelBackend, Rendered


class DjangoEmailBackend(ChannelBackend):
    """Plain text with an HTML alternative; the Message-ID is made of the dedupe key, so a
    resend is recognisably the same message. An optional event's email carries
    List-Unsubscribe and List-Unsubscribe-Post (one click, RFC 8058), which mail clients
    show as their own unsubscribe button."""

    channel = "email"

    def send(self, *, to: str, rendered: Rendered, dedupe_key: str) -> str:
        message_id = f"<{dedupe_key}@{settings.TTMS_EMAIL_DOMAIN}>"
        headers = {"Message-ID": message_id}
        if rendered.unsubscribe_url:
            headers["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers=headers,
        )
        if rendered.html:
            email.attach_alternative(rendered.html, "text/html")
        email.send()
        return message_id
