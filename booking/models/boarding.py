"""Tickets and boarding: the ticket signing keys, every scan of a QR, the passengers on board
and the conflicts of offline scans."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fleet.models import Station, Trip

from .pnrs import Passenger


class TicketKey(models.Model):
    """A pair of ticket signing keys under one key id: an HMAC-SHA256 secret (checked by the
    server) and an Ed25519 key (its public half lets scanners check tickets offline).

    The active key signs new tickets; retired keys still verify the tickets they signed;
    revoked keys verify nothing. Used only when `TTMS_TICKET_KEYS` is not set (keys from
    the environment); generated on first use (`booking.boarding.ticket_keys`).
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("Active: signs and verifies")
        RETIRED = "retired", _("Retired: verifies tickets it signed")
        REVOKED = "revoked", _("Revoked: refused")

    kid = models.CharField(_("key id"), max_length=16, unique=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.ACTIVE)
    hmac_secret = models.CharField(max_length=64, help_text=_("Base64, 32 bytes."))
    ed25519_private = models.CharField(max_length=64, help_text=_("Base64, the 32-byte seed."))
    ed25519_public = models.CharField(max_length=64, help_text=_("Base64url, 32 bytes."))
    created_at = models.DateTimeField(default=timezone.now)
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket key")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One signing key at a time, also when two workers generate the first at once.
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="active"),
                name="booking_ticket_key_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.state})"


class ScanResult(models.TextChoices):
    VALID = "valid", _("Valid: boarded")
    ALREADY_BOARDED = "already_boarded", _("Already boarded")
    CANCELLED = "cancelled", _("Cancelled ticket")
    WRONG_TRIP = "wrong_trip", _("Another trip's ticket")
    NOT_YET_VALID = "not_yet_valid", _("Not valid yet")
    EXPIRED = "expired", _("Expired")
    INVALID_SIGNATURE = "invalid_signature", _("Invalid signature")
    MALFORMED = "malformed", _("Not a ticket")


class BoardingScan(models.Model):
    """One scan of a QR by a driver, online or uploaded from a device's offline queue:
    what was scanned, when, where, by whom, and the answer."""

    company_path = "trip__route__company"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="boarding_scans")
    passenger = models.ForeignKey(
        Passenger,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scans",
        help_text=_("Empty when the QR named no ticket."),
    )
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scanned_at = models.DateTimeField(
        help_text=_("When the QR was read (the device's clock for offline scans).")
    )
    received_at = models.DateTimeField(default=timezone.now)
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device = models.CharField(max_length=64, blank=True)
    nonce = models.CharField(
        max_length=64, blank=True, help_text=_("The device's id of an offline scan (idempotency).")
    )
    offline = models.BooleanField(default=False)
    device_result = models.CharField(
        max_length=20,
        choices=ScanResult.choices,
        blank=True,
        help_text=_("What the device answered offline."),
    )
    result = models.CharField(max_length=20, choices=ScanResult.choices)
    reason = models.CharField(max_length=300)
    payload_digest = models.CharField(max_length=64, help_text=_("SHA-256 of the QR text."))

    class Meta:
        ordering = ["-scanned_at", "-pk"]
        indexes = [models.Index(fields=["trip", "scanned_at"], name="booking_scan_trip_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "nonce"],
                condition=~models.Q(nonce=""),
                name="booking_scan_nonce_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trip_id} · {self.result} · {self.scanned_at:%Y-%m-%d %H:%M}"


class Boarding(models.Model):
    """A passenger on board: at most one per passenger (the unique passenger is what makes
    a second scan `already_boarded`). Points at the scan that won: the earliest."""

    company_path = "trip__route__company"

    passenger = models.OneToOneField(Passenger, on_delete=models.CASCADE, related_name="boarding")
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="boardings")
    scan = models.OneToOneField(BoardingScan, on_delete=models.PROTECT, related_name="+")
    boarded_at = models.DateTimeField()
    boarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["boarded_at", "pk"]

    def __str__(self) -> str:
        return gettext("{passenger} boarded {at:%Y-%m-%d %H:%M}").format(
            passenger=self.passenger, at=self.boarded_at
        )


class BoardingConflict(models.Model):
    """Two scans that both let one ticket in (devices offline, each unaware of the other):
    the earlier scan boarded the passenger, the later one is reported to the company."""

    company_path = "trip__route__company"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="boarding_conflicts")
    passenger = models.ForeignKey(Passenger, on_delete=models.CASCADE, related_name="+")
    winner = models.ForeignKey(BoardingScan, on_delete=models.PROTECT, related_name="+")
    loser = models.OneToOneField(BoardingScan, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return gettext("{passenger}: scans {winner} and {loser}").format(
            passenger=self.passenger, winner=self.winner_id, loser=self.loser_id
        )
