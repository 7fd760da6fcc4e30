"""Cancelling some passengers of a PNR from its page against a refund quote: the choices, the
quote then exactly that refund, a form sent twice, a refund changed since it was shown, and
nothing after departure."""

import re
from datetime import timedelta

import pytest

from ..models import Cancellation, Passenger
from .factories import adult
from .pages import (
    balance,
    cancel_url,
    page_title_and_h1,
    pnr_url,
    qr_figures,
    row_of,
    statuses,
    text_of,
)

pytestmark = pytest.mark.django_db


def test_the_cancel_page_lists_the_active_passengers_to_choose(three_days_ahead, client):
    pnr = three_days_ahead.pnr
    asha, ravi = three_days_ahead.passengers

    response = client.get(cancel_url(pnr))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert page_title_and_h1(html) == (
        f"Cancel passengers · PNR {pnr.number} · TTMS",
        [f"Cancel passengers · PNR {pnr.number}"],
    )
    for p in (asha, ravi):
        label = re.search(rf'<label for="passenger-{p.pk}">(.*?)</label>', html, re.S)
        assert (
            f'<input type="checkbox" name="passengers" value="{p.pk}" id="passenger-{p.pk}">'
        ) in label.group(1)
        assert text_of(label.group(1)) == (
            f"{p.index}. {p.name} · Confirmed · {p.seat.coach.code} {p.seat.number}"
        )
    assert (
        '<button type="submit" name="quote" value="1" class="secondary">Show refund</button>'
    ) in html
    assert 'class="pnr-confirm"' not in html  # nothing to confirm before a quote


def test_cancelling_one_passenger_shows_the_quote_then_refunds_exactly_it(three_days_ahead, client):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    asha, ravi = three_days_ahead.passengers
    fare = ravi.fare
    charge, refund = fare * 1000 // 10_000, fare - fare * 1000 // 10_000
    assert (fare, charge, refund) == (13_500, 1_350, 12_150)
    before = balance(holder)

    quote = client.get(cancel_url(pnr), {"quote": "1", "passengers": [ravi.pk]})

    assert quote.status_code == 200
    html = quote.content.decode()
    table = re.search(r'<table class="[^"]*" data-testid="quote">(.*?)</table>', html, re.S).group(
        1
    )
    assert text_of(table) == (
        "Passenger Status Fare Charge Refund Rule "
        "2. Ravi Confirmed ₹135.00 ₹13.50 ₹121.50 At least 48 h before departure: 10 % charge. "
        "Total ₹135.00 ₹13.50 ₹121.50"
    )
    assert html.index('data-testid="quote"') < html.index('id="choose-heading"')  # quote first
    assert (
        f"Refund policy of {pnr.trip.route.company.name}: Tiered (48 h 90 %, 24 h 75 %, 12 h 50 %)."
    ) in text_of(html)
    form = re.search(r'<form method="post" class="pnr-confirm">(.*?)</form>', html, re.S).group(1)
    assert f'<input type="hidden" name="passengers" value="{ravi.pk}">' in form
    assert '<input type="hidden" name="refund" value="12150">' in form
    assert text_of(form) == "Cancel 1 passenger and refund ₹121.50"
    assert f'id="passenger-{ravi.pk}" checked' in html
    assert f'id="passenger-{asha.pk}">' in html
    assert balance(holder) == before  # a quote changes nothing
    assert not Cancellation.objects.exists()

    response = client.post(
        cancel_url(pnr), {"passengers": [ravi.pk], "refund": "12150"}, follow=True
    )

    assert response.redirect_chain == [(pnr_url(pnr), 302)]
    assert (
        f"Cancelled Ravi (passenger 2) of PNR {pnr.number}. ₹121.50 is refunded to your wallet."
    ) in text_of(response.content.decode())
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CAN", refund)]
    assert balance(holder) == before + refund
    cancellation = Cancellation.objects.get()
    assert (cancellation.refund, cancellation.cancelled_by) == (refund, holder)
    page = response.content.decode()
    assert row_of(page, ravi) == "2 Ravi 36 Male Cancelled — — ₹135.00 ₹121.50"
    assert list(qr_figures(page)) == [asha.pk]
    assert "PNR status: Confirmed" in text_of(page)


def test_sending_the_cancel_form_twice_refunds_once_and_says_so(three_days_ahead, client):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    asha, ravi = three_days_ahead.passengers
    form = {"passengers": [ravi.pk], "refund": "12150"}
    assert client.post(cancel_url(pnr), form).status_code == 302
    after_first = balance(holder)

    again = client.post(cancel_url(pnr), form)

    assert again.status_code == 409
    html = again.content.decode()
    assert f"Passenger 2 of PNR {pnr.number} is already cancelled." in text_of(
        re.search(r'data-testid="cancel-error">(.*?)</p>', html).group(1)
    )
    assert balance(holder) == after_first
    assert Cancellation.objects.count() == 1
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CAN", 12_150)]
    assert f'id="passenger-{asha.pk}"' in html and f'id="passenger-{ravi.pk}"' not in html


def test_choosing_nobody_shows_the_error_at_the_choices_and_changes_nothing(
    three_days_ahead, client
):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    before = balance(holder)

    for response in (
        client.get(cancel_url(pnr), {"quote": "1"}),
        client.post(cancel_url(pnr), {"refund": "12150"}),
    ):
        assert response.status_code == 400
        html = response.content.decode()
        fieldset = re.search(r'<fieldset class="pnr-choices"([^>]*)>(.*?)</fieldset>', html, re.S)
        assert 'aria-invalid="true" aria-describedby="passengers-error"' in fieldset.group(1)
        assert (
            '<small class="field-error" id="passengers-error" role="alert">Choose at '
            "least one passenger to cancel.</small>"
        ) in fieldset.group(2)
        assert 'data-testid="quote"' not in html

    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert balance(holder) == before
    assert not Cancellation.objects.exists()


def test_a_passenger_of_another_pnr_is_refused_at_the_choices(three_days_ahead, book, client):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    stranger = book(three_days_ahead.trip, [adult("Zoe")]).passengers.get()
    before = balance(holder)

    response = client.post(cancel_url(pnr), {"passengers": [stranger.pk], "refund": "0"})

    assert response.status_code == 400
    assert (
        f'id="passengers-error" role="alert">Passenger {stranger.pk} is not on PNR '
        f"{pnr.number}.</small>"
    ) in response.content.decode()
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert Passenger.objects.get(pk=stranger.pk).status == "CNF"
    assert balance(holder) == before


def test_a_refund_that_changed_since_it_was_shown_is_shown_again_not_paid(
    three_days_ahead, client, clock
):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    ravi = three_days_ahead.passengers[1]
    before = balance(holder)
    clock(three_days_ahead.trip.departure_at - timedelta(hours=30))  # now 25 % is kept
    client.force_login(holder)

    response = client.post(cancel_url(pnr), {"passengers": [ravi.pk], "refund": "12150"})

    assert response.status_code == 409
    html = response.content.decode()
    assert (
        "The refund is now ₹101.25: it changed since it was shown. Check it, then confirm again."
    ) in text_of(html)
    assert '<input type="hidden" name="refund" value="10125">' in html
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert balance(holder) == before
    assert not Cancellation.objects.exists()


def test_after_departure_nothing_can_be_cancelled(ticketed, client, clock):
    pnr, holder = ticketed.pnr, ticketed.holder
    ravi = ticketed.passengers[1]
    before = balance(holder)
    clock(ticketed.trip.departure_at + timedelta(minutes=5))
    client.force_login(holder)
    message = (
        "The trip left Station ST1 at 08:00 on 07 Jan 2030; the booking can no longer be cancelled."
    )

    page = client.get(cancel_url(pnr))
    post = client.post(cancel_url(pnr), {"passengers": [ravi.pk], "refund": "0"})

    assert page.status_code == 200
    assert message in text_of(page.content.decode())
    assert 'name="passengers"' not in page.content.decode()
    assert post.status_code == 409
    assert message in text_of(post.content.decode())
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert balance(holder) == before
    assert not Cancellation.objects.exists()
