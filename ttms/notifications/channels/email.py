"""Email through Django's email backend (EMAIL_URL: the console embedded, SMTP in
production; an anymail backend where a provider is configured)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from . import ChannelBackend, Rendered


class DjangoEmailBackend(ChannelBackend):
    channel = "email"

    def send(self, *, to: str, rendered: Rendered, dedupe_key: str) -> str:
        message_id = f"<{dedupe_key}@{settings.TTMS_EMAIL_DOMAIN}>"
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers={"Message-ID": message_id},
        )
        if rendered.html:
            email.attach_alternative(rendered.html, "text/html")
        email.send()
        return message_id
