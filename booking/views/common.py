"""What the passenger pages share: times in a station's zone, statuses as shown."""

from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext, gettext_lazy

from fleet.models import Station

from ..models import Passenger, PassengerStatus, Pnr
from ..sales.selectors.pnrs import (
    pnr_detail_get_for_user,
    pnr_get_for_user,
    pnr_status,
)

PNR_STATUS_LABELS = {
    **dict(PassengerStatus.choices),
    "PARTIAL": gettext_lazy("Mixed: see each passenger"),
}


def local_time(moment: datetime, station: Station) -> str:
    """Mon 07 Jan 2030, 08:00 IST: `moment` in the station's own time zone."""
    local = moment.astimezone(station.tzinfo)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def passenger_status(passenger: Passenger) -> str:
    """Confirmed, RAC 3, WL 12, Cancelled: the queue position for those who wait
    (`queue_position`, from `passengers_with_positions`)."""
    if passenger.status in (PassengerStatus.RAC, PassengerStatus.WAITLISTED):
        return f"{passenger.status} {passenger.queue_position}"
    return passenger.get_status_display()


def pnr_or_404(user, number: str, *, detail: bool = False) -> Pnr:
    try:
        if detail:
            return pnr_detail_get_for_user(user, number)
        return pnr_get_for_user(user, number)
    except Pnr.DoesNotExist:
        raise Http404(gettext("You have no PNR with this number.")) from None


def pnr_status_shown(passengers) -> tuple[str, str]:
    """A PNR's status code (CNF, RAC, WL, CAN, PARTIAL) and its label."""
    code = pnr_status(passengers)
    return code, PNR_STATUS_LABELS[code]
