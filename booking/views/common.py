"""What the passenger pages share: times in a station's zone, statuses as shown."""

from datetime import datetime

from fleet.models import Station

from ..models import Passenger, PassengerStatus

PNR_STATUS_LABELS = {**dict(PassengerStatus.choices), "PARTIAL": "Mixed: see each passenger"}


def local_time(moment: datetime, station: Station) -> str:
    """Mon 07 Jan 2030, 08:00 IST: `moment` in the station's own time zone."""
    local = moment.astimezone(station.tzinfo)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def passenger_status(passenger: Passenger) -> str:
    """Confirmed, RAC 3, WL 12, Cancelled: the queue position for those who wait
    (`queue_position`, from `selectors.passengers_with_positions`)."""
    if passenger.status in (PassengerStatus.RAC, PassengerStatus.WAITLISTED):
        return f"{passenger.status} {passenger.queue_position}"
    return passenger.get_status_display()
