"""Charting (DESIGN.md section 5, Charting): when a chart is due, unused LADIES berths to
waitlisted women then seniors, other quota seats to GENERAL promotion, fully waitlisted PNRs
cancelled with a full refund, and the chart frozen, printable in the admin.

Time is never the clock's: every service call names its `now`.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.urls import reverse

from fleet.models import Company, TripStatus
from fleet.tests.factories import CompanyFactory, staff_user
from payments.models import Account
from ttms.celery import BEAT_SCHEDULE
from ttms.invariants import broken_invariants
from ttms.testing import run_together

from .. import rules
from ..exceptions import CancellationNotAllowed, ChartingRefused, ChartPrepared
from ..lifecycle.services import charting
from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.charting import chart_prepare, charts_prepare_due
from ..lifecycle.services.promotion import promote_waitlist
from ..models import Cancellation, Chart, Passenger, Place, Pnr, Promotion, TripClass
from ..tasks import charts_prepare_due_task
from .factories import IST, adult, funded_user, make_trip, rail_company

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=IST)  # the factory trips' departure
CHART_TIME = datetime(2030, 1, 6, 21, 0, tzinfo=IST)  # the railway rule's, for 08:00
BOOKED = DEPARTURE - timedelta(days=5)


def status(pnr) -> list[tuple]:
    return [
        (p.name, p.status, p.seat.number if p.seat_id else None, p.half, p.quota)
        for p in Passenger.objects.filter(pnr=pnr).select_related("seat").order_by("index")
    ]


def balance(user) -> int:
    return Account.objects.get(user=user, kind=Account.Kind.WALLET).balance


# --- chart_due_at ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("departure", "due"),
    [
        # Before 05:00: 8 hours before.
        (datetime(2030, 1, 7, 4, 59, tzinfo=IST), datetime(2030, 1, 6, 20, 59, tzinfo=IST)),
        # 05:00 is in the morning band (inclusive): 21:00 the day before.
        (datetime(2030, 1, 7, 5, 0, tzinfo=IST), datetime(2030, 1, 6, 21, 0, tzinfo=IST)),
        (datetime(2030, 1, 7, 13, 59, tzinfo=IST), datetime(2030, 1, 6, 21, 0, tzinfo=IST)),
        # 14:00 is not (exclusive): 8 hours before.
        (datetime(2030, 1, 7, 14, 0, tzinfo=IST), datetime(2030, 1, 7, 6, 0, tzinfo=IST)),
        (datetime(2030, 1, 7, 23, 30, tzinfo=IST), datetime(2030, 1, 7, 15, 30, tzinfo=IST)),
        (datetime(2030, 1, 7, 0, 30, tzinfo=IST), datetime(2030, 1, 6, 16, 30, tzinfo=IST)),
    ],
)
def test_railway_chart_time_at_the_band_edges(departure, due):
    at = rules.chart_due_at(departure_at=departure.astimezone(UTC), tz=IST, offset_minutes=None)

    assert at == due
    assert at.tzinfo == IST


def test_a_company_offset_replaces_the_railway_rule():
    departure = datetime(2030, 1, 7, 9, 0, tzinfo=IST)

    at = rules.chart_due_at(departure_at=departure, tz=IST, offset_minutes=30)

    assert at == datetime(2030, 1, 7, 8, 30, tzinfo=IST)
    assert rules.chart_due_at(departure_at=departure, tz=IST, offset_minutes=0) == departure


def test_the_band_is_read_in_the_first_stops_zone():
    departure = datetime(2030, 1, 7, 3, 0, tzinfo=UTC)  # 08:30 in India, 03:00 in London

    assert rules.chart_due_at(departure_at=departure, tz=IST, offset_minutes=None) == (
        datetime(2030, 1, 6, 21, 0, tzinfo=IST)
    )
    assert rules.chart_due_at(departure_at=departure, tz=LONDON, offset_minutes=None) == (
        datetime(2030, 1, 6, 19, 0, tzinfo=UTC)
    )


def test_eight_hours_are_eight_real_hours_across_a_clock_change():
    # London moves from GMT to BST at 01:00 UTC on 31 March 2030.
    departure = datetime(2030, 3, 31, 4, 30, tzinfo=LONDON)  # 03:30 UTC

    at = rules.chart_due_at(departure_at=departure, tz=LONDON, offset_minutes=None)

    assert at == datetime(2030, 3, 30, 19, 30, tzinfo=UTC)
    assert rules.chart_due_at(
        departure_at=datetime(2030, 3, 31, 9, 0, tzinfo=LONDON), tz=LONDON, offset_minutes=None
    ) == (datetime(2030, 3, 30, 21, 0, tzinfo=UTC))  # 21:00 GMT the evening before


# --- The LADIES release and GENERAL promotion ---------------------------------------------


def test_a_free_ladies_berth_goes_to_a_waitlisted_woman_before_earlier_men(make_sleeper_trip, book):
    trip = make_sleeper_trip(berths=8, quotas={"LADIES": 1})  # berth 1 LADIES
    for i in range(8):  # GENERAL berths 2-6 and 8, then the RAC halves of berth 7
        book(trip, [adult(f"M{i}")], now=BOOKED)
    man = book(trip, [adult("Arjun", 30)], now=BOOKED)
    senior_man = book(trip, [adult("Bala", 65)], now=BOOKED)
    woman = book(trip, [adult("Chitra", 30, "F")], now=BOOKED)
    assert [status(p)[0][1] for p in (man, senior_man, woman)] == ["WL", "WL", "WL"]

    chart = chart_prepare(trip=trip, now=CHART_TIME)

    assert status(woman) == [("Chitra", "CNF", "1", 0, "LADIES")]
    assert status(man) == [("Arjun", "CAN", None, 0, "GENERAL")]
    assert status(senior_man) == [("Bala", "CAN", None, 0, "GENERAL")]
    promotion = Promotion.objects.get()
    assert (
        promotion.passenger.pnr_id,
        promotion.from_status,
        promotion.to_status,
        promotion.cause,
        promotion.created_at,
    ) == (woman.pk, "WL", "CNF", "charting", CHART_TIME)
    assert chart.summary["released_to_women"] == 1
    assert chart.summary["released_to_seniors"] == 0
    assert chart.summary["pnrs_cancelled"] == 2
    assert broken_invariants() == {}


@pytest.fixture
def charted_trip(make_sleeper_trip, book):
    """Berths 1-2 LADIES, 3-5 GENERAL, 6 and 8 TATKAL, 7 an RAC berth; GENERAL and RAC
    sold out; then waitlisted: a man, a senior man, a woman, a PNR of two men, a man."""
    trip = make_sleeper_trip(berths=8, quotas={"LADIES": 2, "TATKAL": 2})
    pnrs = {
        name: book(trip, [adult(name, age, gender)], now=BOOKED)
        for name, age, gender in [
            ("Gopal", 40, "M"),
            ("Hari", 41, "M"),
            ("Ishaan", 42, "M"),
            ("Jai", 30, "M"),
            ("Kiran", 31, "M"),
            ("Arjun", 30, "M"),
            ("Bala", 65, "M"),
            ("Chitra", 30, "F"),
        ]
    }
    pnrs["Dev"] = book(trip, [adult("Dev"), adult("Ganesh")], now=BOOKED)
    farhan_user = funded_user()
    pnrs["Farhan"] = book(trip, [adult("Farhan")], user=farhan_user, now=BOOKED)
    assert dict(
        Place.objects.filter(trip_class__trip=trip, half=0).values_list("seat__number", "quota")
    ) == {
        "1": "LADIES",
        "2": "LADIES",
        "3": "GENERAL",
        "4": "GENERAL",
        "5": "GENERAL",
        "6": "TATKAL",
        "8": "TATKAL",
    }
    assert [status(pnrs[n])[0][1:3] for n in ("Gopal", "Hari", "Ishaan", "Jai", "Kiran")] == [
        ("CNF", "3"),
        ("CNF", "4"),
        ("CNF", "5"),
        ("RAC", "7"),
        ("RAC", "7"),
    ]
    assert {
        p.status
        for p in Passenger.objects.filter(
            pnr__in=[pnrs[n] for n in ("Arjun", "Bala", "Chitra", "Dev", "Farhan")]
        )
    } == {"WL"}
    return trip, pnrs


def test_the_second_ladies_berth_goes_to_a_senior_and_quota_seats_to_general_in_fifo_order(
    charted_trip,
):
    trip, pnrs = charted_trip

    chart_prepare(trip=trip, now=CHART_TIME)

    assert status(pnrs["Chitra"]) == [("Chitra", "CNF", "1", 0, "LADIES")]
    assert status(pnrs["Bala"]) == [("Bala", "CNF", "2", 0, "LADIES")]
    # The TATKAL berths, now GENERAL: the RAC passengers first, then the waitlist in turn.
    assert status(pnrs["Jai"]) == [("Jai", "CNF", "6", 0, "GENERAL")]
    assert status(pnrs["Kiran"]) == [("Kiran", "CNF", "8", 0, "GENERAL")]
    assert status(pnrs["Arjun"]) == [("Arjun", "RAC", "7", 1, "GENERAL")]
    assert status(pnrs["Dev"]) == [
        ("Dev", "RAC", "7", 2, "GENERAL"),
        ("Ganesh", "WL", None, 0, "GENERAL"),
    ]
    assert set(Place.objects.filter(trip_class__trip=trip).values_list("quota", flat=True)) == {
        "GENERAL",
        "RAC",
    }
    assert list(
        Promotion.objects.values_list("passenger__name", "from_status", "to_status", "cause")
    ) == [
        ("Chitra", "WL", "CNF", "charting"),
        ("Bala", "WL", "CNF", "charting"),
        ("Jai", "RAC", "CNF", "charting"),
        ("Kiran", "RAC", "CNF", "charting"),
        ("Arjun", "WL", "RAC", "charting"),
        ("Dev", "WL", "RAC", "charting"),
    ]
    # Farhan's PNR, cancelled, frees nothing: no promotion is due, and one would move nobody.
    trip_class = TripClass.objects.get(trip=trip)
    assert trip_class.promotion_due is False
    assert promote_waitlist(trip_class_id=trip_class.pk, now=CHART_TIME) == []
    assert broken_invariants() == {}


# --- Waitlisted PNRs -------------------------------------------------------------------------


@pytest.fixture
def sold_out(make_sleeper_trip, book):
    """No quotas; berths 1-6 to one PNR, then a PNR of four (CNF on 8, RAC, RAC, WL)."""
    trip = make_sleeper_trip(berths=8, quotas={})
    book(trip, [adult(f"F{i}") for i in range(6)], now=BOOKED)
    partly = book(trip, [adult("C"), adult("R1"), adult("R2"), adult("W")], now=BOOKED)
    assert [s for _, s, *_ in status(partly)] == ["CNF", "RAC", "RAC", "WL"]
    return trip, partly


def test_a_fully_waitlisted_pnr_is_cancelled_with_its_whole_fare_refunded(sold_out, book):
    trip, _ = sold_out
    user = funded_user(1_000_000)
    waiting = book(trip, [adult("W1"), adult("W2", 40, "F")], user=user, now=BOOKED)
    assert balance(user) == 1_000_000 - waiting.total_fare

    chart = chart_prepare(trip=trip, now=CHART_TIME)

    assert balance(user) == 1_000_000
    cancellation = Cancellation.objects.get()
    assert (
        cancellation.pnr_id,
        cancellation.cause,
        cancellation.fare,
        cancellation.charge,
        cancellation.refund,
        cancellation.policy,
        cancellation.created_at,
        cancellation.cancelled_by,
    ) == (
        waiting.pk,
        "charting",
        waiting.total_fare,
        0,
        waiting.total_fare,
        "full",
        CHART_TIME,
        None,
    )
    assert cancellation.transaction is not None
    assert [
        (p.status, p.refund == p.fare, p.cancellation_id)
        for p in Passenger.objects.filter(pnr=waiting).order_by("index")
    ] == [("CAN", True, cancellation.pk)] * 2
    assert chart.summary["pnrs_cancelled"] == 1
    assert chart.summary["refunded"] == waiting.total_fare
    assert broken_invariants() == {}


def test_charting_never_cancels_a_pnr_with_someone_seated(sold_out):
    _, partly = sold_out  # CNF, RAC, RAC, WL
    pnr = Pnr.objects.select_related("trip__route__company", "origin").get(pk=partly.pk)

    with pytest.raises(CancellationNotAllowed) as refused:
        booking_cancel(pnr=pnr, by=None, cause="charting", now=CHART_TIME)

    assert refused.value.message == (
        f"PNR {pnr.number} has a passenger seated now; charting "
        "cancels only PNRs still wholly waitlisted."
    )
    assert [s for _, s, *_ in status(partly)] == ["CNF", "RAC", "RAC", "WL"]
    assert not Cancellation.objects.exists()


def test_a_partly_waitlisted_pnr_is_kept_and_its_waitlisted_passenger_charted_last(sold_out):
    trip, partly = sold_out

    chart = chart_prepare(trip=trip, now=CHART_TIME)

    assert [s for _, s, *_ in status(partly)] == ["CNF", "RAC", "RAC", "WL"]
    assert not Cancellation.objects.exists()
    assert [(row["name"], row["status"]) for row in chart.rows[-1:]] == [("W", "WL")]
    assert chart.summary["waitlisted"] == 1
    assert broken_invariants() == {}


def test_after_charting_a_booking_is_taken_only_if_nobody_would_wait(sold_out, book):
    trip, partly = sold_out
    chart_prepare(trip=trip, now=CHART_TIME)
    user = funded_user(1_000_000)

    with pytest.raises(ChartPrepared):
        book(trip, [adult("Late")], user=user, now=CHART_TIME + timedelta(minutes=5))
    assert balance(user) == 1_000_000
    assert not Pnr.objects.filter(user=user).exists()

    # Berths freed after the chart (a whole PNR cancelled): those waiting go first (the
    # booking promotes before it allocates), then a newcomer gets a berth.
    filler = Pnr.objects.exclude(pk=partly.pk).get(trip=trip)
    booking_cancel(pnr=filler, by=None, now=CHART_TIME)
    late = book(trip, [adult("Late")], user=user, now=CHART_TIME + timedelta(minutes=5))

    assert [s for _, s, *_ in status(partly)] == ["CNF", "CNF", "CNF", "CNF"]
    assert [s for _, s, *_ in status(late)] == ["CNF"]
    assert broken_invariants() == {}


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


# --- Charting on schedule ------------------------------------------------------------------


def test_charts_are_prepared_for_exactly_the_trips_that_are_due(book):
    now = datetime(2030, 1, 6, 21, 0, tzinfo=IST)
    bus_company = CompanyFactory(kind=Company.Kind.BUS, charting_offset_minutes=30)

    def trip(prefix, departure, *, company=None, sold=True, **kwargs):
        made = make_trip(
            company=company or rail_company(), code_prefix=prefix, departure=departure, **kwargs
        )
        if sold:
            book(
                made,
                [adult()],
                origin=f"{prefix}1",
                destination=f"{prefix}2",
                class_code=kwargs.get("coaches", [("", "SL")])[0][1],
                now=departure - timedelta(days=2),
            )
        return made

    due_morning = trip("A", datetime(2030, 1, 7, 13, 59, tzinfo=IST))  # due 21:00 today
    due_night = trip("B", datetime(2030, 1, 7, 4, 59, tzinfo=IST))  # due 20:59 today
    afternoon = trip("C", datetime(2030, 1, 7, 14, 0, tzinfo=IST))  # due 06:00 tomorrow
    unsold = trip("D", datetime(2030, 1, 7, 8, 0, tzinfo=IST), sold=False)
    cancelled = trip("E", datetime(2030, 1, 7, 9, 0, tzinfo=IST))
    cancelled.status = TripStatus.CANCELLED
    cancelled.save(update_fields=["status"])
    departed = trip("F", datetime(2030, 1, 6, 20, 0, tzinfo=IST))
    bus_due = trip(
        "G",
        datetime(2030, 1, 6, 21, 30, tzinfo=IST),
        company=bus_company,
        coaches=[("B1", "STANDARD")],
    )  # due 21:00
    bus_later = trip(
        "H",
        datetime(2030, 1, 6, 21, 31, tzinfo=IST),
        company=bus_company,
        coaches=[("B1", "STANDARD")],
    )  # due 21:01
    far = trip("I", datetime(2030, 1, 9, 8, 0, tzinfo=IST))

    assert charts_prepare_due(now=now) == 3

    charted = set(Chart.objects.values_list("trip_id", flat=True))
    assert charted == {due_morning.pk, due_night.pk, bus_due.pk}
    assert not charted & {afternoon.pk, unsold.pk, cancelled.pk, departed.pk, bus_later.pk, far.pk}
    assert charts_prepare_due(now=now) == 0  # charted trips are not charted again
    assert charts_prepare_due(now=now + timedelta(minutes=1)) == 1  # bus_later's turn
    assert broken_invariants() == {}


def test_one_failing_trip_does_not_stop_the_others(book, monkeypatch, caplog):
    now = datetime(2030, 1, 6, 21, 0, tzinfo=IST)
    trips = [
        make_trip(
            code_prefix=prefix,
            departure=datetime(2030, 1, 7, 9, 0, tzinfo=IST) + timedelta(minutes=i),
        )
        for i, prefix in enumerate("AB")
    ]
    for trip, prefix in zip(trips, "AB", strict=True):
        book(trip, origin=f"{prefix}1", destination=f"{prefix}2")
    real = charting._class_finalise

    def failing(*, trip_id, **kwargs):
        if trip_id == trips[0].pk:
            raise RuntimeError("boom")
        return real(trip_id=trip_id, **kwargs)

    monkeypatch.setattr(charting, "_class_finalise", failing)

    assert charts_prepare_due(now=now) == 1

    assert list(Chart.objects.values_list("trip_id", flat=True)) == [trips[1].pk]
    assert "Charting trip" in caplog.text and "boom" in caplog.text


def test_the_beat_charts_every_minute():
    entry = BEAT_SCHEDULE["booking-prepare-charts"]

    assert entry == {"task": "booking.tasks.charts_prepare_due_task", "trip": crontab()}
    assert charts_prepare_due_task() == 0  # no trip at all


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
