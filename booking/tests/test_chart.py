"""The chart: every seated passenger in berth order then the waitlisted, prepared once and
frozen, never for a cancelled trip; shown and printed in the admin to the company's staff,
prepared from the trip class action; charting at once from two places writes one chart and
refunds once.

Time is never the clock's: every service call names its `now`."""

from datetime import timedelta

import pytest
from django.urls import reverse

from fleet.models import TripStatus
from fleet.tests.factories import staff_user
from ttms.invariants import broken_invariants
from ttms.testing import run_together

from ..exceptions import ChartingRefused
from ..lifecycle.services.charting import chart_prepare
from ..models import Cancellation, Chart, Passenger, Place, Promotion, TripClass
from .charts import CHART_TIME, balance, status
from .factories import rail_company

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


# --- The chart -------------------------------------------------------------------------------


def test_the_chart_lists_every_seated_passenger_in_berth_order_then_the_waitlisted(charted_trip):
    trip, pnrs = charted_trip
    manager = staff_user(trip.route.company)

    chart = chart_prepare(trip=trip, by=manager, now=CHART_TIME)

    def row(name, seat, berth, half, status, age=30, gender="M", pnr=None):
        return {
            "class": "SL",
            "coach": seat and "S1",
            "seat": seat,
            "berth": berth,
            "half": half,
            "name": name,
            "age": age,
            "gender": gender,
            "pnr": (pnr or pnrs[name]).number,
            "from": "ST1",
            "to": "ST4",
            "status": status,
        }

    assert chart.rows == [
        row("Chitra", "1", "LB", 0, "CNF", gender="F"),
        row("Bala", "2", "MB", 0, "CNF", age=65),
        row("Gopal", "3", "UB", 0, "CNF", age=40),
        row("Hari", "4", "LB", 0, "CNF", age=41),
        row("Ishaan", "5", "MB", 0, "CNF", age=42),
        row("Jai", "6", "UB", 0, "CNF"),
        row("Arjun", "7", "SL", 1, "RAC"),
        row("Dev", "7", "SL", 2, "RAC"),
        row("Kiran", "8", "SU", 0, "CNF", age=31),
        row("Ganesh", None, None, 0, "WL", pnr=pnrs["Dev"]),
    ]
    farhan_fare = pnrs["Farhan"].total_fare
    assert chart.summary == {
        "released_to_women": 1,
        "released_to_seniors": 1,
        "promoted": 4,
        "pnrs_cancelled": 1,
        "refunded": farhan_fare,
        "confirmed": 7,
        "rac": 2,
        "waitlisted": 1,
    }
    assert (chart.trip_id, chart.prepared_at, chart.prepared_by) == (
        trip.pk,
        CHART_TIME,
        manager,
    )
    assert status(pnrs["Farhan"])[0][1] == "CAN"


def test_charting_twice_gives_the_one_chart_unchanged(charted_trip):
    trip, _ = charted_trip
    first = chart_prepare(trip=trip, now=CHART_TIME)
    moves, cancellations = Promotion.objects.count(), Cancellation.objects.count()

    second = chart_prepare(trip=trip, now=CHART_TIME + timedelta(hours=1))

    assert second.pk == first.pk
    assert (second.rows, second.summary, second.prepared_at) == (
        first.rows,
        first.summary,
        CHART_TIME,
    )
    assert Chart.objects.count() == 1
    assert (Promotion.objects.count(), Cancellation.objects.count()) == (moves, cancellations)
    assert broken_invariants() == {}


def test_a_cancelled_trip_is_not_charted(charted_trip):
    trip, _ = charted_trip
    trip.status = TripStatus.CANCELLED
    trip.save(update_fields=["status"])
    before = list(Passenger.objects.order_by("pk").values_list("status", "seat_id", "half"))

    with pytest.raises(ChartingRefused, match="is cancelled"):
        chart_prepare(trip=trip, now=CHART_TIME)

    assert not Chart.objects.exists()
    assert not Promotion.objects.exists() and not Cancellation.objects.exists()
    assert list(Passenger.objects.order_by("pk").values_list("status", "seat_id", "half")) == before
    assert set(Place.objects.values_list("quota", flat=True)) == {
        "LADIES",
        "GENERAL",
        "TATKAL",
        "RAC",
    }


# --- Admin -----------------------------------------------------------------------------------


def test_the_chart_page_shows_the_passengers_and_prints(charted_trip, admin_client):
    trip, pnrs = charted_trip
    chart = chart_prepare(trip=trip, now=CHART_TIME)

    page = admin_client.get(reverse("admin:booking_chart_change", args=[chart.pk]))
    printable = admin_client.get(reverse("admin:booking_chart_print", args=[chart.pk]))

    for response in (page, printable):
        assert response.status_code == 200
        text = response.content.decode()
        for name in ("Chitra", "Bala", "Gopal", "Arjun", "Dev", "Ganesh"):
            assert name in text
        assert "Coach S1" in text and pnrs["Chitra"].number in text
        assert "at 07 Jan 2030 08:00 IST · prepared 06 Jan 2030 21:00 IST" in text
        assert "@media print" in text
        assert "Farhan" not in text  # cancelled at charting
    assert admin_client.get(reverse("admin:booking_chart_changelist")).status_code == 200


def test_company_staff_see_only_their_companys_charts(charted_trip, client):
    trip, _ = charted_trip
    chart = chart_prepare(trip=trip, now=CHART_TIME)
    client.force_login(staff_user(rail_company(slug="other", name="Other")))

    page = client.get(reverse("admin:booking_chart_change", args=[chart.pk]))
    printable = client.get(reverse("admin:booking_chart_print", args=[chart.pk]))
    listing = client.get(reverse("admin:booking_chart_changelist"))

    assert page.status_code in (302, 404) and "Chitra" not in page.content.decode()
    assert printable.status_code == 404
    assert (
        listing.status_code == 200
        and str(trip.route.number) not in (listing.content.decode().split('id="result_list"')[-1])
    )

    client.force_login(staff_user(trip.route.company))
    assert client.get(reverse("admin:booking_chart_print", args=[chart.pk])).status_code == 200


def test_the_trip_class_action_prepares_each_trips_chart_once(charted_trip, client):
    trip, _ = charted_trip
    manager = staff_user(trip.route.company)
    client.force_login(manager)
    url = reverse("admin:booking_tripclass_changelist")
    trip_class = TripClass.objects.get(trip=trip)

    response = client.post(
        url, {"action": "prepare_charts", "_selected_action": [trip_class.pk]}, follow=True
    )

    chart = Chart.objects.get()
    assert (chart.trip_id, chart.prepared_by) == (trip.pk, manager)
    assert "Chart prepared for 1 trip(s)." in response.content.decode()
    again = client.post(
        url, {"action": "prepare_charts", "_selected_action": [trip_class.pk]}, follow=True
    )
    assert "already charted" in again.content.decode()
    assert Chart.objects.count() == 1
    assert broken_invariants() == {}


def test_the_trip_class_action_reports_a_refusal_per_trip(charted_trip, client):
    trip, _ = charted_trip
    trip.status = TripStatus.DEPARTED
    trip.save(update_fields=["status"])
    client.force_login(staff_user(trip.route.company))

    response = client.post(
        reverse("admin:booking_tripclass_changelist"),
        {"action": "prepare_charts", "_selected_action": [TripClass.objects.get(trip=trip).pk]},
        follow=True,
    )

    assert "only scheduled or boarding trips are charted" in response.content.decode()
    assert not Chart.objects.exists()


# --- Concurrency -------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_charting_writes_one_chart_and_refunds_once(charted_trip):
    trip, pnrs = charted_trip
    farhan = pnrs["Farhan"]
    paid = balance(farhan.user)
    charts = set(run_together(4, lambda _: chart_prepare(trip=trip, now=CHART_TIME).pk))

    assert charts == {Chart.objects.get().pk}
    assert balance(farhan.user) == paid + farhan.total_fare
    assert Cancellation.objects.filter(pnr=farhan).count() == 1
    assert Chart.objects.get().summary["promoted"] == 4
    assert broken_invariants() == {}
