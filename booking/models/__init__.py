"""booking's models, a module per family: seat inventory (`inventory`), fare rules (`fares`),
PNRs and passengers (`pnrs`), what happens to a PNR after it is made (`lifecycle`), tickets
and boarding (`boarding`). Every model is imported here, so Django finds it and
`from booking.models import Pnr` works."""

from .boarding import Boarding, BoardingConflict, BoardingScan, ScanResult, TicketKey
from .fares import FareRule, StageFare
from .inventory import BOOKABLE_QUOTA_CHOICES, BOOKABLE_QUOTAS, MAX_LEGS, Place, Quota, TripClass
from .lifecycle import Cancellation, Chart, Promotion
from .pnrs import (
    ACTIVE_STATUSES,
    PNR_PATTERN,
    SEATED_STATUSES,
    BerthPreference,
    Gender,
    Passenger,
    PassengerStatus,
    Pnr,
)
from .pos import AuditCase, Device, Shift, SyncRecord

__all__ = [
    "ACTIVE_STATUSES",
    "BOOKABLE_QUOTAS",
    "BOOKABLE_QUOTA_CHOICES",
    "MAX_LEGS",
    "PNR_PATTERN",
    "SEATED_STATUSES",
    "AuditCase",
    "BerthPreference",
    "Boarding",
    "BoardingConflict",
    "BoardingScan",
    "Cancellation",
    "Chart",
    "Device",
    "FareRule",
    "Gender",
    "Passenger",
    "PassengerStatus",
    "Place",
    "Pnr",
    "Promotion",
    "Quota",
    "ScanResult",
    "Shift",
    "StageFare",
    "SyncRecord",
    "TicketKey",
    "TripClass",
]
