"""Fleet's models, one module per family; importable from `fleet.models`, as Django and the
callers expect."""

from .companies import (
    BOOKABLE_QUOTA_CHOICES,
    BOOKABLE_QUOTAS,
    MAX_PASSENGERS,
    Company,
    CompanyMembership,
    OperatorRules,
    Quota,
    validate_currency,
    validate_time_zone,
)
from .onboarding import OperatorApplication
from .routes import (
    ALL_DAYS,
    Route,
    RouteException,
    RouteStop,
    Weekday,
    format_departure_times,
    parse_departure_times,
    validate_departure_times,
)
from .stations import Station, StationAlias
from .trips import LOCKED_STATUSES, Trip, TripEvent, TripStatus
from .vehicles import BerthType, Coach, Seat, SeatLayout, TravelClass, Vehicle

__all__ = [
    "ALL_DAYS",
    "BOOKABLE_QUOTAS",
    "BOOKABLE_QUOTA_CHOICES",
    "LOCKED_STATUSES",
    "MAX_PASSENGERS",
    "BerthType",
    "Coach",
    "Company",
    "CompanyMembership",
    "OperatorApplication",
    "OperatorRules",
    "Quota",
    "Route",
    "RouteException",
    "RouteStop",
    "Seat",
    "SeatLayout",
    "Station",
    "StationAlias",
    "TravelClass",
    "Trip",
    "TripEvent",
    "TripStatus",
    "Vehicle",
    "Weekday",
    "format_departure_times",
    "parse_departure_times",
    "validate_currency",
    "validate_departure_times",
    "validate_time_zone",
]
