"""The outbox: every event a change announces, written in the same transaction as the change
(DESIGN.md section 7, item 7), so that none is lost when the broker or a worker is down.
Delivery (email, SMS, push) reads the unsent rows; until it exists they wait here."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One event for one recipient (or for the platform when `user` is empty)."""

    topic = models.CharField(
        max_length=40, help_text=_('What happened, e.g. "passenger.promoted".')
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who is told."),
    )
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(sent_at__isnull=True),
                name="notifications_outbox_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"
