"""A vehicle swap to a vehicle without a class that has passengers: refused with nothing
changed, unless the operator allows upgrades and the vehicle has a better class with room,
which then takes those passengers at the fare they paid, each told (DESIGN.md 5, Bus swap)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fleet.models import Company, Seat, TripEvent
from fleet.tests.factories import staff_user
from payments.models import Entry, Transaction
from ttms.accounts.models import Role
from ttms.invariants import broken_invariants
from ttms.notifications.models import OutboxMessage

from ..exceptions import VehicleSwapRefused
from ..lifecycle.services.swap import vehicle_swap
from ..models import Passenger, Pnr, TripClass
from .swaps import bus, seats, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def _seats(vehicle, class_code: str) -> int:
    return Seat.objects.filter(coach__vehicle=vehicle, coach__travel_class__code=class_code).count()


def _allow_upgrades(trip) -> None:
    Company.objects.filter(pk=trip.route.company_id).update(swap_upgrades=True)
    trip.route.company.refresh_from_db()


def test_a_vehicle_without_the_class_sold_is_refused_and_nothing_changes(bus_trip, sell):
    trip = bus_trip(rows=2)
    sell(trip, 3)
    vip = bus(trip.route.company, "VIP-1", 3, class_code="VIP")
    before = snapshot(trip)

    with pytest.raises(VehicleSwapRefused) as refused:
        vehicle_swap(trip=trip, vehicle=vip, by=None)

    assert refused.value.code == "swap_class_missing"
    assert refused.value.message == (
        f"Trip {trip.route.number} of 07 Jan 2030 cannot move to VIP-1: STANDARD: 3 "
        "passengers hold or wait for seats, VIP-1 has no STANDARD seats. Nothing was changed."
    )
    assert refused.value.fields == {"vehicle": ["Has no STANDARD seats."]}
    assert snapshot(trip) == before
    assert list(TripClass.objects.values_list("class_code", flat=True)) == ["STANDARD"]


def test_upgrades_move_passengers_to_the_better_class_at_the_fare_they_paid(
    bus_trip, sell, django_capture_on_commit_callbacks
):
    trip = bus_trip(rows=2)
    _allow_upgrades(trip)
    sold = sell(trip, 3)
    fares = list(Passenger.objects.order_by("pk").values_list("fare", flat=True))
    ledger = (Transaction.objects.count(), Entry.objects.count())
    vip = bus(trip.route.company, "VIP-1", 2, class_code="VIP")

    with django_capture_on_commit_callbacks(execute=True):
        result = vehicle_swap(
            trip=trip, vehicle=vip, by=None, now=trip.departure_at - timedelta(days=1)
        )

    vip_class = TripClass.objects.get(trip=trip, class_code="VIP")
    assert result.upgrades == {"STANDARD": "VIP"}
    assert (result.kept, [r.upgraded_from for r in result.reseated]) == (0, ["STANDARD"] * 3)
    assert seats(sold) == [("CNF", "B1", "1"), ("CNF", "B1", "2"), ("CNF", "B1", "3")]
    assert list(Passenger.objects.order_by("pk").values_list("trip_class_id", "fare")) == [
        (vip_class.pk, fare) for fare in fares
    ]
    assert set(Pnr.objects.values_list("trip_class_id", "class_code")) == {(vip_class.pk, "VIP")}
    assert list(TripClass.objects.values_list("class_code", "seats")) == [
        ("VIP", _seats(vip, "VIP"))
    ]
    assert (Transaction.objects.count(), Entry.objects.count()) == ledger
    told = OutboxMessage.objects.filter(topic="passenger.upgraded").order_by("pk")
    assert [m.user_id for m in told] == [pnr.user_id for pnr in sold]
    assert told[0].payload == {
        "pnr": sold[0].number,
        "passenger": 1,
        "name": "P0",
        "vehicle": "VIP-1",
        "from": {"class": "STANDARD", "coach": "B1", "seat": "1", "berth": "WINDOW", "half": 0},
        "to": {"class": "VIP", "coach": "B1", "seat": "1", "berth": "WINDOW", "half": 0},
        "fare_unchanged": True,
    }
    assert not OutboxMessage.objects.filter(topic="passenger.reseated").exists()
    assert TripEvent.objects.get(trip=trip).details["upgraded"] == {"STANDARD": "VIP"}
    assert broken_invariants() == {}


def test_an_upgrade_takes_the_nearest_better_class_with_room(bus_trip, sell):
    trip = bus_trip(rows=4)
    _allow_upgrades(trip)
    # VIP (rank 70) is too small for those sold; CC (rank 40), better still, has room.
    mixed = bus(
        trip.route.company, "MIXED", 1, class_code="VIP", coach="V1", more=(("C1", "CC", 4),)
    )
    sell(trip, _seats(mixed, "VIP") + 1)

    result = vehicle_swap(trip=trip, vehicle=mixed, by=None)

    assert result.upgrades == {"STANDARD": "CC"}
    assert list(Pnr.objects.values_list("class_code", flat=True).distinct()) == ["CC"]
    assert dict(TripClass.objects.values_list("class_code", "seats")) == {
        "CC": _seats(mixed, "CC"),
        "VIP": _seats(mixed, "VIP"),
    }
    assert broken_invariants() == {}


def test_an_upgrade_is_refused_without_a_better_class_with_room_and_nothing_changes(bus_trip, sell):
    trip = bus_trip(rows=3)
    _allow_upgrades(trip)
    small_vip = bus(trip.route.company, "VIP-S", 1, class_code="VIP")
    sold = _seats(small_vip, "VIP") + 1
    sell(trip, sold)
    before = snapshot(trip)

    with pytest.raises(VehicleSwapRefused) as refused:
        vehicle_swap(trip=trip, vehicle=small_vip, by=None)

    assert refused.value.code == "swap_class_missing"
    assert refused.value.message == (
        f"Trip {trip.route.number} of 07 Jan 2030 cannot move to VIP-S: STANDARD: {sold} "
        "passengers hold or wait for seats, VIP-S has no STANDARD seats and no better class "
        "with room for them. Nothing was changed."
    )
    assert snapshot(trip) == before


def test_a_worse_class_is_no_upgrade(bus_trip, sell):
    trip = bus_trip(rows=2)
    _allow_upgrades(trip)
    company = trip.route.company
    sell(trip, 1)
    vehicle_swap(trip=trip, vehicle=bus(company, "VIP-2", 2, class_code="VIP"), by=None)
    standard_only = bus(company, "STD-4", 4)
    before = snapshot(trip)

    with pytest.raises(VehicleSwapRefused) as refused:
        vehicle_swap(trip=trip, vehicle=standard_only, by=None)

    assert refused.value.code == "swap_class_missing"
    assert "STD-4 has no VIP seats and no better class with room" in refused.value.message
    assert snapshot(trip) == before


def test_admin_and_api_show_the_class_refusal_and_the_upgrade(client, api_client, bus_trip, sell):
    trip = bus_trip(rows=2)
    sell(trip, 2)
    company = trip.route.company
    vip = bus(company, "VIP-1", 2, class_code="VIP")
    client.force_login(staff_user(company, Role.SCHEDULER))
    api_client.force_authenticate(staff_user(company, Role.SCHEDULER))
    url = f"/api/v1/operator/trips/{trip.pk}/vehicle/"

    page = client.post(
        reverse("admin:fleet_trip_changelist"),
        {"action": "swap_vehicle", "_selected_action": [trip.pk], "vehicle": vip.pk},
        follow=True,
    )
    refused = api_client.post(url, {"vehicle": vip.pk})
    _allow_upgrades(trip)
    swapped = api_client.post(url, {"vehicle": vip.pk})

    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        f"{trip}: Trip {trip.route.number} of 07 Jan 2030 cannot move to VIP-1: STANDARD: 2 "
        "passengers hold or wait for seats, VIP-1 has no STANDARD seats. Nothing was changed."
    ]
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "swap_class_missing"
    assert refused.json()["error"]["fields"] == {"vehicle": ["Has no STANDARD seats."]}
    assert swapped.status_code == 200
    body = swapped.json()
    assert body["upgrades"] == {"STANDARD": "VIP"}
    assert [(r["class"], r["upgraded_from"]) for r in body["reseated"]] == [
        ("VIP", "STANDARD"),
        ("VIP", "STANDARD"),
    ]
