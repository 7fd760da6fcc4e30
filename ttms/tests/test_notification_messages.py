"""Every event's message as people read it, in English and in Hindi: the PNR, the names,
coach and berth (or the seat on a bus), amounts in the operator's currency, times in the
station's zone with the zone named. Real PNRs (a Rwandan bus selling in RWF, an Indian
sleeper train in INR), rendered as each channel sends them."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from booking.lifecycle.services.cancellation import booking_cancel
from booking.models import Passenger
from booking.sales.services.create import booking_create
from booking.tests.buses import RAILWAY_WORDS, make_rwanda_bus
from booking.tests.factories import adult, funded_user, make_trip
from fleet.tests.factories import CompanyFactory
from payments.tests.factories import fund_wallet
from ttms.notifications.channels.gsm import segments
from ttms.notifications.events import EMAIL, EVENTS, IN_APP, SMS
from ttms.notifications.models import OutboxMessage
from ttms.notifications.rendering import NEEDS, render

pytestmark = pytest.mark.django_db

KIGALI_DEPARTURE = {
    "en": "Mon 7 Jan, 08:00 CAT (Africa/Kigali)",
    "hi": "सोम 7 जन॰, 08:00 CAT (Africa/Kigali)",
}
BOOKED_AT = datetime(2029, 12, 1, tzinfo=ZoneInfo("UTC"))
INDIA_DEPARTURE = {
    "en": "Mon 7 Jan, 08:00 IST (Asia/Kolkata)",
    "hi": "सोम 7 जन॰, 08:00 IST (Asia/Kolkata)",
}


@pytest.fixture
def bus_pnr():
    trip = make_rwanda_bus()
    user = funded_user(0, email="aline@example.com", phone="+250788123456")
    fund_wallet(user, 100_000, "RWF")
    return booking_create(
        user=user,
        trip_id=trip.pk,
        origin_code="KGL",
        destination_code="MSZ",
        class_code="STANDARD",
        quota="GENERAL",
        passengers=[adult("Aline Uwase", 30, "F", coach="C1", seat="14")],
        now=BOOKED_AT,
    )


@pytest.fixture
def rail_pnr():
    company = CompanyFactory(kind="rail", name="Deccan Rail", time_zone="Asia/Kolkata")
    trip = make_trip(company=company, coaches=(("S1", "SL"),))
    user = funded_user(email="ravi@example.com", phone="+919876543210")
    return booking_create(
        user=user,
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST3",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult("Ravi Kumar", coach="S1", seat="23"), adult("Meera Kumar", 28, "F")],
        now=BOOKED_AT,
    )


def railway_words(text: str) -> list[str]:
    return [word for word in RAILWAY_WORDS if word in text]


def _t(language: str, text: str) -> str:
    """A label as the catalogue of `language` has it (Hindi labels may be translated)."""
    with translation.override(language):
        return translation.gettext(text)


def _message(topic, payload, user, language):
    return OutboxMessage.objects.create(
        topic=topic, user=user, payload=payload, language=language, dedupe_key=None
    )


def _all(message) -> dict:
    email, sms, in_app = (render(message, c) for c in (EMAIL, SMS, IN_APP))
    return {
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "sms": sms.text,
        "inapp": in_app.text,
        "unsubscribe": email.unsubscribe_url,
    }


@pytest.mark.parametrize("language", ["en", "hi"])
def test_booking_confirmed_on_a_bus_names_the_seat_the_francs_and_kigali_time(bus_pnr, language):
    message = OutboxMessage.objects.get(topic="booking.confirmed", payload__pnr=bus_pnr.number)
    message.language = language

    out = _all(message)

    # What is data (number, names, money, time) reads the same in every language but for
    # the locale's own forms; the wording is checked in English, whose catalogue is the source.
    assert bus_pnr.number in out["subject"]
    for part in ("text", "html", "sms"):
        assert bus_pnr.number in out[part]
        assert "Aline Uwase" in out[part]
        assert "14" in out[part]
        assert railway_words(out[part]) == []
    for part in ("text", "html"):
        assert "Volcano Express" in out[part]
        assert "RWF\u00a02,500" in out[part]
        assert KIGALI_DEPARTURE[language] in out[part]
    assert KIGALI_DEPARTURE[language].removesuffix(" (Africa/Kigali)") in out["sms"]
    assert f"http://127.0.0.1:8000/bookings/{bus_pnr.number}/" in out["html"]
    assert out["unsubscribe"] == ""  # a mandatory event
    if language == "en":
        assert out["subject"] == f"Booking confirmed: PNR {bus_pnr.number}"
        assert "Class: Standard" in out["text"] and "Seat 14" in out["html"]
        assert out["sms"] == (
            f"PNR {bus_pnr.number} confirmed. Kigali Nyabugogo-Musanze Mon 7 Jan, 08:00 CAT. "
            f"Aline Uwase: Confirmed, Seat 14. http://127.0.0.1:8000/bookings/{bus_pnr.number}/"
        )
        assert len(segments(out["sms"])) == 1


def test_booking_confirmed_on_a_train_names_coach_berth_and_each_waiting_position(rail_pnr):
    message = _message(
        "booking.confirmed",
        {
            "pnr": rail_pnr.number,
            "passengers": [
                {
                    "index": 1,
                    "name": "Ravi Kumar",
                    "status": "CNF",
                    "coach": "S1",
                    "seat": "23",
                    "berth": "LB",
                },
                {
                    "index": 2,
                    "name": "Meera Kumar",
                    "status": "RAC",
                    "coach": "S1",
                    "seat": "7",
                    "berth": "SL",
                    "position": 3,
                },
                {"index": 3, "name": "Anil Kumar", "status": "WL", "position": 12},
            ],
            "fare": 174120,
            "currency": "INR",
        },
        rail_pnr.user,
        "en",
    )

    out = _all(message)

    assert "1. Ravi Kumar: Confirmed, Coach S1, Lower berth 23" in out["text"]
    assert "2. Meera Kumar: RAC 3, Coach S1, Side lower berth 7" in out["text"]
    assert "3. Anil Kumar: WL 12" in out["text"]
    assert "Fare: ₹1,741.20" in out["text"]
    assert f"Departure: {INDIA_DEPARTURE['en']}" in out["text"]
    assert "Deccan Rail" in out["html"]
    assert "RAC 3" in out["html"] and "WL 12" in out["html"]
    assert "waiting list move up" in out["text"]


@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_cancelled_pnr_tells_the_refund_in_francs_and_the_rule(bus_pnr, language):
    booking_cancel(pnr=bus_pnr, by=bus_pnr.user, now=BOOKED_AT)
    message = OutboxMessage.objects.get(topic="pnr.cancelled", payload__pnr=bus_pnr.number)
    message.language = language
    refund = message.payload["refund"]
    with translation.override(language):
        from ttms.money import format_money

        refund_text = format_money(refund, "RWF")

    out = _all(message)

    for part in ("subject", "text", "html", "sms"):
        assert bus_pnr.number in out[part] and refund_text in out[part]
    assert "RWF\u00a02,500" in out["text"]  # the fare the refund was taken from
    if language == "en":
        assert out["subject"] == f"PNR {bus_pnr.number} cancelled, {refund_text} refunded"
        assert f"Refund: {refund_text}" in out["text"]
        assert (
            "Refund rule: Tiered (48 h 90 %, 24 h 75 %, 12 h 50 %): "
            "RWF\u00a0250 kept of RWF\u00a02,500" in out["text"]
        )
        assert "Aline Uwase: Cancelled" in out["text"]
        assert out["sms"] == f"PNR {bus_pnr.number} cancelled. Refund {refund_text} to your wallet."


@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_trip_cancelled_by_the_operator_tells_reason_and_refund(bus_pnr, language):
    message = _message(
        "trip.cancelled",
        {
            "pnr": bus_pnr.number,
            "trip": bus_pnr.trip_id,
            "number": "VE1",
            "service_date": "2030-01-07",
            "reason": "Road closed at Nyirangarama",
            "refund": 250_000,
            "currency": "RWF",
            "passengers": [1],
        },
        bus_pnr.user,
        language,
    )

    out = _all(message)

    refund = {"en": "RWF\u00a0250,000", "hi": "RWF\u00a02,50,000"}[language]
    for part in ("text", "html", "sms", "inapp"):
        assert "Road closed at Nyirangarama" in out[part] and refund in out[part]
    assert KIGALI_DEPARTURE[language] in out["text"] and KIGALI_DEPARTURE[language] in out["html"]
    if language == "en":
        assert "Volcano Express has cancelled your trip." in out["text"]
        assert f"It was to leave Kigali Nyabugogo {KIGALI_DEPARTURE['en']}." in out["text"]
        assert "Reason: Road closed at Nyirangarama." in out["text"]
        assert f"{refund} is refunded to your wallet." in out["text"]


def test_a_promotion_tells_the_new_status_coach_and_berth(rail_pnr):
    message = _message(
        "passenger.promoted",
        {
            "pnr": rail_pnr.number,
            "passenger": 2,
            "name": "Meera Kumar",
            "from": "WL",
            "to": "CNF",
            "coach": "S1",
            "seat": "31",
            "berth": "UB",
        },
        rail_pnr.user,
        "en",
    )

    out = _all(message)

    assert out["subject"] == f"Meera Kumar is now Confirmed on PNR {rail_pnr.number}"
    assert "Place: Coach S1, Upper berth 31." in out["text"]
    assert out["sms"] == (
        f"PNR {rail_pnr.number}: Meera Kumar is now Confirmed. Coach S1, Upper berth 31. "
        "Mon 7 Jan, 08:00 IST."
    )


def test_chart_prepared_lists_final_places_and_the_refund_of_those_dropped(rail_pnr):
    message = _message(
        "chart.prepared",
        {
            "pnr": rail_pnr.number,
            "passengers": [
                {
                    "index": 1,
                    "name": "Ravi Kumar",
                    "status": "CNF",
                    "coach": "S1",
                    "seat": "23",
                    "berth": "LB",
                },
                {
                    "index": 2,
                    "name": "Meera Kumar",
                    "status": "CAN",
                    "coach": "",
                    "seat": "",
                    "berth": "",
                },
            ],
            "refund": 87060,
            "currency": "INR",
        },
        rail_pnr.user,
        "en",
    )

    out = _all(message)

    assert "1. Ravi Kumar: Confirmed, Coach S1, Lower berth 23" in out["text"]
    assert "2. Meera Kumar: Cancelled" in out["text"]
    assert "₹870.60 is refunded to your wallet" in out["text"]


@pytest.mark.parametrize(
    ("topic", "payload", "lines"),
    [
        (
            "passenger.reseated",
            {
                "name": "Aline Uwase",
                "class": "STANDARD",
                "vehicle": "RAE 555 C",
                "from": {"coach": "C1", "seat": "14", "berth": "WINDOW"},
                "to": {"coach": "C1", "seat": "22", "berth": "AISLE"},
            },
            [
                "Your trip now runs with vehicle RAE 555 C.",
                "Aline Uwase has a new place: Seat 22.",
                "Was: Standard, Seat 14",
                "Now: Standard, Seat 22",
            ],
        ),
        (
            "passenger.upgraded",
            {
                "name": "Aline Uwase",
                "vehicle": "RAE 555 C",
                "from": {"class": "STANDARD", "seat": "14"},
                "to": {"class": "VIP", "seat": "3"},
                "fare_unchanged": True,
            },
            [
                "Aline Uwase travels in VIP instead of Standard, at the fare already paid.",
                "New place: Seat 3.",
            ],
        ),
        (
            "vehicle.swapped",
            {"trip": None, "vehicle": "Coaster", "plate": "RAE 555 C"},
            ["Your trip now runs with vehicle RAE 555 C.", "Vehicle: RAE 555 C"],
        ),
    ],
)
def test_a_vehicle_swap_names_the_new_plate_and_seat(bus_pnr, topic, payload, lines):
    message = _message(topic, {"pnr": bus_pnr.number, **payload}, bus_pnr.user, "en")

    out = _all(message)

    for line in lines:
        assert line in out["text"]
    assert "RAE 555 C" in out["sms"] and bus_pnr.number in out["sms"]
    assert len(segments(out["sms"])) == 1


def test_optional_events_carry_a_one_click_unsubscribe_link_when_tokens_exist(bus_pnr):
    message = _message(
        "vehicle.swapped", {"pnr": bus_pnr.number, "plate": "RAE 555 C"}, bus_pnr.user, "en"
    )

    out = _all(message)

    try:
        from ttms.notifications.tokens import unsubscribe_token  # noqa: F401
    except ImportError:
        pytest.skip("the unsubscribe tokens are not there yet")
    assert out["unsubscribe"].startswith("http://127.0.0.1:8000/")
    assert out["unsubscribe"] in out["html"] and out["unsubscribe"] in out["text"]


@pytest.mark.parametrize("language", ["en", "hi"])
def test_reminder_delay_and_approach_use_the_boarding_stops_zone(bus_pnr, language):
    reminder = _message(
        "trip.reminder",
        {"pnr": bus_pnr.number, "trip": bus_pnr.trip_id, "hours": 24},
        bus_pnr.user,
        language,
    )
    delayed = _message(
        "trip.delayed",
        {"pnr": bus_pnr.number, "trip": bus_pnr.trip_id, "delay_minutes": 30},
        bus_pnr.user,
        language,
    )
    approaching = _message(
        "vehicle.approaching",
        {
            "pnr": bus_pnr.number,
            "trip": bus_pnr.trip_id,
            "station": "KGL",
            "eta": "2030-01-07T05:52:00+00:00",
        },
        bus_pnr.user,
        language,
    )

    reminder_out, delayed_out, approaching_out = _all(reminder), _all(delayed), _all(approaching)

    eta = {"en": "Mon 7 Jan, 07:52 CAT", "hi": "सोम 7 जन॰, 07:52 CAT"}[language]
    assert KIGALI_DEPARTURE[language] in reminder_out["text"]
    assert KIGALI_DEPARTURE[language] in reminder_out["inapp"]
    assert "30" in delayed_out["sms"] and "30" in delayed_out["inapp"]
    assert f"/bookings/{bus_pnr.number}/live/" in delayed_out["html"]
    assert f"{eta} (Africa/Kigali)" in approaching_out["text"]
    assert eta in approaching_out["sms"] and "Kigali Nyabugogo" in approaching_out["sms"]
    if language == "en":
        assert "Kigali Nyabugogo to Musanze" in reminder_out["text"]
        assert "running about 30 minutes late" in delayed_out["text"]
        assert f"Expected {eta} (Africa/Kigali)." in approaching_out["text"]
        assert "approaching Kigali Nyabugogo" in approaching_out["sms"]


def test_boarding_recorded_names_passenger_stop_and_local_time(bus_pnr):
    message = _message(
        "passenger.boarded",
        {
            "pnr": bus_pnr.number,
            "passenger": 1,
            "name": "Aline Uwase",
            "station": "Kigali Nyabugogo",
            "at": "2030-01-07T05:58:00+00:00",
        },
        bus_pnr.user,
        "en",
    )

    out = _all(message)

    assert out["inapp"] == "Aline Uwase has boarded. Kigali Nyabugogo."
    assert "When: Mon 7 Jan, 07:58 CAT (Africa/Kigali)" in out["text"]


@pytest.mark.parametrize("language", ["en", "hi"])
def test_top_ups_show_the_amount_in_the_wallets_currency(bus_pnr, language):
    credited = _message(
        "topup.credited",
        {"amount": 150_000, "currency": "RWF", "reference": "b7c1"},
        bus_pnr.user,
        language,
    )
    failed = _message(
        "topup.failed",
        {"amount": 5000, "currency": "KES", "reference": "c9d2", "reason": "Declined by the bank"},
        bus_pnr.user,
        language,
    )

    credited_out, failed_out = _all(credited), _all(failed)

    amount = {"en": "RWF\u00a0150,000", "hi": "RWF\u00a01,50,000"}[language]
    assert amount in credited_out["subject"] and amount in credited_out["inapp"]
    assert "/wallet/" in credited_out["html"]
    assert "KES\u00a050.00" in failed_out["subject"]
    assert f"{_t(language, 'Reason')}: Declined by the bank" in failed_out["text"]
    if language == "en":
        assert credited_out["subject"] == f"{amount} added to your wallet"
        assert failed_out["subject"] == "Your top-up of KES\u00a050.00 failed"


def test_operator_events_name_the_trip_and_link_to_the_admin(bus_pnr):
    staff = bus_pnr.user
    unassigned = _message(
        "operator.trip_unassigned",
        {
            "trip": bus_pnr.trip_id,
            "number": "VE1",
            "departure_at": "2030-01-07T06:00:00+00:00",
            "missing": ["vehicle", "driver"],
        },
        staff,
        "en",
    )
    charting = _message(
        "operator.charting_failed",
        {"trip": bus_pnr.trip_id, "number": "VE1", "error": "lock timeout"},
        staff,
        "en",
    )
    webhook = _message(
        "operator.webhook_failing",
        {"url": "https://ops.example.com/hook", "failures": 5, "last_error": "HTTP 502"},
        staff,
        "en",
    )
    passenger = Passenger.objects.get(pnr=bus_pnr)
    conflict = _message(
        "boarding.conflict",
        {
            "trip": bus_pnr.trip_id,
            "pnr": bus_pnr.number,
            "passenger": passenger.pk,
            "winner_scan": 1,
            "loser_scan": 2,
        },
        staff,
        "en",
    )

    out = {m.topic: _all(m) for m in (unassigned, charting, webhook, conflict)}

    assert out["operator.trip_unassigned"]["subject"] == "Trip VE1 needs a vehicle and a driver"
    assert f"Departure: {KIGALI_DEPARTURE['en']}" in out["operator.trip_unassigned"]["text"]
    assert f"/admin/fleet/trip/{bus_pnr.trip_id}/change/" in out["operator.trip_unassigned"]["html"]
    assert "Error: lock timeout." in out["operator.charting_failed"]["text"]
    assert "failed 5 times in a row" in out["operator.webhook_failing"]["text"]
    assert "Last error: HTTP 502." in out["operator.webhook_failing"]["text"]
    assert (
        out["boarding.conflict"]["inapp"]
        == f"Ticket of Aline Uwase, PNR {bus_pnr.number}, scanned twice."
    )
    assert f"/bookings/{bus_pnr.number}/" not in out["boarding.conflict"]["html"]


def test_password_changed_names_the_time_and_links_to_a_reset(bus_pnr):
    message = _message(
        "account.password_changed", {"at": "2030-01-07T02:30:00+00:00"}, bus_pnr.user, "en"
    )

    out = _all(message)

    assert "When: Mon 7 Jan, 08:00 IST (Asia/Kolkata)" in out["text"]
    assert "/accounts/password/reset/" in out["html"]


@pytest.mark.parametrize("topic", sorted(EVENTS))
@pytest.mark.parametrize("language", ["en", "hi"])
def test_every_event_renders_on_every_channel_even_with_an_empty_payload_or_a_pnr_gone(
    topic, language
):
    with translation.override(language):
        label = str(EVENTS[topic].label)
    payloads = ({}, {"pnr": "0000000000", "trip": 999999, "passengers": [1, 2]}, {"pnr": 5})
    for payload in payloads:
        message = OutboxMessage.objects.create(topic=topic, payload=payload, language=language)

        out = _all(message)

        assert out["subject"] and out["text"] and out["html"].startswith("<!DOCTYPE html>")
        assert out["sms"] and out["inapp"]
        for part in out.values():
            assert "None" not in part and "{{" not in part and " ." not in part
        for part in ("subject", "text", "sms", "inapp"):  # no word left out of a sentence
            assert all("  " not in line for line in out[part].splitlines())
        if not payload and NEEDS.get(topic):  # nothing to say but what happened
            assert out["subject"] == out["sms"] == out["inapp"] == label
