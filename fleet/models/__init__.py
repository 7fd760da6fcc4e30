"""Fleet's models, one module per family; importable from `fleet.models`, as Django and the
callers expect."""

from .companies import Company, CompanyMembership, validate_time_zone
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
    "LOCKED_STATUSES",
    "BerthType",
    "Coach",
    "Company",
    "CompanyMembership",
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
    "validate_departure_times",
    "validate_time_zone",
]
