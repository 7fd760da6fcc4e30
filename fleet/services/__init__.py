"""Writes of the fleet app, one module per workflow: `companies`, `stations`, `vehicles`
(classes, layouts, seats), `routes`, `trips` (the status machine and edits), `generation`.

Every function is keyword-only, runs in one `transaction.atomic` and raises
`fleet.exceptions` refusals (or Django's ValidationError for a bad field) with messages a
user can read. Interfaces (admin, API, commands) check who may act on which company;
services check the rules of the domain.
"""

from .companies import COMPANY_AUDITED_FIELDS, company_save, membership_set
from .generation import GenerationReport, departure_at, route_runs_on, trips_generate
from .onboarding import (
    commission_bp_from_percent,
    membership_invitation_resend,
    operator_application_approve,
    operator_application_decline,
    operator_application_submit,
    operator_invite,
)
from .routes import route_check_editable, route_create, route_stops_validate
from .stations import station_upsert
from .trips import (
    IN_SERVICE,
    TRANSITIONS,
    TRIP_CANCEL_NEEDED,
    VEHICLE_SWAP_NEEDED,
    trip_advance,
    trip_arrive,
    trip_delete,
    trip_depart,
    trip_locked_message,
    trip_mark_cancelled,
    trip_start_boarding,
    trip_transition,
    trip_update,
    trip_vehicle_set,
)
from .vehicles import (
    STANDARD_CLASSES,
    coach_build_seats,
    standard_layout,
    travel_class_standard,
    vehicle_check_editable,
    vehicle_create,
)

__all__ = [
    "COMPANY_AUDITED_FIELDS",
    "IN_SERVICE",
    "STANDARD_CLASSES",
    "TRANSITIONS",
    "TRIP_CANCEL_NEEDED",
    "VEHICLE_SWAP_NEEDED",
    "GenerationReport",
    "coach_build_seats",
    "commission_bp_from_percent",
    "company_save",
    "departure_at",
    "membership_invitation_resend",
    "membership_set",
    "operator_application_approve",
    "operator_application_decline",
    "operator_application_submit",
    "operator_invite",
    "route_check_editable",
    "route_create",
    "route_runs_on",
    "route_stops_validate",
    "standard_layout",
    "station_upsert",
    "travel_class_standard",
    "trip_advance",
    "trip_arrive",
    "trip_delete",
    "trip_depart",
    "trip_locked_message",
    "trip_mark_cancelled",
    "trip_start_boarding",
    "trip_transition",
    "trip_update",
    "trip_vehicle_set",
    "trips_generate",
    "vehicle_check_editable",
    "vehicle_create",
]
