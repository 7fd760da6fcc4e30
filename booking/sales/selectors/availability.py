"""Availability, as trip search, the seat map and the booking form count it: the seats free
per quota for a journey, the RAC and waiting lists, the fares.

Availability is read from the primary database, never a replica: a lagging replica shows
seats that are gone (DESIGN.md section 3).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Q
from django.db.models.lookups import Exact

from fleet.models import Company, OperatorRules, Seat, TravelClass
from fleet.selectors import TripOption

from ... import rules
from ...models import BOOKABLE_QUOTAS, FareRule, Passenger, PassengerStatus, Place, Quota, TripClass
from ..fares import Tariff, stage_fares_for, tariff_from_rule
from ..inventory import class_distribution
from .journeys import Journey, trip_refusal


@dataclass
class ClassAvailability:
    """One class of one trip, for one journey on it, as its operator sells it: `free` and
    `fares` name only the quotas it sells; `sells_rac` and `keeps_waitlist` say whether the
    RAC and WL counts mean anything (they stay 0 when not)."""

    class_code: str
    free: dict[str, int] = field(default_factory=dict)  # quota -> seats free on every leg
    rac_free: int = 0  # RAC half berths free on every leg
    rac: int = 0  # passengers on RAC in the class
    waitlist: int = 0  # passengers waiting in the class
    fares: dict[str, int] = field(default_factory=dict)  # quota -> fare per passenger
    class_name: str = ""  # the travel class's name ("Sleeper", "VIP")
    sells_rac: bool = True
    keeps_waitlist: bool = True

    @property
    def free_total(self) -> int:
        """Seats free on every leg in all quotas (RAC half berths not counted)."""
        return sum(self.free.values())

    @property
    def status(self) -> str:
        """What a railway site shows: AVAILABLE-n (general seats), RAC n, or WL n: the
        position the next general booking would get; SOLD OUT when the operator keeps no
        waiting list and nothing is left."""
        general = self.free.get(Quota.GENERAL, 0)
        if general:
            return f"AVAILABLE-{general}"
        if self.sells_rac and self.rac_free:
            return f"RAC {self.rac + 1}"
        if self.keeps_waitlist:
            return f"WL {self.waitlist + 1}"
        return SOLD_OUT


SOLD_OUT = "SOLD OUT"


def trips_refusals(options: list[TripOption], *, now: datetime) -> dict[int, str]:
    """Per trip (trip id) found by a search that cannot be booked now from the
    passenger's boarding stop, why (`trip_refusal`); the others are left out. Reads
    nothing."""
    refusals = {}
    for option in options:
        refusal = trip_refusal(
            trip=option.trip,
            boarding=option.origin,
            departure_at=option.departure_at,
            now=now,
        )
        if refusal:
            refusals[option.trip.pk] = refusal
    return refusals


def _journey_legs(option: TripOption) -> tuple[int, int]:
    return rules.split_mask(rules.legs_mask(option.origin_sequence, option.destination_sequence))


def trips_availability(options: list[TripOption]) -> dict[int, list[ClassAvailability]]:
    """Per trip (trip id), its classes' availability for each option's journey, as the
    trip's operator sells (`Company.rules`: its quotas, RAC, waiting list).

    Six queries whatever the number of trips: free places of the trips that have
    inventory, seat counts of those that have none yet (all free), RAC and WL counts, fare
    rules, stage fares, travel class names (`class_name`). A class without a fare for the
    journey (`FareNotSet`) has no `fares`.
    """
    if not options:
        return {}
    by_trip = {o.trip.pk: o for o in options}
    result: dict[int, dict[str, ClassAvailability]] = defaultdict(dict)

    def entry(trip_id: int, class_code: str) -> ClassAvailability:
        classes = result[trip_id]
        if class_code not in classes:
            classes[class_code] = ClassAvailability(class_code)
        return classes[class_code]

    # Trips with inventory: count the places free on each trip's legs. Trips of one route
    # share a mask, so the condition has one branch per mask.
    by_mask: dict[tuple[int, int], list[int]] = defaultdict(list)
    for trip_id, option in by_trip.items():
        by_mask[_journey_legs(option)].append(trip_id)
    condition = Q()
    for (low, high), trip_ids in by_mask.items():
        branch = Q(trip_class__trip_id__in=trip_ids) & Q(Exact(F("legs_low").bitand(low), 0))
        if high:
            branch &= Q(Exact(F("legs_high").bitand(high), 0))
        condition |= branch
    inventoried: set[int] = set()
    rows = (
        TripClass.objects.filter(trip_id__in=list(by_trip))
        .values_list("trip_id", "class_code")
        .order_by()
    )
    for trip_id, class_code in rows:
        inventoried.add(trip_id)
        entry(trip_id, class_code)
    if inventoried:
        free = (
            Place.objects.filter(condition)
            .values_list("trip_class__trip_id", "trip_class__class_code", "quota")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for trip_id, class_code, quota, n in free:
            if quota == Quota.RAC:
                entry(trip_id, class_code).rac_free = n
            else:
                entry(trip_id, class_code).free[quota] = n
        waiting = (
            Passenger.objects.filter(
                trip_class__trip_id__in=inventoried,
                status__in=[PassengerStatus.RAC, PassengerStatus.WAITLISTED],
            )
            .values_list("trip_class__trip_id", "trip_class__class_code", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for trip_id, class_code, status, n in waiting:
            if status == PassengerStatus.RAC:
                entry(trip_id, class_code).rac = n
            else:
                entry(trip_id, class_code).waitlist = n

    # Trips nobody has booked yet: every seat is free, earmarked as inventory would be.
    fresh: dict[int, list[int]] = defaultdict(list)  # vehicle -> trips without inventory
    for pk, option in by_trip.items():
        if pk not in inventoried and option.trip.vehicle_id:
            fresh[option.trip.vehicle_id].append(pk)
    if fresh:
        counts = (
            Seat.objects.filter(coach__vehicle_id__in=list(fresh))
            .values_list("coach__vehicle_id", "coach__travel_class__code")
            .annotate(
                plain=Count("pk", filter=Q(is_rac=False)),
                rac=Count("pk", filter=Q(is_rac=True)),
                coaches=Count("coach", distinct=True),
            )
            .order_by()
        )
        for vehicle_id, class_code, plain, rac, coaches in counts:
            for trip_id in fresh[vehicle_id]:
                company = by_trip[trip_id].trip.route.company
                # An operator without RAC sells its RAC berths as plain seats.
                seats, berths = (plain, rac) if company.rules.rac else (plain + rac, 0)
                quotas = rules.quota_counts(
                    class_distribution(company, class_code, coaches=coaches, plain=seats),
                    plain=seats,
                    rac=berths,
                )
                item = entry(trip_id, class_code)
                item.rac_free = quotas.pop(Quota.RAC, 0)
                item.free = quotas

    tariffs = _tariffs(
        {(o.trip.route.company, c) for pk, o in by_trip.items() for c in result.get(pk, {})}
    )
    stages = stage_fares_for(
        {
            (o.trip.route_id, o.origin.pk, o.destination.pk, c)
            for pk, o in by_trip.items()
            for c in result.get(pk, {})
        }
    )
    names = _class_names(
        {(o.trip.route.company_id, c) for pk, o in by_trip.items() for c in result.get(pk, {})}
    )
    ordered: dict[int, list[ClassAvailability]] = {}
    for trip_id, option in by_trip.items():
        classes = result.get(trip_id, {})
        operator = option.trip.route.company.rules
        for class_code, item in classes.items():
            _operator_view(item, operator)
            item.class_name = names.get((option.trip.route.company_id, class_code), class_code)
            tariff = tariffs[(option.trip.route.company_id, class_code)].for_stage(
                stages.get(
                    (option.trip.route_id, option.origin.pk, option.destination.pk, class_code)
                )
            )
            fares = {
                quota: tariff.fare(distance_km=option.distance_km, quota=quota)
                for quota in BOOKABLE_QUOTAS
            }
            item.fares = {
                quota: fare
                for quota, fare in fares.items()
                if fare is not None and operator.sells(quota)
            }
        rank = {code: i for i, code in enumerate(option.classes)}
        ordered[trip_id] = sorted(
            classes.values(), key=lambda c: (rank.get(c.class_code, 99), c.class_code)
        )
    return ordered


def journey_availability(
    journey: Journey, *, class_code: str, classes: list[str]
) -> ClassAvailability:
    """The availability of class `class_code` for `journey`, counted as trip search counts
    it (`trips_availability`, for a search that found this trip): the seat map shows these
    numbers, so that it and the search results cannot disagree. `classes`: the trip's
    classes, best first. Six queries."""
    option = TripOption(
        trip=journey.trip,
        origin=journey.origin.station,
        destination=journey.destination.station,
        departure_at=journey.departure_at,
        arrival_at=journey.arrival_at,
        distance_km=journey.distance_km,
        origin_sequence=journey.origin.sequence,
        destination_sequence=journey.destination.sequence,
        classes=classes,
    )
    found = trips_availability([option]).get(journey.trip.pk, [])
    return next(
        (item for item in found if item.class_code == class_code), ClassAvailability(class_code)
    )


def _tariffs(keys: set[tuple[Company, str]]) -> dict[tuple[int, str], Tariff]:
    rules_ = {
        (r.company_id, r.class_code): r
        for r in FareRule.objects.filter(
            company_id__in={company.pk for company, _ in keys},
            class_code__in={code for _, code in keys},
        )
    }
    return {
        (company.pk, code): tariff_from_rule(
            rules_.get((company.pk, code)), code, currency=company.currency
        )
        for company, code in keys
    }


def _operator_view(item: ClassAvailability, operator: OperatorRules) -> None:
    """Keep of `item` what its operator sells: the quotas it sells, RAC and WL counts only
    when it has RAC and a waiting list."""
    item.free = {quota: n for quota, n in item.free.items() if operator.sells(quota)}
    item.sells_rac = operator.rac
    item.keeps_waitlist = operator.waitlist
    if not operator.rac:
        item.rac_free = item.rac = 0
    if not operator.waitlist:
        item.waitlist = 0


def _class_names(keys: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """(company id, class code) -> the travel class's name: the company's own class of that
    code, else the shared one. One query."""
    if not keys:
        return {}
    found = TravelClass.objects.filter(
        Q(company_id__in={company for company, _ in keys}) | Q(company__isnull=True),
        code__in={code for _, code in keys},
    ).values_list("company_id", "code", "name")
    shared = {code: name for company, code, name in found if company is None}
    own = {(company, code): name for company, code, name in found if company is not None}
    return {key: own.get(key) or shared.get(key[1], key[1]) for key in keys}
