"""What a platform admin's SQL may read: per model, the fields it may see, and, beside them,
the fields it may not, with the reason.

Kept as data on the models' names, resolved through `_meta` to tables and columns when first
asked, so a renamed table or column follows. Every concrete field of a listed model is in one
of the two lists (the tests check it): a field added later is readable only once someone
decides it is. Models not listed at all (sessions, permissions, the admin's log) are not
readable.

Withheld: password hashes; secrets and keys (ticket signing keys, POS device keys,
idempotency keys and the responses they replay, providers' payloads); other people's contact
details (email addresses, phone numbers, passport numbers), and free text or JSON that may
carry them (message bodies, delivery errors, POS records, charts, audit details).
"""

import logging
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

logger = logging.getLogger(__name__)

READABLE: dict[str, tuple[str, ...]] = {
    # ttms core
    "accounts.User": (
        "id",
        "last_login",
        "is_superuser",
        "full_name",
        "role",
        "language",
        "is_active",
        "is_staff",
        "date_joined",
    ),
    "contenttypes.ContentType": ("id", "app_label", "model"),
    "notifications.OutboxMessage": (
        "id",
        "topic",
        "user",
        "language",
        "dedupe_key",
        "created_at",
        "sent_at",
        "read_at",
    ),
    "notifications.Delivery": (
        "id",
        "message",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ),
    "notifications.Preference": ("id", "user", "topic", "channel", "enabled"),
    "audit.AuditEntry": (
        "id",
        "at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "company",
    ),
    # fleet
    "fleet.Company": (
        "id",
        "name",
        "slug",
        "kind",
        "time_zone",
        "commission_bp",
        "refund_policy",
        "refund_tiers",
        "quota_distribution",
        "charting_offset_minutes",
        "currency",
        "quotas",
        "rac",
        "charting",
        "booking_horizon_days",
        "max_passengers",
        "swap_upgrades",
        "positions_public",
        "is_active",
        "created_at",
    ),
    "fleet.CompanyMembership": ("id", "user", "company", "role", "home_station", "created_at"),
    "fleet.OperatorApplication": (
        "id",
        "company_name",
        "kind",
        "currency",
        "time_zone",
        "fleet_size",
        "status",
        "decided_by",
        "decided_at",
        "company",
        "created_at",
    ),
    "fleet.Station": (
        "id",
        "code",
        "name",
        "city",
        "region",
        "latitude",
        "longitude",
        "time_zone",
        "search_name",
        "company",
        "updated_at",
    ),
    "fleet.StationAlias": ("id", "station", "name", "search_name"),
    "fleet.TravelClass": ("id", "code", "name", "company", "is_sleeper", "rank"),
    "fleet.SeatLayout": ("id", "name", "company", "kind", "rows", "grid", "rac_berths"),
    "fleet.Vehicle": ("id", "company", "code", "name", "kind", "is_active", "created_at"),
    "fleet.Coach": ("id", "vehicle", "code", "travel_class", "layout", "position"),
    "fleet.Seat": ("id", "coach", "number", "berth_type", "is_rac", "row", "column"),
    "fleet.Route": (
        "id",
        "company",
        "code",
        "number",
        "name",
        "departure_times",
        "running_days",
        "valid_from",
        "valid_to",
        "default_vehicle",
        "is_active",
        "updated_at",
    ),
    "fleet.RouteStop": (
        "id",
        "route",
        "sequence",
        "station",
        "distance_km",
        "arrival_offset",
        "departure_offset",
    ),
    "fleet.RouteException": ("id", "route", "date", "kind"),
    "fleet.Trip": (
        "id",
        "route",
        "service_date",
        "departure_at",
        "arrival_at",
        "vehicle",
        "status",
        "status_changed_at",
        "created_at",
    ),
    "fleet.TripEvent": (
        "id",
        "trip",
        "action",
        "from_status",
        "to_status",
        "by",
        "reason",
        "details",
        "at",
    ),
    # payments
    "payments.Account": ("id", "kind", "currency", "user", "company", "balance", "created_at"),
    "payments.Transaction": (
        "id",
        "kind",
        "currency",
        "reference_type",
        "reference_id",
        "description",
        "created_by",
        "idempotency_record",
        "created_at",
    ),
    "payments.Entry": ("id", "transaction", "account", "amount"),
    "payments.IdempotencyRecord": (
        "id",
        "user",
        "scope",
        "response_status",
        "created_at",
        "expires_at",
    ),
    "payments.Payment": (
        "id",
        "user",
        "provider",
        "amount",
        "currency",
        "status",
        "provider_reference",
        "failure_reason",
        "failure_code",
        "request_attempts",
        "transaction",
        "idempotency_record",
        "created_at",
        "updated_at",
        "completed_at",
    ),
    "payments.WebhookEvent": (
        "id",
        "provider",
        "event_id",
        "event_key",
        "event_type",
        "payment",
        "outcome",
        "message",
        "received_at",
    ),
    "payments.SettlementRun": (
        "id",
        "company",
        "period_start",
        "period_end",
        "currency",
        "time_zone",
        "sales",
        "sales_count",
        "refunds",
        "refunds_count",
        "commission",
        "rate_bp",
        "net",
        "brought_forward",
        "payout_amount",
        "payout",
        "days",
        "reference",
        "created_by",
        "created_at",
    ),
    # booking
    "booking.TripClass": (
        "id",
        "trip",
        "class_code",
        "seats",
        "promotion_due",
        "closed",
        "charted_at",
        "created_at",
    ),
    "booking.Place": (
        "id",
        "trip_class",
        "seat",
        "half",
        "quota",
        "coach",
        "order",
        "berth_type",
        "coach_code",
        "seat_number",
        "legs_low",
        "legs_high",
    ),
    "booking.Pnr": (
        "id",
        "number",
        "user",
        "booked_by",
        "buyer_name",
        "trip",
        "trip_class",
        "class_code",
        "quota",
        "origin",
        "destination",
        "origin_sequence",
        "destination_sequence",
        "departure_at",
        "arrival_at",
        "distance_km",
        "legs_low",
        "legs_high",
        "total_fare",
        "currency",
        "created_at",
    ),
    "booking.Passenger": (
        "id",
        "pnr",
        "trip_class",
        "index",
        "name",
        "age",
        "gender",
        "berth_preference",
        "nationality",
        "status",
        "booking_status",
        "quota",
        "seat",
        "half",
        "fare",
        "cancellation",
        "refund",
    ),
    "booking.TicketKey": ("id", "kid", "state", "ed25519_public", "created_at", "state_changed_at"),
    "booking.BoardingScan": (
        "id",
        "trip",
        "passenger",
        "scanned_by",
        "scanned_at",
        "received_at",
        "station",
        "device",
        "nonce",
        "offline",
        "device_result",
        "result",
        "reason",
        "payload_digest",
    ),
    "booking.Boarding": ("id", "passenger", "trip", "scan", "boarded_at", "boarded_by", "station"),
    "booking.BoardingConflict": ("id", "trip", "passenger", "winner", "loser", "created_at"),
    "booking.FareRule": (
        "id",
        "company",
        "class_code",
        "rate_per_km",
        "minimum_fare",
        "multipliers_bp",
    ),
    "booking.StageFare": ("id", "route", "origin", "destination", "class_code", "amount"),
    "booking.Cancellation": (
        "id",
        "pnr",
        "cause",
        "cancelled_by",
        "created_at",
        "policy",
        "minutes_before_departure",
        "charted",
        "fare",
        "charge",
        "refund",
        "lines",
        "transaction",
    ),
    "booking.Promotion": (
        "id",
        "passenger",
        "trip_class",
        "from_status",
        "to_status",
        "seat",
        "half",
        "cause",
        "created_at",
    ),
    "booking.Chart": ("id", "trip", "prepared_at", "prepared_by", "summary"),
    "booking.Device": (
        "id",
        "company",
        "agent",
        "device_id",
        "name",
        "enrolled_at",
        "revoked_at",
        "last_seq",
        "last_hash",
    ),
    "booking.SyncRecord": (
        "id",
        "device",
        "seq",
        "client_uuid",
        "hash",
        "device_time",
        "received_at",
        "result",
        "pnr",
        "cash_to_return",
        "reason",
    ),
    "booking.AuditCase": (
        "id",
        "company",
        "device",
        "agent",
        "reason",
        "first_bad_seq",
        "detail",
        "opened_at",
        "resolved_at",
        "resolved_by",
        "note",
    ),
    "booking.Shift": (
        "id",
        "company",
        "agent",
        "station",
        "currency",
        "opened_at",
        "float_amount",
        "closed_at",
        "counted",
        "expected",
        "difference",
        "flagged",
    ),
    # tracking
    "tracking.PositionSample": (
        "id",
        "trip",
        "vehicle",
        "recorded_at",
        "received_at",
        "lat",
        "lon",
        "speed_kmh",
        "heading",
        "accuracy_m",
        "progress_m",
        "source",
    ),
    "tracking.StopVisit": (
        "id",
        "trip",
        "sequence",
        "station",
        "arrived_at",
        "departed_at",
        "skipped",
    ),
}

# Each withheld field with its reason (for the docs, and so that every field is decided).
WITHHELD: dict[str, dict[str, str]] = {
    "accounts.User": {"password": "password hash", "email": "contact", "phone": "contact"},
    "notifications.OutboxMessage": {
        "email": "contact",
        "phone": "contact",
        "payload": "message body: addresses, links with tokens",
    },
    "notifications.Delivery": {
        "last_error": "provider's error text, may name the address",
        "provider_ref": "provider's message id",
    },
    "audit.AuditEntry": {
        "actor_name": "the acting user's email",
        "data": "details that may carry contact data",
    },
    "fleet.OperatorApplication": {
        "contact_name": "applicant's contact",
        "email": "contact",
        "phone": "contact",
        "message": "free text from the applicant",
    },
    "payments.IdempotencyRecord": {
        "key": "a client's idempotency key",
        "fingerprint": "digest of the request",
        "response_body": "the replayed response",
    },
    "payments.Payment": {"payer": "the payer's phone or account at the provider"},
    "payments.WebhookEvent": {"payload": "the provider's signed payload"},
    "booking.Pnr": {"buyer_phone": "contact"},
    "booking.Passenger": {"passport_number": "identity document"},
    "booking.TicketKey": {
        "hmac_secret": "ticket signing key",
        "ed25519_private": "ticket signing key",
    },
    "booking.Chart": {"rows": "the printed chart, with passengers' details"},
    "booking.Device": {"public_key": "a POS device's key"},
    "booking.SyncRecord": {"record": "the sale as the device sent it, with buyer details"},
}


@cache
def readable_columns() -> dict[str, tuple[str, ...]]:
    """Table name → the column names a platform admin's SQL may read, in the model's order.

    A listed model or field that no longer exists is left out (and logged): the list fails
    closed, and its test names what to update."""
    return _resolve(READABLE)


@cache
def withheld_columns() -> dict[str, tuple[str, ...]]:
    """Table name → its columns that are not readable (only tables that have some)."""
    return _resolve(WITHHELD)


def _resolve(lists) -> dict[str, tuple[str, ...]]:
    resolved = {}
    for label, names in lists.items():
        try:
            opts = apps.get_model(label)._meta
        except LookupError:
            logger.warning("sql allow-list: no model %s", label)
            continue
        for name in names:
            try:
                opts.get_field(name)
            except FieldDoesNotExist:
                logger.warning("sql allow-list: %s has no field %s", label, name)
        resolved[opts.db_table] = tuple(
            field.column for field in opts.concrete_fields if field.name in names
        )
    return resolved
