"""Booking follows each operator's rules and currency (`Company.rules`): the quotas it sells,
passengers per booking, its booking horizon, RAC, a waiting list only with charting; the
PNR and the charge in the operator's currency; search shows only what the operator sells."""

from datetime import timedelta

import pytest

from fleet.models import Company, Seat, TravelClass
from fleet.tests.factories import CompanyFactory
from payments.models import Account, Transaction
from payments.tests.factories import fund_wallet

from ...exceptions import BookingNotOpen, ChartingRefused
from ...lifecycle.services.charting import chart_prepare
from ...models import Chart, FareRule, Passenger, Place, Pnr
from ...sales.inventory import inventory_ensure
from ..factories import adult, funded_user, make_trip
from .conftest import NOW
from .support import _book, _client, _people

RWF_FUNDS = 1_000_000
FARE_RWF = 2_000  # 200 km at 10 francs a km


@pytest.fixture
def bus(db):
    """A bus operator in Rwandan francs with its defaults (GENERAL only, no RAC, no
    charting, so no waiting list), its coach B1 of STANDARD seats on ST1..ST4."""
    company = CompanyFactory(
        kind=Company.Kind.BUS, name="Volcano Express", slug="volcano", currency="RWF"
    )
    FareRule.objects.create(
        company=company, class_code="STANDARD", rate_per_km=10, minimum_fare=500
    )
    return make_trip(company=company, coaches=[("B1", "STANDARD")])


def rwf_user():
    user = funded_user(0)
    fund_wallet(user, RWF_FUNDS, currency="RWF")
    return user


def wallet(user, currency):
    return Account.objects.get(user=user, kind="wallet", currency=currency).balance


def book_bus(client, trip, passengers, **extra):
    return _book(client, trip, passengers, **{"class": "STANDARD", **extra})


def test_a_bus_booking_is_in_the_operators_currency_and_charges_the_rwf_wallet(api_client, bus):
    user = rwf_user()
    client = _client(api_client, user)

    response = book_bus(client, bus, _people(2))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["currency"], body["total_fare"]) == ("RWF", 2 * FARE_RWF)
    pnr = Pnr.objects.get()
    assert (pnr.currency, pnr.total_fare) == ("RWF", 2 * FARE_RWF)
    assert wallet(user, "RWF") == RWF_FUNDS - 2 * FARE_RWF
    assert not Account.objects.filter(user=user, kind="wallet", currency="INR").exists()


def test_a_bus_operator_refuses_a_quota_it_does_not_sell_and_writes_nothing(api_client, bus):
    user = rwf_user()
    client = _client(api_client, user)
    transactions = Transaction.objects.count()

    response = book_bus(client, bus, _people(1, gender="F"), quota="LADIES")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "quota_not_sold",
        "message": "Volcano Express does not sell LADIES seats; it sells GENERAL.",
        "fields": {"quota": ["Choose one of GENERAL."]},
    }
    assert Pnr.objects.count() == 0 and Passenger.objects.count() == 0
    assert Transaction.objects.count() == transactions
    assert wallet(user, "RWF") == RWF_FUNDS


def test_a_booking_expecting_another_currency_is_refused_and_writes_nothing(api_client, bus):
    user = rwf_user()
    fund_wallet(user, 500_000, currency="INR")
    client = _client(api_client, user)
    transactions = Transaction.objects.count()

    refused = book_bus(client, bus, _people(1), currency="INR")
    booked = book_bus(client, bus, _people(1), currency="RWF")

    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "currency_mismatch",
        "message": "Volcano Express sells in RWF, not INR; TTMS never converts money.",
        "fields": {"currency": ["This trip is priced in RWF."]},
    }
    assert booked.status_code == 201, booked.json()
    assert Pnr.objects.count() == 1
    assert Transaction.objects.count() == transactions + 1
    assert (wallet(user, "RWF"), wallet(user, "INR")) == (RWF_FUNDS - FARE_RWF, 500_000)


def test_seven_passengers_are_refused_by_any_operator(api_client, bus):
    user = rwf_user()
    client = _client(api_client, user)

    response = book_bus(client, bus, _people(7))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "passengers" in response.json()["error"]["fields"]
    assert Pnr.objects.count() == 0
    assert wallet(user, "RWF") == RWF_FUNDS


def test_a_booking_over_the_operators_passenger_limit_is_refused(api_client, bus):
    Company.objects.filter(pk=bus.route.company_id).update(max_passengers=4)
    user = rwf_user()
    client = _client(api_client, user)

    refused = book_bus(client, bus, _people(5))
    booked = book_bus(client, bus, _people(4))

    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "invalid",
        "message": "Volcano Express takes at most 4 passengers per booking.",
        "fields": {"passengers": ["Give between 1 and 4 passengers."]},
    }
    assert booked.status_code == 201
    assert Pnr.objects.count() == 1
    assert wallet(user, "RWF") == RWF_FUNDS - 4 * FARE_RWF


def fill(bus, book, *, leave: int = 0) -> None:
    """Book every seat of the bus on ST1..ST3 but `leave`, in bookings of up to 6."""
    left = Seat.objects.filter(coach__vehicle_id=bus.vehicle_id).count() - leave
    user = rwf_user()
    while left:
        size = min(6, left)
        book(bus, [adult()] * size, user=user, destination="ST3", class_code="STANDARD", now=NOW)
        left -= size


def test_a_sold_out_bus_refuses_the_booking_whole_and_waitlists_nobody(api_client, bus, book):
    fill(bus, book, leave=1)
    late = rwf_user()
    late_client = _client(api_client, late)
    pnrs, transactions = Pnr.objects.count(), Transaction.objects.count()

    response = book_bus(late_client, bus, _people(2))

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "sold_out",
        "message": "No seats left in STANDARD for this journey; nothing was booked or charged.",
        "fields": {},
    }
    assert (Pnr.objects.count(), Transaction.objects.count()) == (pnrs, transactions)
    assert wallet(late, "RWF") == RWF_FUNDS
    assert not Passenger.objects.exclude(status="CNF").exists()
    # One passenger still fits, and is confirmed.
    last = book_bus(late_client, bus, _people(1))
    assert last.json()["passengers"][0]["status"] == "CNF"


def test_a_bus_operator_without_charting_prepares_no_chart(bus, book):
    user = rwf_user()
    book(bus, [adult()], user=user, class_code="STANDARD", now=NOW)

    with pytest.raises(ChartingRefused) as refused:
        chart_prepare(trip=bus, now=bus.departure_at - timedelta(hours=1))

    assert refused.value.message == (
        "Volcano Express prepares no charts: its bookings are settled when made."
    )
    assert not Chart.objects.exists()


def test_a_bus_operators_rac_berths_are_plain_seats(db):
    company = CompanyFactory(kind=Company.Kind.BUS, quota_distribution={"SL": {"LADIES": 6}})
    trip = make_trip(company=company)  # a sleeper coach, with RAC side-lowers in its layout

    inventory_ensure(trip_id=trip.pk)

    places = Place.objects.filter(trip_class__trip=trip)
    assert set(places.values_list("quota", flat=True)) == {"GENERAL"}  # LADIES not sold
    assert set(places.values_list("half", flat=True)) == {0}
    assert places.count() == Seat.objects.filter(coach__vehicle_id=trip.vehicle_id).count()


def test_a_rail_operator_without_rac_waitlists_and_never_gives_rac(api_client, db):
    company = Company.objects.create(
        name="No RAC Rail",
        slug="norac",
        kind=Company.Kind.RAIL,
        rac=False,
        quota_distribution={"SL": {}},
    )
    trip = make_trip(company=company)  # 72 berths, none kept for RAC
    client = _client(api_client, funded_user(10_000_000))
    for _ in range(12):
        assert _book(client, trip, _people(6)).status_code == 201

    response = _book(client, trip, _people(2))

    assert [p["status"] for p in response.json()["passengers"]] == ["WL", "WL"]
    assert not Passenger.objects.filter(status="RAC").exists()
    assert not Place.objects.filter(quota="RAC").exists()


def test_a_rail_operator_keeps_ladies_rac_and_the_waitlist(api_client, db):
    company = Company.objects.create(
        name="Indian Rail",
        slug="ir",
        kind=Company.Kind.RAIL,
        quota_distribution={"SL": {"LADIES": 2}},
    )
    trip = make_trip(company=company)  # 2 LADIES, 63 GENERAL, 7 RAC berths (14 places)
    client = _client(api_client, funded_user(10_000_000))

    ladies = _book(client, trip, _people(2, gender="F"), quota="LADIES").json()
    for size in [6] * 10 + [3]:
        _book(client, trip, _people(size))
    rac = _book(client, trip, _people(6)).json()
    _book(client, trip, _people(6))
    mixed = _book(client, trip, _people(4)).json()

    assert [(p["status"], p["quota"]) for p in ladies["passengers"]] == [("CNF", "LADIES")] * 2
    assert [p["status"] for p in rac["passengers"]] == ["RAC"] * 6
    assert [p["status"] for p in mixed["passengers"]] == ["RAC", "RAC", "WL", "WL"]


def test_the_operators_booking_horizon_sets_when_booking_opens(bus, book):
    Company.objects.filter(pk=bus.route.company_id).update(booking_horizon_days=30)
    bus.refresh_from_db()
    user = rwf_user()

    with pytest.raises(BookingNotOpen) as refused:
        book(
            bus,
            [adult()],
            user=user,
            class_code="STANDARD",
            now=bus.departure_at - timedelta(days=31),
        )
    book(
        bus, [adult()], user=user, class_code="STANDARD", now=bus.departure_at - timedelta(days=30)
    )

    assert (
        refused.value.message
        == "Booking for this journey opens at 00:00 on 08 Dec 2029 (Asia/Kolkata)."
    )
    assert Pnr.objects.count() == 1


def search(api_client, destination="ST3"):
    response = api_client.get(
        "/api/v1/trips/search/", {"from": "ST1", "to": destination, "date": "2030-01-07"}
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    return result


def test_search_shows_a_bus_only_what_its_operator_sells(api_client, bus):
    TravelClass.objects.create(company=bus.route.company, code="STANDARD", name="Comfort")
    seats = Seat.objects.filter(coach__vehicle_id=bus.vehicle_id).count()

    result = search(api_client)

    assert result["currency"] == "RWF"
    assert result["rules"] == {
        "quotas": ["GENERAL"],
        "rac": False,
        "waitlist": False,
        "max_passengers": 6,
    }
    assert result["availability"] == [
        {
            "class": "STANDARD",
            "class_name": "Comfort",
            "status": f"AVAILABLE-{seats}",
            "free": {"GENERAL": seats},
            "fares": {"GENERAL": FARE_RWF},
        }
    ]


def test_search_of_a_sold_out_bus_says_sold_out(api_client, bus, book):
    fill(bus, book)

    (standard,) = search(api_client)["availability"]

    assert (standard["status"], standard["free"], standard["class_name"]) == (
        "SOLD OUT",
        {},
        "Standard",
    )


def test_search_shows_a_railway_its_quotas_rac_and_waitlist(api_client, trip):
    result = search(api_client)

    assert result["currency"] == "INR"
    assert result["rules"] == {
        "quotas": ["GENERAL", "LADIES", "SENIOR", "TATKAL", "FOREIGN_TOURIST"],
        "rac": True,
        "waitlist": True,
        "max_passengers": 6,
    }
    (sl,) = result["availability"]
    assert sl["class_name"] == "Sleeper"
    assert (sl["rac_free"], sl["rac"], sl["waitlist"]) == (14, 0, 0)
    assert set(sl["fares"]) == {"GENERAL", "LADIES", "SENIOR", "TATKAL", "FOREIGN_TOURIST"}


def test_quotas_the_operator_does_not_sell_get_no_seats(db):
    company = Company.objects.create(
        name="Small Rail",
        slug="small",
        kind=Company.Kind.RAIL,
        quotas=["GENERAL", "LADIES"],
        quota_distribution={"SL": {"LADIES": 4, "TATKAL": 10}},
    )
    trip = make_trip(company=company)

    inventory_ensure(trip_id=trip.pk)

    places = Place.objects.filter(trip_class__trip=trip)
    assert sorted(set(places.values_list("quota", flat=True))) == ["GENERAL", "LADIES", "RAC"]
    assert places.filter(quota="LADIES").count() == 4
