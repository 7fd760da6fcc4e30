"""A trip cancelled from the admin's action and the operator API (busy until every booking is
cancelled; not by a driver or another company), and bookings racing the cancellation all
refused or refunded (PostgreSQL)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse

from fleet.models import Company, Trip, TripStatus
from fleet.tests.factories import CompanyFactory, staff_user
from payments.models import Account
from ttms.accounts.models import Role
from ttms.invariants import broken_invariants
from ttms.money import format_money

from ...exceptions import Busy, TripNotBookable
from ...lifecycle.services import trips
from ...lifecycle.services.cancellation import booking_cancel
from ...lifecycle.services.trips import trip_cancel
from ...models import Cancellation, Passenger, Pnr
from ...sales.services.create import booking_create
from ..factories import adult, funded_user, make_trip
from .support import FUNDS, REASON, balance, statuses

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


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
