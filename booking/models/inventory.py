"""Seat inventory: the quotas, one travel class of a trip (the row its bookings lock) and its
places.

Inventory is segment-aware: a trip's legs are numbered from 0 (the leg from its stop 1 to
stop 2 is leg 0), and each `Place` keeps the legs it is occupied on as a bitmask split over
two integer columns (`legs_low`: legs 0-62, `legs_high`: legs 63-125), so that a seat sold
A→B can be sold again B→C and routes of up to 127 stops fit.

A place is a seat (`half` 0), or one half of an RAC berth (`half` 1 or 2): RAC berths carry
two RAC passengers, one per half, or one confirmed passenger holding both halves.
Inventory is created lazily, on a trip's first booking (`booking.sales.inventory`).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleet.models import BOOKABLE_QUOTA_CHOICES, BOOKABLE_QUOTAS, Coach, Quota, Seat, Trip

MAX_LEGS = 126


# The quotas (`Quota`, `BOOKABLE_QUOTAS`) live with the operator that chooses which it sells
# (`fleet.models.Company.quotas`); they are imported here for booking's callers.
__all__ = ["BOOKABLE_QUOTAS", "BOOKABLE_QUOTA_CHOICES", "MAX_LEGS", "Place", "Quota", "TripClass"]


class TripClass(models.Model):
    """One travel class of one trip: the row every booking of that class locks.

    Its lock serialises allocation, RAC and waitlist order for the class; the places are
    then read and written without locks of their own (every writer holds this one).
    """

    company_path = "trip__route__company"

    trip = models.ForeignKey(
        Trip, on_delete=models.CASCADE, related_name="trip_classes", db_index=False
    )  # the unique constraint indexes it
    class_code = models.CharField(max_length=12)
    seats = models.PositiveIntegerField(help_text=_("Seats and berths, RAC berths included."))
    # Set under the lock by whatever frees a place (a cancellation, a bigger vehicle,
    # charting); cleared by the promotion that follows. A booking that finds it set
    # promotes first, so nobody books ahead of those waiting.
    promotion_due = models.BooleanField(default=False)
    # No more bookings (the trip is cancelled); set under the lock.
    closed = models.BooleanField(default=False)
    # When charting finalised the class (under the lock): from then on a booking that
    # would leave anyone waitlisted is refused.
    charted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("trip class")
        verbose_name_plural = _("trip classes")
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "class_code"], name="booking_trip_class_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trip} · {self.class_code}"


class Place(models.Model):
    """One seat (or RAC half berth) of one trip: the quota it is earmarked for and the legs
    it is occupied on. Coach, seat number and berth are copied from the seat (a trip's seats
    do not change once it is sold) so that allocation and its answer read one table."""

    company_path = "trip_class__trip__route__company"

    trip_class = models.ForeignKey(
        TripClass, on_delete=models.CASCADE, related_name="places", db_index=False
    )  # the unique constraint indexes it
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    half = models.PositiveSmallIntegerField(
        default=0, help_text=_("0: the whole seat; 1, 2: a half of an RAC berth.")
    )
    quota = models.CharField(max_length=16, choices=Quota.choices)
    coach = models.ForeignKey(Coach, on_delete=models.PROTECT, related_name="+", db_index=False)
    # Allocation order: coach position, then seat position in the coach.
    order = models.PositiveIntegerField()
    berth_type = models.CharField(max_length=8)
    coach_code = models.CharField(max_length=8)
    seat_number = models.CharField(max_length=8)
    legs_low = models.BigIntegerField(default=0)
    legs_high = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trip_class", "seat", "half"], name="booking_place_unique"
            ),
            models.CheckConstraint(condition=models.Q(half__lte=2), name="booking_place_half"),
            models.CheckConstraint(
                condition=models.Q(legs_low__gte=0, legs_high__gte=0),
                name="booking_place_legs_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trip_class} · {self.seat_id}/{self.half}"
