"""The demo's history (`manage.py load_demo`, last): two weeks of trips that ran, with their
sales, so that the dashboards and the settlement statements show figures on the first start.

For each demo operator, over its last 14 local days: one run every third day (every seventh
on the railway, whose trains are long) of one pair of its routes, alternating directions,
with its vehicle and a free driver; sold through the booking service to a few demo riders
(wallets funded through sandbox top-ups) and, at the Rwandan counter, for cash by the demo
agent; a few cancellations refunded by the cancellation service; then driven through its
statuses to ARRIVED. The services take the moment of each sale and cancellation (`now=`);
what they date by the clock (ledger transactions, trip events, top-ups, outbox rows) is
moved to that moment by `demo_history_backdate`. Last, one settlement run of Rwanda
Intercity over the first 7 days.

All of it is one transaction, marked by an audit row (`demo.history_loaded`): a second load
finds the mark and adds nothing.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from booking.exceptions import SoldOut
from booking.lifecycle.services.cancellation import booking_cancel
from booking.lifecycle.services.promotion import promote_waitlist
from booking.models import Cancellation, Pnr
from booking.pos.services.sales import pos_sale_create
from booking.sales.services.create import booking_create
from booking.sales.services.precheck import PassengerIn
from fleet.exceptions import AssignmentConflict
from fleet.models import Company, CompanyMembership, Route, Seat, Trip, TripEvent, TripStatus
from fleet.services import trip_advance, trip_update, trips_generate
from payments.exceptions import InsufficientFunds
from payments.ledger.selectors import wallet_for_user
from payments.ledger.settlements import settlement_run
from payments.models import Payment, Transaction
from payments.topups.providers.sandbox import SandboxProvider
from payments.topups.services import topup_limits, wallet_topup_start
from payments.topups.webhooks import sandbox_payment_complete
from ttms import localtime
from ttms.accounts.models import Role, User
from ttms.accounts.services import user_create
from ttms.audit.models import AuditEntry
from ttms.audit.services import audit_record
from ttms.exceptions import DomainError
from ttms.notifications.models import Delivery, OutboxMessage

HISTORY_DAYS = 14
MARK = "demo.history_loaded"
AGENT = "agent@example.com"
SETTLED = "rwanda-intercity"


@dataclass(frozen=True)
class Plan:
    """What one operator's history runs: a pair of routes and their departures (one run
    each `every` days, the last `last` days ago, alternating directions), passengers per PNR
    (low, high), the riders who book, whether trains are sold past their berths (RAC and
    waiting list) on busy days and in 2A, and whether the demo agent sells some places for
    cash."""

    routes: tuple[str, str]
    departure: tuple[str, str]
    group: tuple[int, int]
    riders: tuple[str, ...]
    every: int = 3
    last: int = 1
    overbook: bool = False
    cash: bool = False


_INDIAN = ("Rohan Mehta", "Sneha Iyer", "Arjun Nair", "Kavya Reddy", "Vikram Singh", "Meera Das")
_RWANDAN = ("Eric Mugabo", "Divine Uwera", "Yves Nkurunziza", "Ange Iradukunda", "Fabrice Ishimwe")
_KENYAN = ("Brian Otieno", "Wanjiru Njeri", "Kevin Mutua", "Akinyi Atieno", "Dennis Kiprop")

RIDERS = {
    "rohan.mehta@example.com": "Rohan Mehta",
    "sneha.iyer@example.com": "Sneha Iyer",
    "eric.mugabo@example.com": "Eric Mugabo",
    "divine.uwera@example.com": "Divine Uwera",
    "brian.otieno@example.com": "Brian Otieno",
    "wanjiru.njeri@example.com": "Wanjiru Njeri",
}

PLANS = {
    "indian-railways": Plan(
        routes=("12952", "12951"),
        departure=("16:55", "17:00"),
        group=(4, 6),
        every=7,
        last=2,
        riders=("passenger@example.com", "rohan.mehta@example.com", "sneha.iyer@example.com"),
        overbook=True,
    ),
    "rwanda-intercity": Plan(
        routes=("RIC-103", "RIC-104"),
        departure=("07:00", "15:00"),
        group=(2, 4),
        riders=("passenger@example.com", "eric.mugabo@example.com", "divine.uwera@example.com"),
        cash=True,
    ),
    "virunga-express": Plan(
        routes=("VEX-401", "VEX-402"),
        departure=("06:00", "13:00"),
        group=(2, 4),
        riders=("eric.mugabo@example.com", "divine.uwera@example.com"),
    ),
    "nairobi-metro-shuttle": Plan(
        routes=("NMS-237", "NMS-237R"),
        departure=("08:00", "16:00"),
        group=(2, 4),
        riders=("brian.otieno@example.com", "wanjiru.njeri@example.com"),
    ),
}
_NAMES = {
    "indian-railways": _INDIAN,
    "rwanda-intercity": _RWANDAN,
    "virunga-express": _RWANDAN,
    "nairobi-metro-shuttle": _KENYAN,
}


@dataclass
class Tally:
    trips: int = 0
    pnrs: int = 0
    passengers: int = 0
    cash: int = 0
    cancelled: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def demo_load() -> list[str]:
    """Make the demo's past two weeks once (see the module's docstring); a second run
    finds its mark and adds nothing."""
    if AuditEntry.objects.filter(action=MARK).exists():
        return ["demo history: exists"]
    companies = {c.slug: c for c in Company.objects.filter(slug__in=list(PLANS))}
    if len(companies) < len(PLANS):
        return ["demo history: the demo operators are missing (load the fleet demo first)"]
    if SandboxProvider.name not in settings.TTMS_PAYMENT_PROVIDERS:
        # The riders' wallets are funded through the sandbox; without it there is no history.
        return [
            "demo history: the sandbox provider is not enabled (TTMS_PAYMENT_PROVIDERS), "
            "nothing made"
        ]
    lines: list[str] = []
    with transaction.atomic():
        since = timezone.now()
        first_outbox = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
        riders = _riders(lines)
        agent = User.objects.filter(email=AGENT, role=Role.AGENT).first()
        for slug, plan in PLANS.items():
            tally = _company_history(companies[slug], plan, riders, agent, since)
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(tally.statuses.items()))
            lines.append(
                f"{slug}: {tally.trips} past trips, {tally.pnrs} PNRs ({tally.cash} in cash), "
                f"{tally.passengers} passengers ({statuses}), {tally.cancelled} cancelled"
            )
        demo_history_backdate(since=since, after_outbox_id=first_outbox or 0)
        lines.append(_settle(companies[SETTLED]))
        rail = companies["indian-railways"]
        audit_record(actor="system:demo", action=MARK, target=rail, data={"days": HISTORY_DAYS})
    return lines


def _riders(lines: list[str]) -> dict[str, User]:
    """The demo riders who book the history, made once (no password: they never sign in)."""
    made = 0
    for email, name in RIDERS.items():
        if not User.objects.filter(email=email).exists():
            user_create(email=email, password=None, full_name=name)
            made += 1
    lines.append(f"demo history riders: {made} created")
    emails = {e for plan in PLANS.values() for e in plan.riders}
    return {u.email: u for u in User.objects.filter(email__in=emails)}


def _days(company: Company) -> list[date]:
    today = localtime.today(company.time_zone)
    return [today - timedelta(days=HISTORY_DAYS - i) for i in range(HISTORY_DAYS)]


def _company_history(
    company: Company, plan: Plan, riders: dict[str, User], agent: User | None, since: datetime
) -> Tally:
    """The company's runs of the plan over its last 14 days that have arrived by `since`,
    each driven, sold and run to ARRIVED."""
    tally = Tally()
    days = _days(company)
    rng = random.Random(f"{company.slug}:{days[0]}")
    routes = Route.objects.filter(company=company, code__in=plan.routes)
    before = set(
        Trip.objects.filter(route__in=routes, service_date__range=(days[0], days[-1])).values_list(
            "pk", flat=True
        )
    )
    trips_generate(start=days[0], end=days[-1], routes=routes)
    made = list(
        Trip.objects.filter(route__in=routes, service_date__range=(days[0], days[-1]))
        .exclude(pk__in=before)
        .select_related("route__company")
        .order_by("departure_at")
    )
    wanted: list[Trip] = []
    unused: list[int] = []
    for trip in made:
        index = (trip.service_date - days[0]).days
        which = (index // plan.every) % 2
        local = trip.departure_at.astimezone(localtime.zone(company.time_zone))
        if (
            index % plan.every == (HISTORY_DAYS - plan.last) % plan.every
            and trip.route.code == plan.routes[which]
            and f"{local:%H:%M}" == plan.departure[which]
            and trip.vehicle_id is not None
            and trip.arrival_at < since
        ):
            wanted.append(trip)
        else:
            unused.append(trip.pk)
    # Generation makes every run of the two routes; the ones the history does not use were
    # made a moment ago in this transaction, unsold and unassigned, so they simply go.
    Trip.objects.filter(pk__in=unused).delete()
    drivers = list(
        User.objects.filter(memberships__company=company, memberships__role=Role.DRIVER).order_by(
            "pk"
        )
    )
    window_start = localtime.day_bounds(days[0], company.time_zone)[0]
    user_riders = [riders[e] for e in plan.riders if e in riders]
    agent_ok = (
        plan.cash
        and agent is not None
        and CompanyMembership.objects.filter(company=company, user=agent, role=Role.AGENT).exists()
    )
    names = _NAMES[company.slug]
    for number, trip in enumerate(wanted):
        _drive(trip, drivers, number)
        _sell(
            trip,
            plan,
            rng,
            user_riders,
            agent if agent_ok else None,
            names,
            window_start,
            tally,
        )
        trip_advance(
            trip=trip,
            to_status=TripStatus.ARRIVED,
            via=(TripStatus.BOARDING, TripStatus.DEPARTED),
        )
        tally.trips += 1
    return tally


def _drive(trip: Trip, drivers: list[User], number: int) -> None:
    """A driver of the company free at the trip's time, taking turns."""
    for offset in range(len(drivers)):
        driver = drivers[(number + offset) % len(drivers)]
        try:
            trip_update(trip=trip, drivers=[driver], reason="demo history")
            return
        except AssignmentConflict:
            continue


def _capacity(trip: Trip) -> dict[str, int]:
    return dict(
        Seat.objects.filter(coach__vehicle_id=trip.vehicle_id)
        .values_list("coach__travel_class__code")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _sell(
    trip: Trip,
    plan: Plan,
    rng: random.Random,
    riders: list[User],
    agent: User | None,
    names: tuple[str, ...],
    window_start: datetime,
    tally: Tally,
) -> None:
    """Sell `trip` to a load factor of 40–95 % per class (higher on Friday to Sunday), in
    PNRs of the plan's sizes, each booked up to six days before departure, most of them in
    the last days."""
    stops = list(trip.route.stops.select_related("station").order_by("sequence"))
    codes = [s.station.code for s in stops]
    km = [s.distance_km for s in stops]
    weekend = trip.service_date.weekday() >= 4
    low, high = (0.60, 0.95) if weekend else (0.45, 0.85)  # cancellations take a few off
    sold: list[Pnr] = []
    for class_code, seats in sorted(_capacity(trip).items()):
        target = round(seats * rng.uniform(low, high))
        if plan.overbook and (weekend or class_code == "2A"):
            # Sold out, as busy days and the popular class are: RAC and waiting list.
            target = round(seats * 1.02)
        booked = 0
        while booked < target:
            size = min(rng.randint(*plan.group), math.ceil(target - booked))
            if rng.random() < 0.8:
                i, j = 0, len(codes) - 1
            else:
                i = rng.randrange(len(codes) - 1)
                j = rng.randrange(i + 1, len(codes))
            origin, destination = codes[i], codes[j]
            # A part of the way fills a part of the seat-km the load factor counts.
            share = float((km[j] - km[i]) / km[-1]) if km[-1] else 1.0
            earliest = max(trip.departure_at - timedelta(days=6), window_start + timedelta(hours=6))
            span = int((trip.departure_at - earliest).total_seconds() // 60) - 90
            # Most people book in the last days before they travel.
            moment = earliest + timedelta(minutes=round(rng.triangular(0, max(span, 0), span)))
            people = [
                PassengerIn(
                    name=rng.choice(names),
                    age=rng.randint(6, 72),
                    gender=rng.choice("MF"),
                )
                for _ in range(size)
            ]
            args = dict(
                trip_id=trip.pk,
                origin_code=origin,
                destination_code=destination,
                class_code=class_code,
                quota="GENERAL",
                passengers=people,
                now=moment,
            )
            try:
                if agent is not None and rng.random() < 0.2:
                    pnr = pos_sale_create(
                        agent=agent,
                        buyer_name=people[0].name,
                        buyer_phone=f"+25078{rng.randrange(10**7):07d}",
                        **args,
                    )
                    tally.cash += 1
                else:
                    pnr = _wallet_booking(rng.choice(riders), trip.route.company.currency, args)
            except SoldOut:
                break
            except DomainError:
                booked += size  # an ineligible mix or a closed window: try the next
                continue
            booked += size * share
            sold.append(pnr)
            tally.pnrs += 1
            for p in pnr.passenger_list:
                tally.passengers += 1
                tally.statuses[p.status] = tally.statuses.get(p.status, 0) + 1
    _cancel_some(trip, rng, sold, tally)


def _wallet_booking(user: User, currency: str, args: dict) -> Pnr:
    """Book from `user`'s wallet, topped up first (sandbox, the most allowed at once) when
    it holds less than half of that."""
    most = topup_limits(currency=currency)[1]
    wallet = wallet_for_user(user=user, currency=currency)
    if wallet is None or wallet.balance < most // 2:
        payment = wallet_topup_start(
            user=user, amount=most, currency=currency, provider=SandboxProvider.name
        )
        sandbox_payment_complete(payment=payment, approve=True)
    try:
        return booking_create(user=user, **args)
    except InsufficientFunds:
        payment = wallet_topup_start(
            user=user, amount=most, currency=currency, provider=SandboxProvider.name
        )
        sandbox_payment_complete(payment=payment, approve=True)
        return booking_create(user=user, **args)


def _cancel_some(trip: Trip, rng: random.Random, sold: list[Pnr], tally: Tally) -> None:
    """One or two wallet PNRs cancelled a few hours after they were booked, refunded by the
    operator's policy; whoever waits takes the freed places."""
    wallet = [p for p in sold if not p.buyer_name]
    for pnr in rng.sample(wallet, k=min(len(wallet), rng.choice((0, 1, 1, 2)))):
        moment = min(
            pnr.created_at + timedelta(hours=rng.randint(2, 30)),
            trip.departure_at - timedelta(hours=3),
        )
        if moment <= pnr.created_at:
            continue
        try:
            booking_cancel(pnr=pnr, by=pnr.user, now=moment)
        except DomainError:
            continue
        promote_waitlist(trip_class_id=pnr.trip_class_id, now=moment)
        tally.cancelled += 1


def demo_history_backdate(*, since: datetime, after_outbox_id: int) -> None:
    """Demo only: give the rows the history loader made since `since` the moments they
    stand for. It exists solely to make a demo's past; no service runs in the past, and
    nothing else may call it. By `QuerySet.update`:

    - each ledger transaction of a sale or refund takes its PNR's booking moment or its
      cancellation's; the top-ups that funded the riders move before the first sale;
    - each trip's events take the trip's times (boarding 20 minutes before departure,
      departed, arrived; the rota a day before), and so do its audit rows;
    - every outbox message written since is settled unsent (its deliveries skipped), so
      the next sweep sends nobody two weeks of mail.
    """
    new = Transaction.objects.filter(created_at__gte=since)
    sales = new.filter(kind__in=Transaction.SALE_KINDS, reference_type="pnr")
    sold = list(sales.values_list("reference_id", flat=True))
    sales.update(
        created_at=Subquery(
            Pnr.objects.filter(number=OuterRef("reference_id")).values("created_at")[:1]
        )
    )
    refunds = new.filter(kind__in=Transaction.REFUND_KINDS, reference_type="pnr")
    for tx_id, number in refunds.values_list("pk", "reference_id"):
        moment = (
            Cancellation.objects.filter(pnr__number=number)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if moment:
            Transaction.objects.filter(pk=tx_id).update(created_at=moment)
    first_sale = (
        Pnr.objects.filter(number__in=sold)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
        or since
    )
    funded = first_sale - timedelta(hours=1)
    new.filter(kind=Transaction.Kind.TOPUP).update(created_at=funded)
    Payment.objects.filter(created_at__gte=since).update(created_at=funded)

    trips = Trip.objects.filter(status=TripStatus.ARRIVED, events__at__gte=since).distinct()
    trip_type = ContentType.objects.get_for_model(Trip)
    for trip_id, departure, arrival in trips.values_list("pk", "departure_at", "arrival_at"):
        moments = {
            TripStatus.BOARDING: departure - timedelta(minutes=20),
            TripStatus.DEPARTED: departure,
            TripStatus.ARRIVED: arrival,
        }
        events = TripEvent.objects.filter(trip_id=trip_id, at__gte=since)
        audits = AuditEntry.objects.filter(
            target_type=trip_type, target_id=str(trip_id), at__gte=since
        )
        for status, moment in moments.items():
            events.filter(to_status=status).update(at=moment)
            audits.filter(action="trip.status_changed", data__to=status).update(at=moment)
        events.exclude(to_status__in=list(moments)).update(at=departure - timedelta(days=1))
        audits.exclude(action="trip.status_changed").update(at=departure - timedelta(days=1))

    outbox = OutboxMessage.objects.filter(pk__gt=after_outbox_id)
    Delivery.objects.filter(message__in=outbox, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.SKIPPED, last_error="demo history: not sent"
    )
    outbox.filter(sent_at__isnull=True).update(sent_at=timezone.now())


def _settle(company: Company) -> str:
    days = _days(company)
    run = settlement_run(company=company, period_start=days[0], period_end=days[6], by=None)
    return f"{company.slug}: settlement run {run.reference} for {days[0]}..{days[6]}"
