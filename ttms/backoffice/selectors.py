"""Every figure of the operators' and the platform's dashboards: pure reads, each scoped by a
`companies` queryset (`fleet.selectors.companies_for_user`), aggregated in the database.

Days are local days of each company's time zone (a sale at 23:30 in Kigali counts on that
day in Kigali, whatever the UTC date); companies are grouped by zone so each zone costs one
query. Money is integers of minor units, always beside its currency: amounts of different
currencies are never added. The figures follow the settlement's meaning
(`payments.ledger.selectors.settlement_for_company`); docs/dashboards.md defines each.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from booking.models import Passenger, PassengerStatus, TripClass
from booking.models.pnrs import SEATED_STATUSES
from fleet.models import Company, Route, RouteStop, Seat, Trip, TripStatus
from payments.models import Account, Entry, Transaction
from tracking.models import StopVisit
from tracking.store import position_store
from ttms import localtime

# A vehicle counts as on the road with a fix this recent, even before its trip is DEPARTED.
ON_THE_ROAD_FIX_MINUTES = 15


# --- Zones and periods ---------------------------------------------------------------------


def _zones(companies: QuerySet[Company]) -> dict[str, list[int]]:
    """Company ids by time zone: one query."""
    zones: dict[str, list[int]] = defaultdict(list)
    for pk, zone_name in companies.order_by("pk").values_list("pk", "time_zone"):
        zones[zone_name].append(pk)
    return dict(zones)


def _range_bounds(zone_name: str, start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the zone."""
    return localtime.day_bounds(start, zone_name)[0], localtime.day_bounds(end, zone_name)[1]


def _in_local_days(
    lookup: str, company_lookup: str, zones: dict[str, list[int]], start: date, end: date
) -> Q:
    """Rows whose `lookup` moment falls on the local days start..end of their company."""
    condition = Q(pk__in=[])
    for zone_name, ids in zones.items():
        since, until = _range_bounds(zone_name, start, end)
        condition |= Q(
            **{f"{company_lookup}__in": ids, f"{lookup}__gte": since, f"{lookup}__lt": until}
        )
    return condition


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator ÷ denominator as a percentage with one decimal; None for nothing offered."""
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.1"))


# --- Money per day -------------------------------------------------------------------------


@dataclass
class MoneyDay:
    """One company's money on one local day, in its currency (minor units), as the
    settlement reads it: `sales` what passengers paid (commission included), `refunds` what
    was paid back, `commission` what the platform kept (on sales, less what it returned on
    refunds), `net` what the company earned (sales − refunds − commission)."""

    day: date
    company_id: int
    company_name: str
    currency: str
    sales: int = 0
    sales_count: int = 0
    refunds: int = 0
    refunds_count: int = 0
    commission: int = 0
    net: int = 0
    tickets: int = 0


def money_by_day(*, companies: QuerySet[Company], start: date, end: date) -> list[MoneyDay]:
    """Per company and local day start..end: sales, refunds, commission and net from the
    ledger (the entries on the company's revenue account and on the platform's commission
    account of the same sale and refund transactions), and tickets (passengers booked that
    day, whatever their status since). Only days with any of these appear. Ordered by day,
    then company name. Two queries per time zone, plus one."""
    zones = _zones(companies)
    names = dict(companies.values_list("pk", "name"))
    currencies = dict(companies.values_list("pk", "currency"))
    rows: dict[tuple[date, int, str], MoneyDay] = {}

    def row(day: date, company_id: int, currency: str) -> MoneyDay:
        key = (day, company_id, currency)
        if key not in rows:
            rows[key] = MoneyDay(
                day=day, company_id=company_id, company_name=names[company_id], currency=currency
            )
        return rows[key]

    for zone_name, ids in zones.items():
        since, until = _range_bounds(zone_name, start, end)
        zone = localtime.zone(zone_name)
        # Each sale or refund names one company's revenue account; the commission entry of
        # the same transaction is that company's commission.
        entries = (
            Entry.objects.filter(
                account__kind__in=[Account.Kind.REVENUE, Account.Kind.COMMISSION],
                transaction__kind__in=[*Transaction.SALE_KINDS, *Transaction.REFUND_KINDS],
                transaction__created_at__gte=since,
                transaction__created_at__lt=until,
                transaction__entries__account__kind=Account.Kind.REVENUE,
                transaction__entries__account__company_id__in=ids,
            )
            .annotate(
                day=TruncDate("transaction__created_at", tzinfo=zone),
                owner=F("transaction__entries__account__company_id"),
            )
            .values("day", "owner", "account__currency", "transaction__kind", "account__kind")
            .annotate(total=Sum("amount"), transactions=Count("transaction_id", distinct=True))
            .order_by()
        )
        for item in entries:
            target = row(item["day"], item["owner"], item["account__currency"])
            total = item["total"]
            is_revenue = item["account__kind"] == Account.Kind.REVENUE
            if item["transaction__kind"] in Transaction.SALE_KINDS:
                target.sales += total
                if is_revenue:
                    target.sales_count += item["transactions"]
            else:
                target.refunds -= total
                if is_revenue:
                    target.refunds_count += item["transactions"]
            if is_revenue:
                target.net += total
            else:
                target.commission += total
        tickets = (
            Passenger.objects.filter(
                pnr__trip__route__company_id__in=ids,
                pnr__created_at__gte=since,
                pnr__created_at__lt=until,
            )
            .annotate(day=TruncDate("pnr__created_at", tzinfo=zone))
            .values("day", "pnr__trip__route__company_id", "pnr__currency")
            .annotate(count=Count("pk"))
            .order_by()
        )
        for item in tickets:
            company_id = item["pnr__trip__route__company_id"]
            row(
                item["day"], company_id, item["pnr__currency"] or currencies[company_id]
            ).tickets += item["count"]
    return sorted(rows.values(), key=lambda r: (r.day, r.company_name, r.company_id, r.currency))


@dataclass
class MoneyTotal:
    """Sums of MoneyDay rows that share a currency (and, per company, a company)."""

    currency: str
    company_id: int | None = None
    company_name: str = ""
    sales: int = 0
    refunds: int = 0
    commission: int = 0
    net: int = 0
    tickets: int = 0
    days: list[MoneyDay] = field(default_factory=list)


def _add(total: MoneyTotal, day: MoneyDay) -> None:
    total.sales += day.sales
    total.refunds += day.refunds
    total.commission += day.commission
    total.net += day.net
    total.tickets += day.tickets
    total.days.append(day)


def money_by_currency(days: list[MoneyDay]) -> list[MoneyTotal]:
    """The days' totals, one per currency, ordered by currency (never added across)."""
    totals: dict[str, MoneyTotal] = {}
    for day in days:
        _add(totals.setdefault(day.currency, MoneyTotal(currency=day.currency)), day)
    return [totals[currency] for currency in sorted(totals)]


def companies_ranked(*, companies: QuerySet[Company], days: list[MoneyDay]) -> list[MoneyTotal]:
    """Every company of `companies` with its totals over `days`, ranked by tickets sold, then
    by sales within the same currency, then by name (a company with nothing sold is last)."""
    totals = {
        pk: MoneyTotal(currency=currency, company_id=pk, company_name=name)
        for pk, name, currency in companies.values_list("pk", "name", "currency")
    }
    for day in days:
        total = totals[day.company_id]
        if day.currency != total.currency:
            # A company's sales in another currency than its own (it changed currency) are
            # shown in their own row.
            total = totals.setdefault(
                (day.company_id, day.currency),
                MoneyTotal(
                    currency=day.currency, company_id=day.company_id, company_name=day.company_name
                ),
            )
        _add(total, day)
    return sorted(totals.values(), key=lambda t: (-t.tickets, t.currency, -t.sales, t.company_name))


def daily_series(days: list[MoneyDay], start: date, end: date) -> list[dict]:
    """For the charts: per currency, every day start..end (missing days as zero) with its
    sales, refunds, commission and tickets, summed over the companies of that currency."""
    by_currency: dict[str, dict[date, MoneyDay]] = defaultdict(dict)
    for day in days:
        into = by_currency[day.currency].setdefault(
            day.day, MoneyDay(day=day.day, company_id=0, company_name="", currency=day.currency)
        )
        into.sales += day.sales
        into.refunds += day.refunds
        into.commission += day.commission
        into.tickets += day.tickets
    labels = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    series = []
    for currency in sorted(by_currency):
        values = by_currency[currency]
        empty = MoneyDay(day=start, company_id=0, company_name="", currency=currency)
        series.append(
            {
                "currency": currency,
                "days": [d.isoformat() for d in labels],
                "sales": [values.get(d, empty).sales for d in labels],
                "refunds": [values.get(d, empty).refunds for d in labels],
                "commission": [values.get(d, empty).commission for d in labels],
                "tickets": [values.get(d, empty).tickets for d in labels],
            }
        )
    return series


# --- Trips, places and load -----------------------------------------------------------------


def _route_km(route_ids: set[int]) -> dict[int, Decimal]:
    """Each route's length: its last stop's distance less its first's. One query."""
    rows = (
        RouteStop.objects.filter(route_id__in=route_ids)
        .values("route_id")
        .annotate(low=Min("distance_km"), high=Max("distance_km"))
        .order_by()
    )
    return {r["route_id"]: Decimal(r["high"]) - Decimal(r["low"]) for r in rows}


def _places(trips: list[tuple[int, int | None]]) -> dict[int, dict[str, int]]:
    """Per trip id, its places per class: the trip's inventory once sold (`TripClass.seats`),
    else its vehicle's seats. Two queries."""
    trip_ids = [trip_id for trip_id, _vehicle in trips]
    places: dict[int, dict[str, int]] = defaultdict(dict)
    for trip_id, code, seats in TripClass.objects.filter(trip_id__in=trip_ids).values_list(
        "trip_id", "class_code", "seats"
    ):
        places[trip_id][code] = seats
    unsold = {vehicle for trip_id, vehicle in trips if trip_id not in places and vehicle}
    by_vehicle: dict[int, dict[str, int]] = defaultdict(dict)
    if unsold:
        rows = (
            Seat.objects.filter(coach__vehicle_id__in=unsold)
            .values("coach__vehicle_id", "coach__travel_class__code")
            .annotate(count=Count("pk"))
            .order_by()
        )
        for item in rows:
            by_vehicle[item["coach__vehicle_id"]][item["coach__travel_class__code"]] = item["count"]
    for trip_id, vehicle in trips:
        if trip_id not in places and vehicle:
            places[trip_id] = dict(by_vehicle.get(vehicle, {}))
    return places


def _passenger_counts(trip_ids: list[int]) -> dict[tuple[int, str], dict[str, dict]]:
    """Per (trip, class), per active status: the passengers and the km they travel. One
    query."""
    rows = (
        Passenger.objects.filter(
            pnr__trip_id__in=trip_ids,
            status__in=[*SEATED_STATUSES, PassengerStatus.WAITLISTED],
        )
        .values("pnr__trip_id", "pnr__class_code", "status")
        .annotate(count=Count("pk"), km=Sum("pnr__distance_km"))
        .order_by()
    )
    counts: dict[tuple[int, str], dict[str, dict]] = defaultdict(dict)
    for item in rows:
        counts[(item["pnr__trip_id"], item["pnr__class_code"])][item["status"]] = {
            "count": item["count"],
            "km": Decimal(item["km"] or 0),
        }
    return counts


def _passenger_km(statuses: dict[str, dict]) -> Decimal:
    """Passenger-km: a CNF passenger the km of their journey, an RAC passenger (half a
    berth) half of them."""
    cnf = statuses.get(PassengerStatus.CONFIRMED, {}).get("km", Decimal(0))
    rac = statuses.get(PassengerStatus.RAC, {}).get("km", Decimal(0))
    return cnf + rac / 2


@dataclass
class ClassLoad:
    """One class of one trip: places (seats and berths, RAC berths included), CNF, RAC and
    WL passengers, passenger-km and seat-km, and the load factor (%) they give."""

    class_code: str
    places: int
    confirmed: int
    rac: int
    waitlisted: int
    passenger_km: Decimal
    seat_km: Decimal

    @property
    def load_factor(self) -> Decimal | None:
        return _ratio(self.passenger_km, self.seat_km)


@dataclass
class Departure:
    """A trip leaving on a local day: when (aware UTC; pages show it in `zone`), its route,
    status, vehicle, drivers and its classes' load."""

    trip_id: int
    day: date
    departure_at: datetime
    zone: str
    company_name: str
    route_number: str
    route_name: str
    status: str
    status_label: str
    vehicle: str
    drivers: list[str]
    classes: list[ClassLoad]


def departures(
    *, companies: QuerySet[Company], days: int = 2, route: Route | None = None
) -> list[Departure]:
    """Trips of `companies` leaving on their company's local today and the `days` − 1 days
    after (default: today and tomorrow), in departure order, each with its classes: places,
    CNF, RAC and WL passengers and the load factor. Seven queries, whatever the number of
    trips."""
    zones = _zones(companies)
    condition = Q(pk__in=[])
    for zone_name, ids in zones.items():
        first = localtime.today(zone_name)
        since, until = _range_bounds(zone_name, first, first + timedelta(days=days - 1))
        condition |= Q(route__company_id__in=ids, departure_at__gte=since, departure_at__lt=until)
    trips = Trip.objects.filter(condition)
    if route is not None:
        trips = trips.filter(route=route)
    trips = list(
        trips.select_related("route__company", "vehicle")
        .prefetch_related("drivers")
        .order_by("departure_at", "pk")
    )
    return _departure_rows(trips)


def _departure_rows(trips: list[Trip]) -> list[Departure]:
    km = _route_km({trip.route_id for trip in trips})
    places = _places([(trip.pk, trip.vehicle_id) for trip in trips])
    counts = _passenger_counts([trip.pk for trip in trips])
    rows = []
    for trip in trips:
        company = trip.route.company
        codes = sorted(
            set(places.get(trip.pk, {})) | {code for (t, code) in counts if t == trip.pk}
        )
        classes = []
        for code in codes:
            seats = places.get(trip.pk, {}).get(code, 0)
            statuses = counts.get((trip.pk, code), {})
            classes.append(
                ClassLoad(
                    class_code=code,
                    places=seats,
                    confirmed=statuses.get(PassengerStatus.CONFIRMED, {}).get("count", 0),
                    rac=statuses.get(PassengerStatus.RAC, {}).get("count", 0),
                    waitlisted=statuses.get(PassengerStatus.WAITLISTED, {}).get("count", 0),
                    passenger_km=_passenger_km(statuses),
                    seat_km=seats * km.get(trip.route_id, Decimal(0)),
                )
            )
        rows.append(
            Departure(
                trip_id=trip.pk,
                day=localtime.local(trip.departure_at, company.time_zone).date(),
                departure_at=trip.departure_at,
                zone=company.time_zone,
                company_name=company.name,
                route_number=trip.route.number,
                route_name=trip.route.name,
                status=trip.status,
                status_label=trip.get_status_display(),
                vehicle=trip.vehicle.code if trip.vehicle else "",
                drivers=sorted(d.full_name or d.email for d in trip.drivers.all()),
                classes=classes,
            )
        )
    return rows


@dataclass
class RouteLoad:
    """A route over a period: its trips that ran or will run (not cancelled) and the sums of
    their classes' passenger-km and seat-km."""

    route_id: int
    company_name: str
    route_number: str
    route_name: str
    trips: int
    passenger_km: Decimal
    seat_km: Decimal

    @property
    def load_factor(self) -> Decimal | None:
        return _ratio(self.passenger_km, self.seat_km)


def route_loads(
    *, companies: QuerySet[Company], start: date, end: date, route: Route | None = None
) -> list[RouteLoad]:
    """Per route of `companies` with trips leaving on the local days start..end (cancelled
    trips left out): trips, passenger-km, seat-km and load factor, highest load first. Five
    queries plus one per time zone."""
    zones = _zones(companies)
    trips = Trip.objects.filter(
        _in_local_days("departure_at", "route__company_id", zones, start, end)
    ).exclude(status=TripStatus.CANCELLED)
    if route is not None:
        trips = trips.filter(route=route)
    trip_rows = list(trips.values_list("pk", "route_id", "vehicle_id"))
    route_ids = {route_id for _pk, route_id, _vehicle in trip_rows}
    km = _route_km(route_ids)
    places = _places([(pk, vehicle) for pk, _route, vehicle in trip_rows])
    passenger_km: dict[int, Decimal] = defaultdict(Decimal)
    rows = (
        Passenger.objects.filter(
            pnr__trip_id__in=[pk for pk, _route, _vehicle in trip_rows], status__in=SEATED_STATUSES
        )
        .values("pnr__trip__route_id", "status")
        .annotate(km=Sum("pnr__distance_km"))
        .order_by()
    )
    for item in rows:
        weight = Decimal(1) if item["status"] == PassengerStatus.CONFIRMED else Decimal("0.5")
        passenger_km[item["pnr__trip__route_id"]] += Decimal(item["km"] or 0) * weight
    totals: dict[int, dict] = {}
    for pk, route_id, _vehicle in trip_rows:
        total = totals.setdefault(route_id, {"trips": 0, "seat_km": Decimal(0)})
        total["trips"] += 1
        total["seat_km"] += sum(places.get(pk, {}).values()) * km.get(route_id, Decimal(0))
    routes = Route.objects.filter(pk__in=route_ids).select_related("company")
    loads = [
        RouteLoad(
            route_id=r.pk,
            company_name=r.company.name,
            route_number=r.number,
            route_name=r.name,
            trips=totals[r.pk]["trips"],
            passenger_km=passenger_km.get(r.pk, Decimal(0)),
            seat_km=totals[r.pk]["seat_km"],
        )
        for r in routes
    ]
    return sorted(
        loads, key=lambda r: (-(r.load_factor or Decimal(-1)), r.company_name, r.route_number)
    )


@dataclass(frozen=True)
class PairSales:
    """An origin–destination pair over a period: the passengers booked for it (not since
    cancelled) and their fares, in one currency."""

    origin_code: str
    origin_name: str
    destination_code: str
    destination_name: str
    currency: str
    passengers: int
    fares: int


def top_pairs(
    *,
    companies: QuerySet[Company],
    start: date,
    end: date,
    route: Route | None = None,
    limit: int = 10,
) -> list[PairSales]:
    """The `limit` origin–destination pairs with the most passengers booked on the local days
    start..end (PNR created then; passengers cancelled since are left out), with the fares
    those passengers paid, per currency. Ties by fares, then by codes. One query."""
    zones = _zones(companies)
    passengers = Passenger.objects.filter(
        _in_local_days("pnr__created_at", "pnr__trip__route__company_id", zones, start, end)
    ).exclude(status=PassengerStatus.CANCELLED)
    if route is not None:
        passengers = passengers.filter(pnr__trip__route=route)
    rows = (
        passengers.values(
            "pnr__origin__code",
            "pnr__origin__name",
            "pnr__destination__code",
            "pnr__destination__name",
            "pnr__currency",
        )
        .annotate(count=Count("pk"), fares=Sum("fare"))
        .order_by("-count", "-fares", "pnr__origin__code", "pnr__destination__code")[:limit]
    )
    return [
        PairSales(
            origin_code=r["pnr__origin__code"],
            origin_name=r["pnr__origin__name"],
            destination_code=r["pnr__destination__code"],
            destination_name=r["pnr__destination__name"],
            currency=r["pnr__currency"],
            passengers=r["count"],
            fares=r["fares"] or 0,
        )
        for r in rows
    ]


# --- On the road ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OnTheRoad:
    """A trip's vehicle on the road now: its last fix's age (seconds) and speed, and its
    delay (seconds, late positive), None where tracking has none."""

    trip_id: int
    company_id: int
    company_name: str
    zone: str
    route_number: str
    route_name: str
    departure_at: datetime
    status: str
    status_label: str
    vehicle_id: int | None
    vehicle: str
    fix_age_seconds: int | None
    speed_kmh: float | None
    delay_seconds: int | None


def vehicles_on_the_road(
    *, companies: QuerySet[Company], now: datetime | None = None
) -> list[OnTheRoad]:
    """Trips of `companies` DEPARTED, or not yet ARRIVED or CANCELLED with a fix in the last
    ON_THE_ROAD_FIX_MINUTES, with their last fix from the position store. One query, and
    the store's reads per trip on the road."""
    now = now or timezone.now()
    store = position_store()
    cutoff = now - timedelta(minutes=ON_THE_ROAD_FIX_MINUTES)
    tracked = store.active_trip_ids()
    trips = (
        Trip.objects.filter(route__company__in=companies)
        .filter(
            Q(status=TripStatus.DEPARTED)
            | Q(pk__in=tracked, status__in=[TripStatus.SCHEDULED, TripStatus.BOARDING])
        )
        .select_related("route__company", "vehicle")
        .order_by("departure_at", "pk")
    )
    rows = []
    for trip in trips:
        fix = store.latest(trip.pk) if trip.pk in tracked else None
        if trip.status != TripStatus.DEPARTED and (fix is None or fix.recorded_at < cutoff):
            continue
        status = (store.status(trip.pk) if fix is not None else None) or {}
        rows.append(
            OnTheRoad(
                trip_id=trip.pk,
                company_id=trip.route.company_id,
                company_name=trip.route.company.name,
                zone=trip.route.company.time_zone,
                route_number=trip.route.number,
                route_name=trip.route.name,
                departure_at=trip.departure_at,
                status=trip.status,
                status_label=trip.get_status_display(),
                vehicle_id=trip.vehicle_id,
                vehicle=trip.vehicle.code if trip.vehicle else "",
                fix_age_seconds=None
                if fix is None
                else max(0, round((now - fix.recorded_at).total_seconds())),
                speed_kmh=None if fix is None else fix.speed_kmh,
                delay_seconds=status.get("delay_seconds"),
            )
        )
    return rows


@dataclass(frozen=True)
class ActiveVehicles:
    company_id: int
    company_name: str
    vehicles: int


def active_vehicles(road: list[OnTheRoad]) -> list[ActiveVehicles]:
    """Per company, the distinct vehicles on the road (from `vehicles_on_the_road`), most
    first."""
    vehicles: dict[tuple[int, str], set[int]] = defaultdict(set)
    for row in road:
        if row.vehicle_id is not None:
            vehicles[(row.company_id, row.company_name)].add(row.vehicle_id)
    return sorted(
        (
            ActiveVehicles(company_id=c, company_name=n, vehicles=len(v))
            for (c, n), v in vehicles.items()
        ),
        key=lambda a: (-a.vehicles, a.company_name),
    )


# --- Tickets per route and delays (the analyst's) -------------------------------------------


@dataclass(frozen=True)
class RouteTickets:
    """A route's passengers booked over a period (their PNR created then), whatever their
    status since, and how many of them were cancelled since."""

    route_id: int
    company_name: str
    route_number: str
    route_name: str
    tickets: int
    cancelled: int


def tickets_by_route(
    *, companies: QuerySet[Company], start: date, end: date, route: Route | None = None
) -> list[RouteTickets]:
    """Per route of `companies`, the passengers booked on the local days start..end (the
    dashboards' `tickets`) and those cancelled since; most tickets first, then by company
    and number. One query plus one per time zone."""
    zones = _zones(companies)
    passengers = Passenger.objects.filter(
        _in_local_days("pnr__created_at", "pnr__trip__route__company_id", zones, start, end)
    )
    if route is not None:
        passengers = passengers.filter(pnr__trip__route=route)
    rows = (
        passengers.values(
            "pnr__trip__route_id",
            "pnr__trip__route__company__name",
            "pnr__trip__route__number",
            "pnr__trip__route__name",
        )
        .annotate(
            count=Count("pk"),
            cancelled=Count("pk", filter=Q(status=PassengerStatus.CANCELLED)),
        )
        .order_by()
    )
    found = [
        RouteTickets(
            route_id=r["pnr__trip__route_id"],
            company_name=r["pnr__trip__route__company__name"],
            route_number=r["pnr__trip__route__number"],
            route_name=r["pnr__trip__route__name"],
            tickets=r["count"],
            cancelled=r["cancelled"],
        )
        for r in rows
    ]
    return sorted(found, key=lambda r: (-r.tickets, r.company_name, r.route_number, r.route_id))


@dataclass(frozen=True)
class TripDelay:
    """A trip tracking saw run: its delay (seconds, late positive) at the last stop it was
    seen to arrive at, against the timetable (at the first stop, its departure), and that
    stop's sequence."""

    trip_id: int
    company_name: str
    zone: str
    route_number: str
    route_name: str
    departure_at: datetime
    vehicle_id: int | None
    vehicle: str
    stop_sequence: int
    delay_seconds: int


def trip_delays(
    *, companies: QuerySet[Company], start: date, end: date, route: Route | None = None
) -> list[TripDelay]:
    """Trips of `companies` leaving on the local days start..end (cancelled ones left out)
    whose calls tracking recorded (`tracking.StopVisit`), each with its delay at the last
    stop seen reached; trips with no recorded call are left out: there is no delay to tell.
    In departure order. Three queries plus one per time zone."""
    zones = _zones(companies)
    trips = Trip.objects.filter(
        _in_local_days("departure_at", "route__company_id", zones, start, end)
    ).exclude(status=TripStatus.CANCELLED)
    if route is not None:
        trips = trips.filter(route=route)
    trips = {
        trip.pk: trip
        for trip in trips.select_related("route__company", "vehicle").order_by("departure_at", "pk")
    }
    visits = (
        StopVisit.objects.filter(trip_id__in=list(trips), skipped=False)
        .filter(Q(arrived_at__isnull=False) | Q(departed_at__isnull=False))
        .values_list("trip_id", "sequence", "arrived_at", "departed_at")
        .order_by("trip_id", "sequence")
    )
    offsets = {
        (route_id, sequence): (arrival, departure)
        for route_id, sequence, arrival, departure in RouteStop.objects.filter(
            route_id__in={trip.route_id for trip in trips.values()}
        ).values_list("route_id", "sequence", "arrival_offset", "departure_offset")
    }
    last_seen: dict[int, tuple[int, int]] = {}
    for trip_id, sequence, arrived_at, departed_at in visits:
        trip = trips[trip_id]
        arrival, departure = offsets.get((trip.route_id, sequence), (None, None))
        if arrived_at is not None and arrival is not None:
            late = arrived_at - (trip.departure_at + timedelta(minutes=arrival))
        elif departed_at is not None and departure is not None:
            late = departed_at - (trip.departure_at + timedelta(minutes=departure))
        else:
            continue
        last_seen[trip_id] = (sequence, round(late.total_seconds()))
    return [
        TripDelay(
            trip_id=trip.pk,
            company_name=trip.route.company.name,
            zone=trip.route.company.time_zone,
            route_number=trip.route.number,
            route_name=trip.route.name,
            departure_at=trip.departure_at,
            vehicle_id=trip.vehicle_id,
            vehicle=trip.vehicle.code if trip.vehicle else "",
            stop_sequence=last_seen[trip.pk][0],
            delay_seconds=last_seen[trip.pk][1],
        )
        for trip in trips.values()
        if trip.pk in last_seen
    ]
