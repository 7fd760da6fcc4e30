"""The point of sale (docs/pos.md): agents' devices and the records they upload, the audit
cases a bad upload opens, and agents' shifts at the counter."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleet.models import Company, Station

from .pnrs import Pnr

# The prev_hash of a device's first record (booking.pos.chain.GENESIS).
GENESIS_HASH = "0" * 64


class Device(models.Model):
    """A POS device enrolled to one agent of one company, with the Ed25519 public key its
    batches are signed with. A revoked device's batches are refused."""

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="pos_devices")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pos_devices"
    )
    device_id = models.CharField(_("device id"), max_length=64, unique=True)
    name = models.CharField(max_length=80, blank=True)
    public_key = models.BinaryField(
        _("public key"), max_length=32, help_text=_("Ed25519, the raw 32 bytes.")
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The device's chain as the server holds it: its last record's seq and hash.
    last_seq = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("POS device")

    def __str__(self) -> str:
        return self.name or self.device_id

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class SyncRecord(models.Model):
    """One offline record of a device as the server took it, and what became of its sale."""

    class Result(models.TextChoices):
        BOOKED = "booked", _("Booked")
        WAITLISTED = "waitlisted", _("Waitlisted")
        REFUSED = "refused", _("Refused: cash to give back")

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="records")
    seq = models.PositiveIntegerField()
    client_uuid = models.UUIDField(unique=True)
    hash = models.CharField(max_length=64)
    record = models.JSONField(help_text=_("The record as the device sent it."))
    device_time = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=12, choices=Result.choices)
    pnr = models.ForeignKey(Pnr, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # What the agent gives back to the buyer for this sale, minor units (a refused sale: all).
    cash_to_return = models.BigIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("POS sync record")
        ordering = ["device", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["device", "seq"], name="booking_syncrecord_seq_once")
        ]

    def __str__(self) -> str:
        return f"{self.device} #{self.seq}"


class AuditCase(models.Model):
    """A batch refused whole (a broken chain, a bad signature, a revoked device): opened by
    the sync, resolved by the company's staff with a note."""

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="pos_cases")
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.CharField(max_length=40, help_text=_("booking.pos.chain's reason."))
    first_bad_seq = models.PositiveIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("POS audit case")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.reason} · {self.device or self.agent}"


class Shift(models.Model):
    """An agent's shift at the counter: opened with a float, closed with the cash counted;
    the difference from what the drawer should hold is kept, and flagged over a threshold."""

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="pos_shifts")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pos_shifts"
    )
    station = models.ForeignKey(Station, on_delete=models.PROTECT, null=True, related_name="+")
    currency = models.CharField(max_length=3)
    opened_at = models.DateTimeField(default=timezone.now)
    float_amount = models.BigIntegerField(_("float"), help_text=_("Minor units."))
    closed_at = models.DateTimeField(null=True, blank=True)
    counted = models.BigIntegerField(null=True, blank=True, help_text=_("Minor units."))
    expected = models.BigIntegerField(null=True, blank=True, help_text=_("Minor units."))
    difference = models.BigIntegerField(
        null=True, blank=True, help_text=_("Counted minus expected, minor units.")
    )
    flagged = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("POS shift")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent"],
                condition=models.Q(closed_at__isnull=True),
                name="booking_shift_one_open_per_agent",
            ),
            models.CheckConstraint(
                condition=models.Q(float_amount__gte=0), name="booking_shift_float_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.opened_at:%Y-%m-%d %H:%M}"
