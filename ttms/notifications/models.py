"""The outbox: every event a change announces, written in the same transaction as the change
(DESIGN.md section 7, item 7), so that none is lost when the broker or a worker is down.

An `OutboxMessage` is one event for one recipient, with a stable `dedupe_key` (the same
change announced twice writes one message). Each channel it goes by is a `Delivery`,
created with it: delivered at least once by the dispatcher (`ttms.notifications.dispatch`),
retried with backoff, dead after `TTMS_NOTIFY_MAX_ATTEMPTS`, re-sendable from the admin.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .events import CHANNEL_LABELS, CHANNELS


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
    # Where to, for a recipient without an account (a buyer at the counter), or instead
    # of the account's own address.
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=16, blank=True)
    language = models.CharField(
        max_length=10, blank=True, help_text=_("The language it is written in.")
    )
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Names the change announced: one message per key."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set when every delivery is settled (sent, skipped or dead).
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text=_("Read in the app."))

    class Meta:
        verbose_name = _("outbox message")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(sent_at__isnull=True),
                name="notifications_outbox_unsent",
            ),
            models.Index(fields=["user", "-id"], name="notifications_outbox_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class Delivery(models.Model):
    """One message on one channel."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        DEAD = "dead", _("Dead")

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=[(c, CHANNEL_LABELS[c]) for c in CHANNELS])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due from then: the first attempt at once, each retry after a backoff; while an attempt
    # runs, the end of its lease (a dispatcher that dies leaves the row due again then).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_ref = models.CharField(
        max_length=200, blank=True, help_text=_("The provider's id of what it sent.")
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "channel"], name="notifications_delivery_once_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="queued"),
                name="notifications_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.message} by {self.channel}"


class Preference(models.Model):
    """A user's choice for one event on one channel; without a row, the event's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    topic = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=[(c, CHANNEL_LABELS[c]) for c in CHANNELS])
    enabled = models.BooleanField()

    class Meta:
        verbose_name = _("notification preference")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "channel"], name="notifications_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.topic} {self.channel}: {self.enabled}"
