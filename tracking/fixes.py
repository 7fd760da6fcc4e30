"""GPS fixes as they travel from a publisher (a driver's phone, an operator's feed, the
simulator) to the position store and the trip's subscribers."""

from dataclasses import dataclass, fields
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Fix:
    """One position of a trip's vehicle, taken at `recorded_at` (device time, aware UTC)."""

    trip_id: int
    lat: float
    lon: float
    recorded_at: datetime
    speed_kmh: float | None = None
    heading: float | None = None
    accuracy_m: float | None = None
    source: str = "driver"
    vehicle_id: int | None = None

    def as_message(self) -> dict:
        """JSON-ready: the time as ISO 8601 text in UTC. (Field by field: every field is a
        plain value, and dataclasses.asdict deep-copies each.)"""
        data = {name: getattr(self, name) for name in _FIELDS}
        data["recorded_at"] = self.recorded_at.astimezone(UTC).isoformat()
        return data

    @classmethod
    def from_message(cls, data: dict) -> "Fix":
        """The fix `as_message` described (as read back from the store)."""
        values = dict(data)
        values["recorded_at"] = datetime.fromisoformat(values["recorded_at"])
        return cls(
            **{name: values.get(name) for name in cls.__dataclass_fields__ if name in values}
        )


_FIELDS = tuple(f.name for f in fields(Fix))


def _number(data: dict, name: str, low: float, high: float, *, required: bool) -> float | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ValidationError({name: _("This field is required.")})
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError({name: _("Must be a number.")})
    if not low <= value <= high:
        raise ValidationError(
            {name: _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}}
        )
    return float(value)


def _moment(value) -> datetime:
    """An aware datetime from ISO 8601 text with an offset; ValidationError for anything
    else, including well-formed text that names no real moment (month 13, offset +99:00),
    where parse_datetime raises ValueError."""
    refused = ValidationError({"recorded_at": _("Use an ISO 8601 time with a UTC offset.")})
    if not isinstance(value, str):
        raise refused
    try:
        parsed = parse_datetime(value)
        if parsed is None or timezone.is_naive(parsed):
            raise refused
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise refused from None


def fix_parse(*, trip_id: int, data: dict, source: str = "driver") -> Fix:
    """Validate a GPS fix as a publisher sent it; raises ValidationError with per-field
    messages. Without `recorded_at` the fix is taken as of now."""
    if not isinstance(data, dict):
        raise ValidationError(_("A position is a JSON object."))
    recorded_at = timezone.now()
    if data.get("recorded_at") is not None:
        recorded_at = _moment(data["recorded_at"])
    return Fix(
        trip_id=trip_id,
        lat=_number(data, "lat", -90, 90, required=True),
        lon=_number(data, "lon", -180, 180, required=True),
        recorded_at=recorded_at,
        speed_kmh=_number(data, "speed_kmh", 0, 500, required=False),
        heading=_number(data, "heading", 0, 360, required=False),
        accuracy_m=_number(data, "accuracy_m", 0, 100_000, required=False),
        source=source,
    )
