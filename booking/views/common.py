"""What the passenger pages share: times in a station's zone, statuses as shown."""

from dataclasses import dataclass
from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext, gettext_lazy, ngettext

from fleet.models import Company, Station, Vehicle

from ..models import Passenger, PassengerStatus, Pnr, Quota
from ..sales.selectors.pnrs import (
    pnr_detail_get_for_user,
    pnr_get_for_user,
    pnr_status,
)
from ..sales.selectors.seat_maps import class_names

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


@dataclass(frozen=True)
class OperatorTerms:
    """What a passenger page shows of an operator's practice (`Company.rules`): quotas
    only when it sells more than General, RAC and the waiting list only when it keeps
    them, coaches only on vehicles that have several (a bus is one cabin), classes by
    name on buses ("Standard") and by code on trains ("SL")."""

    currency: str
    quotas: tuple[str, ...]
    choose_quota: bool
    rac: bool
    waitlist: bool
    coaches: bool

    @property
    def tatkal(self) -> bool:
        return Quota.TATKAL in self.quotas

    @property
    def foreign_tourist(self) -> bool:
        return Quota.FOREIGN_TOURIST in self.quotas


def operator_terms(company: Company, *, vehicle_kind: str = "") -> OperatorTerms:
    rules = company.rules
    bus = (vehicle_kind or company_vehicle_kind(company)) == Vehicle.Kind.BUS
    return OperatorTerms(
        currency=company.currency,
        quotas=rules.quotas,
        choose_quota=len(rules.quotas) > 1,
        rac=rules.rac,
        waitlist=rules.waitlist,
        coaches=not bus,
    )


def company_vehicle_kind(company: Company) -> str:
    return Vehicle.Kind.BUS if company.kind == Company.Kind.BUS else Vehicle.Kind.TRAIN


def class_label(code: str, *, names: dict[str, str], terms: OperatorTerms) -> str:
    """ "SL" on a train (the code railway passengers know), "Standard" on a bus."""
    return code if terms.coaches else names.get(code, code.title())


def availability_text(status: str, *, free: int, terms: OperatorTerms) -> str:
    """The availability as the operator's passengers read it: the railway's AVAILABLE-n,
    RAC n, WL n; else "12 seats free" or "Sold out"."""
    if terms.rac or terms.waitlist:
        return status
    if free:
        return ngettext("{n} seat free", "{n} seats free", free).format(n=free)
    return gettext("Sold out")


def pnr_terms(pnr: Pnr) -> dict:
    """The operator's terms and the class as shown, for the pages of a PNR."""
    company = pnr.trip.route.company
    terms = operator_terms(company)
    names = {} if terms.coaches else class_names(company_id=company.pk, codes=[pnr.class_code])
    return {"terms": terms, "class_label": class_label(pnr.class_code, names=names, terms=terms)}
