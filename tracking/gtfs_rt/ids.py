"""The GTFS ids of TTMS objects, as `import_gtfs` read them."""

from datetime import datetime
from zoneinfo import ZoneInfo

from google.transit import gtfs_realtime_pb2

from fleet.models import Trip


def gtfs_stop_id(station_code: str) -> str:
    """A station coded PREFIX:stop_id gives its stop_id; a code without a prefix is kept."""
    return station_code.split(":", 1)[1] if ":" in station_code else station_code


def gtfs_start_time(trip: Trip, time_zone: str) -> str:
    """The trip's departure as GTFS writes it: local wall-clock time after the service day's
    midnight, past 24:00:00 for runs after midnight."""
    local = trip.departure_at.astimezone(ZoneInfo(time_zone))
    midnight = datetime.combine(trip.service_date, datetime.min.time(), tzinfo=local.tzinfo)
    seconds = int((local.replace(tzinfo=None) - midnight.replace(tzinfo=None)).total_seconds())
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def trip_descriptor_fill(descriptor, trip: Trip, time_zone: str) -> None:
    """trip_id is the route's code (the GTFS trip_id of an imported route); start_date and
    start_time name the run, as frequency-based trips need."""
    descriptor.trip_id = trip.route.code
    descriptor.start_date = trip.service_date.strftime("%Y%m%d")
    descriptor.start_time = gtfs_start_time(trip, time_zone)
    descriptor.schedule_relationship = gtfs_realtime_pb2.TripDescriptor.SCHEDULED
