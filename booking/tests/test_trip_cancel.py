"""The operator cancels a trip: every booking on it is cancelled with a full refund and each
holder is told why; nothing can be booked on it afterwards (DESIGN.md 5, Refunds)."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse

from fleet.exceptions import InvalidStatusTransition, TripLocked
from fleet.models import Company, Trip, TripEvent, TripStatus
from fleet.services import TRIP_CANCEL_NEEDED, trip_mark_cancelled
from fleet.tests.factories import CompanyFactory, staff_user
from payments.models import Account
from payments.money import format_money
from ttms.accounts.models import Role
from ttms.invariants import broken_invariants
from ttms.notifications.models import OutboxMessage

from ..exceptions import Busy, TripNotBookable
from ..lifecycle.services import trips
from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.trips import trip_cancel
from ..models import Cancellation, Passenger, Pnr, TripClass
from ..sales.inventory import inventory_ensure
from ..sales.services.create import booking_create
from .factories import adult, funded_user, make_trip

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

FUNDS = 10_000_000
FARE = 20_000  # 200 km of STANDARD at 100 paise a km
REASON = "Landslide near Station ST2"


def balance(user) -> int:
    return Account.objects.get(user=user, kind="wallet").balance


def statuses(pnr) -> list[str]:
    return list(
        Passenger.objects.filter(pnr=pnr).order_by("index").values_list("status", flat=True)
    )


@pytest.fixture
def bus_trip(db):
    """A bus of 40 STANDARD seats (coach B1) on ST1-ST2-ST3, 100 km a leg, leaving 07 Jan
    2030 08:00 IST, of a bus company (every seat GENERAL)."""
    return make_trip(
        company=CompanyFactory(kind=Company.Kind.BUS), coaches=[("B1", "STANDARD")], stops=3
    )


@pytest.fixture
def sold(bus_trip):
    """Two holders: Asha with a PNR of two and a PNR of one (ST2→ST3), Ravi with one."""
    asha, ravi = funded_user(FUNDS), funded_user(FUNDS)
    now = bus_trip.departure_at - timedelta(days=2)

    def book(user, passengers, origin="ST1"):
        return booking_create(
            user=user,
            trip_id=bus_trip.pk,
            origin_code=origin,
            destination_code="ST3",
            class_code="STANDARD",
            quota="GENERAL",
            passengers=passengers,
            now=now,
        )

    return {
        "asha": asha,
        "ravi": ravi,
        "pnrs": [
            book(asha, [adult("Asha", gender="F"), adult("Kiran")]),
            book(ravi, [adult("Ravi")]),
            book(asha, [adult("Asha", gender="F")], origin="ST2"),
        ],
    }


def test_trip_cancel_refunds_every_pnr_in_full_and_tells_each_holder(bus_trip, sold):
    now = bus_trip.departure_at - timedelta(hours=3)  # the tiered policy would keep it all
    asha, ravi, pnrs = sold["asha"], sold["ravi"], sold["pnrs"]
    assert (balance(asha), balance(ravi)) == (FUNDS - 2 * FARE - 10_000, FUNDS - FARE)

    result = trip_cancel(trip=bus_trip, by=None, reason=f"  {REASON} ", now=now)

    bus_trip.refresh_from_db()
    assert bus_trip.status == TripStatus.CANCELLED
    assert (result.resumed, result.reason, result.pending) == (False, REASON, [])
    assert [c.pnr_id for c in result.cancellations] == [p.pk for p in pnrs]
    assert result.refunded == 2 * FARE + FARE + 10_000
    assert [statuses(p) for p in pnrs] == [["CAN", "CAN"], ["CAN"], ["CAN"]]
    assert all(p.refund == p.fare for p in Passenger.objects.all())
    assert list(Cancellation.objects.order_by("pk").values_list("cause", "refund", "charge")) == [
        ("trip_cancelled", 2 * FARE, 0),
        ("trip_cancelled", FARE, 0),
        ("trip_cancelled", 10_000, 0),
    ]
    assert (balance(asha), balance(ravi)) == (FUNDS, FUNDS)
    told = OutboxMessage.objects.filter(topic="trip.cancelled").order_by("pk")
    assert [(m.user_id, m.payload) for m in told] == [
        (
            asha.pk,
            {
                "pnr": pnrs[0].number,
                "trip": bus_trip.pk,
                "number": bus_trip.route.number,
                "service_date": "2030-01-07",
                "reason": REASON,
                "refund": 2 * FARE,
                "passengers": [1, 2],
            },
        ),
        (
            ravi.pk,
            {
                "pnr": pnrs[1].number,
                "trip": bus_trip.pk,
                "number": bus_trip.route.number,
                "service_date": "2030-01-07",
                "reason": REASON,
                "refund": FARE,
                "passengers": [1],
            },
        ),
        (
            asha.pk,
            {
                "pnr": pnrs[2].number,
                "trip": bus_trip.pk,
                "number": bus_trip.route.number,
                "service_date": "2030-01-07",
                "reason": REASON,
                "refund": 10_000,
                "passengers": [1],
            },
        ),
    ]
    assert OutboxMessage.objects.filter(topic="pnr.cancelled").count() == 3
    event = TripEvent.objects.get(trip=bus_trip)
    assert (event.to_status, event.reason) == (TripStatus.CANCELLED, REASON)
    assert list(TripClass.objects.filter(trip=bus_trip).values_list("closed", "promotion_due")) == [
        (True, False)
    ]
    assert broken_invariants() == {}


def test_a_passenger_already_cancelled_is_not_paid_again(bus_trip, sold):
    first = sold["pnrs"][0]
    kiran = Passenger.objects.get(pnr=first, index=2)
    early = booking_cancel(
        pnr=first,
        by=sold["asha"],
        passenger_ids=[kiran.pk],
        now=bus_trip.departure_at - timedelta(days=2),
    )  # 90 % back

    result = trip_cancel(
        trip=bus_trip, by=None, reason=REASON, now=bus_trip.departure_at - timedelta(hours=1)
    )

    assert early.refund == 18_000
    assert result.cancellations[0].lines == [
        {
            "passenger": Passenger.objects.get(pnr=first, index=1).pk,
            "index": 1,
            "name": "Asha",
            "status": "CNF",
            "fare": FARE,
            "charge": 0,
            "refund": FARE,
            "rule": result.cancellations[0].lines[0]["rule"],
        }
    ]
    assert balance(sold["asha"]) == FUNDS - 2_000
    assert broken_invariants() == {}


def test_running_it_twice_pays_nothing_twice(bus_trip, sold):
    now = bus_trip.departure_at - timedelta(hours=3)
    trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)
    counts = (
        Cancellation.objects.count(),
        OutboxMessage.objects.count(),
        TripEvent.objects.count(),
    )

    again = trip_cancel(trip=bus_trip, by=None, reason="another reason", now=now)

    assert (again.resumed, again.cancellations, again.pending) == (True, [], [])
    assert (
        Cancellation.objects.count(),
        OutboxMessage.objects.count(),
        TripEvent.objects.count(),
    ) == counts
    assert (balance(sold["asha"]), balance(sold["ravi"])) == (FUNDS, FUNDS)
    assert broken_invariants() == {}


def test_a_sweep_cut_short_is_finished_by_cancelling_again(bus_trip, sold, monkeypatch):
    """A crash after the trip was cancelled (step 1) and one PNR refunded: the next call
    cancels the rest, telling them the reason given the first time."""
    calls = []

    def dies_on_the_second(**kwargs):
        calls.append(kwargs["pnr"].number)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return booking_cancel(**kwargs)

    monkeypatch.setattr(trips, "booking_cancel", dies_on_the_second)
    now = bus_trip.departure_at - timedelta(hours=3)
    with pytest.raises(RuntimeError):
        trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)
    pnrs = sold["pnrs"]
    assert [statuses(p) for p in pnrs] == [["CAN", "CAN"], ["CNF"], ["CNF"]]
    assert Trip.objects.get(pk=bus_trip.pk).status == TripStatus.CANCELLED
    monkeypatch.undo()

    result = trip_cancel(trip=bus_trip, by=None, reason="", now=now)

    assert result.resumed is True
    assert [c.pnr_id for c in result.cancellations] == [pnrs[1].pk, pnrs[2].pk]
    assert [statuses(p) for p in pnrs] == [["CAN", "CAN"], ["CAN"], ["CAN"]]
    assert [
        m.payload["reason"]
        for m in OutboxMessage.objects.filter(topic="trip.cancelled").order_by("pk")
    ] == [REASON] * 3
    assert (balance(sold["asha"]), balance(sold["ravi"])) == (FUNDS, FUNDS)
    assert broken_invariants() == {}


def test_a_pnr_that_stays_busy_is_left_for_the_next_call(bus_trip, sold, monkeypatch):
    def busy_for_ravi(**kwargs):
        if kwargs["pnr"].user_id == sold["ravi"].pk:
            raise Busy()
        return booking_cancel(**kwargs)

    monkeypatch.setattr(trips, "booking_cancel", busy_for_ravi)
    now = bus_trip.departure_at - timedelta(hours=3)

    result = trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)

    assert result.pending == [sold["pnrs"][1].number]
    assert statuses(sold["pnrs"][1]) == ["CNF"]
    monkeypatch.undo()
    assert (
        trip_cancel(trip=bus_trip, by=None, reason="", now=now).cancellations[0].pnr_id
        == sold["pnrs"][1].pk
    )
    assert balance(sold["ravi"]) == FUNDS


def test_bookings_are_refused_once_the_trip_is_cancelled(bus_trip, sold):
    user = funded_user(FUNDS)
    now = bus_trip.departure_at - timedelta(days=1)
    trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)

    with pytest.raises(TripNotBookable) as status_check:
        booking_create(
            user=user,
            trip_id=bus_trip.pk,
            origin_code="ST1",
            destination_code="ST3",
            class_code="STANDARD",
            quota="GENERAL",
            passengers=[adult()],
            now=now,
        )
    # A booking that read the trip before the cancellation committed meets the closed class
    # under its lock.
    Trip.objects.filter(pk=bus_trip.pk).update(status=TripStatus.SCHEDULED)
    with pytest.raises(TripNotBookable) as lock_check:
        booking_create(
            user=user,
            trip_id=bus_trip.pk,
            origin_code="ST1",
            destination_code="ST3",
            class_code="STANDARD",
            quota="GENERAL",
            passengers=[adult()],
            now=now,
        )

    refusal = f"Trip {bus_trip.route.number} of 2030-01-07 is cancelled; it cannot be booked."
    assert (status_check.value.message, lock_check.value.message) == (refusal, refusal)
    assert balance(user) == FUNDS
    assert Pnr.objects.count() == 3


def test_a_trip_nobody_booked_is_closed_to_a_first_booking_in_flight(bus_trip):
    """The first booking creates the inventory under the trip's row lock; one that read the
    trip before it was cancelled is refused there, and creates nothing."""
    user = funded_user(FUNDS)
    now = bus_trip.departure_at - timedelta(days=1)

    trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)
    assert not TripClass.objects.filter(trip=bus_trip).exists()
    # What a booking that checked the trip before the cancellation committed calls next:
    with pytest.raises(TripNotBookable) as refused:
        inventory_ensure(trip_id=bus_trip.pk)

    assert refused.value.message == (
        f"Trip {bus_trip.route.number} of 2030-01-07 is cancelled; it cannot be booked."
    )
    assert not TripClass.objects.filter(trip=bus_trip).exists()
    assert (balance(user), Pnr.objects.count()) == (FUNDS, 0)


def test_the_booking_api_answers_trip_not_bookable(api_client, bus_trip, sold):
    trip_cancel(
        trip=bus_trip, by=None, reason=REASON, now=bus_trip.departure_at - timedelta(days=1)
    )
    api_client.force_authenticate(sold["ravi"])

    with time_machine.travel(bus_trip.departure_at - timedelta(days=1), tick=False):
        response = api_client.post(
            "/api/v1/bookings/",
            {
                "trip": bus_trip.pk,
                "from": "ST1",
                "to": "ST3",
                "class": "STANDARD",
                "passengers": [{"name": "Ravi", "age": 30, "gender": "M"}],
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "trip_not_bookable"
    assert balance(sold["ravi"]) == FUNDS


@pytest.mark.parametrize("status", [TripStatus.DEPARTED, TripStatus.ARRIVED])
def test_a_departed_trip_cannot_be_cancelled_and_nothing_changes(bus_trip, sold, status):
    Trip.objects.filter(pk=bus_trip.pk).update(
        status=status, status_changed_at=bus_trip.departure_at
    )

    with pytest.raises(TripLocked) as refused:
        trip_cancel(trip=bus_trip, by=None, reason=REASON, now=bus_trip.departure_at)

    assert "can no longer be changed" in refused.value.message
    assert [statuses(p) for p in sold["pnrs"]] == [["CNF", "CNF"], ["CNF"], ["CNF"]]
    assert not Cancellation.objects.exists()
    assert not TripClass.objects.filter(closed=True).exists()
    assert not TripEvent.objects.exists()


def test_fleet_alone_refuses_to_cancel_a_trip_with_seats_on_sale(bus_trip, sold):
    with pytest.raises(InvalidStatusTransition) as refused:
        trip_mark_cancelled(trip=bus_trip, reason=REASON)

    assert refused.value.message == TRIP_CANCEL_NEEDED
    assert Trip.objects.get(pk=bus_trip.pk).status == TripStatus.SCHEDULED
    assert not TripEvent.objects.exists()


# --- Interfaces ---------------------------------------------------------------------------------


def test_admin_cancel_action_cancels_the_bookings_and_reports_it(client, bus_trip, sold):
    admin = staff_user(bus_trip.route.company, Role.COMPANY_ADMIN)
    client.force_login(admin)
    changelist = reverse("admin:fleet_trip_changelist")

    response = client.post(
        changelist,
        {"action": "cancel", "_selected_action": [bus_trip.pk], "reason": REASON},
        follow=True,
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{Trip.objects.get(pk=bus_trip.pk)} cancelled; 3 booking(s) cancelled, "
        f"{format_money(70_000)} refunded in full."
    ]
    assert [statuses(p) for p in sold["pnrs"]] == [["CAN", "CAN"], ["CAN"], ["CAN"]]
    assert set(Cancellation.objects.values_list("cancelled_by", flat=True)) == {admin.pk}
    assert broken_invariants() == {}


def test_operator_api_cancel_cancels_the_bookings(api_client, bus_trip, sold):
    scheduler = staff_user(bus_trip.route.company, Role.SCHEDULER)
    api_client.force_authenticate(scheduler)

    response = api_client.post(
        f"/api/v1/operator/trips/{bus_trip.pk}/status/", {"status": "cancelled", "reason": REASON}
    )

    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert [statuses(p) for p in sold["pnrs"]] == [["CAN", "CAN"], ["CAN"], ["CAN"]]
    assert (balance(sold["asha"]), balance(sold["ravi"])) == (FUNDS, FUNDS)
    assert broken_invariants() == {}


def test_operator_api_says_busy_until_every_booking_is_cancelled(
    api_client, bus_trip, sold, monkeypatch
):
    def busy_for_ravi(**kwargs):
        if kwargs["pnr"].user_id == sold["ravi"].pk:
            raise Busy()
        return booking_cancel(**kwargs)

    api_client.force_authenticate(staff_user(bus_trip.route.company, Role.SCHEDULER))
    url = f"/api/v1/operator/trips/{bus_trip.pk}/status/"
    monkeypatch.setattr(trips, "booking_cancel", busy_for_ravi)
    first = api_client.post(url, {"status": "cancelled", "reason": REASON})
    monkeypatch.undo()
    again = api_client.post(url, {"status": "cancelled", "reason": REASON})

    assert (first.status_code, first.json()["error"]["code"]) == (503, "busy")
    assert first.json()["error"]["message"] == (
        "Trip cancelled, but 1 booking(s) were busy and are not cancelled yet; send the same "
        "request again to finish."
    )
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")
    assert [statuses(p) for p in sold["pnrs"]] == [["CAN", "CAN"], ["CAN"], ["CAN"]]
    assert broken_invariants() == {}


def test_a_driver_or_another_company_cannot_cancel_the_trip(api_client, bus_trip, sold):
    driver = staff_user(bus_trip.route.company, Role.DRIVER)
    stranger = staff_user(CompanyFactory(), Role.COMPANY_ADMIN)
    url = f"/api/v1/operator/trips/{bus_trip.pk}/status/"

    api_client.force_authenticate(driver)
    as_driver = api_client.post(url, {"status": "cancelled", "reason": REASON})
    api_client.force_authenticate(stranger)
    as_stranger = api_client.post(url, {"status": "cancelled", "reason": REASON})

    assert (as_driver.status_code, as_stranger.status_code) == (403, 404)
    assert Trip.objects.get(pk=bus_trip.pk).status == TripStatus.SCHEDULED
    assert [statuses(p) for p in sold["pnrs"]] == [["CNF", "CNF"], ["CNF"], ["CNF"]]
    assert not Cancellation.objects.exists()


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------

THREADS = 16
BOOKINGS_PER_THREAD = 200  # more than the trip holds: each thread books until refused


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bookings_racing_a_trip_cancel_are_all_refused_or_refunded():
    """16 threads keep booking (the first ones racing to create the inventory); once the
    first booking is in, another thread cancels the trip. Afterwards no passenger is active,
    every wallet is whole again, and every thread was refused in the end."""
    trip = make_trip(
        company=CompanyFactory(kind=Company.Kind.BUS), coaches=[("B1", "STANDARD")], stops=3
    )
    with transaction.atomic():
        users = [funded_user(FUNDS) for _ in range(THREADS)]
    now = trip.departure_at - timedelta(days=1)
    barrier = threading.Barrier(THREADS)
    first_booked = threading.Event()

    def book(i: int) -> tuple[int, str]:
        booked = 0
        try:
            barrier.wait()
            for _ in range(BOOKINGS_PER_THREAD):
                try:
                    booking_create(
                        user=users[i],
                        trip_id=trip.pk,
                        origin_code="ST1",
                        destination_code="ST3",
                        class_code="STANDARD",
                        quota="GENERAL",
                        passengers=[adult(f"T{i}")],
                        now=now,
                    )
                    booked += 1
                    first_booked.set()
                except Busy:
                    continue
                except TripNotBookable:
                    return booked, "refused"
            return booked, "open"
        finally:
            connection.close()

    def cancel() -> list[str]:
        try:
            assert first_booked.wait(timeout=60)
            return trip_cancel(trip=trip, by=None, reason=REASON, now=now).pending
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS + 1) as pool:
        cancelling = pool.submit(cancel)
        outcomes = list(pool.map(book, range(THREADS)))
        pending = cancelling.result()

    assert pending == []
    assert {end for _, end in outcomes} == {"refused"}
    assert sum(booked for booked, _ in outcomes) == Pnr.objects.count() > 0
    assert not Passenger.objects.exclude(status="CAN").exists()
    assert (
        sorted(Account.objects.filter(user__in=users).values_list("balance", flat=True))
        == [FUNDS] * THREADS
    )
    assert broken_invariants() == {}
