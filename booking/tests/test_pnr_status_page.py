"""The public PNR status check: a match needs the holder's email or phone; every miss looks
the same; throttled per client address."""

import re

import pytest
from django.test import Client

from ..models import Pnr
from .pages import (
    cancel_url,
    page_title_and_h1,
    svgs,
    text_of,
)

pytestmark = pytest.mark.django_db


LOOKUP_URL = "/pnr-status/"


@pytest.fixture
def known(ticketed):
    holder = ticketed.holder
    holder.email, holder.phone = "asha.rao@example.com", "+919876543210"
    holder.save(update_fields=["email", "phone"])
    return ticketed


def lookup(client, number, contact, **extra):
    return client.post(LOOKUP_URL, {"pnr": number, "contact": contact}, **extra)


def test_the_status_check_page_is_a_form_with_labelled_fields(client):
    response = client.get(LOOKUP_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert page_title_and_h1(html) == ("PNR status · TTMS", ["PNR status"])
    assert '<form method="post" action="/pnr-status/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_pnr">PNR number' in html
    assert '<label for="id_contact">Email or phone used for the booking' in html


@pytest.mark.parametrize(
    "contact",
    [
        "Asha.Rao@Example.COM ",
        "asha.rao@example.com",
        "+91 98765-43210",
        " +919876543210",
        "98765 43210",
        "098765-43210",
        "0091 98765 43210",
    ],
)
def test_the_holders_email_in_any_case_or_phone_shows_the_status(known, client, contact):
    pnr = known.pnr
    asha, ravi = known.passengers

    response = lookup(client, f" {pnr.number} ", contact)

    assert response.status_code == 200
    html = response.content.decode()
    assert page_title_and_h1(html) == (
        f"PNR status · {pnr.number} · TTMS",
        [f"PNR status · {pnr.number}"],
    )
    table = re.search(r'data-testid="passengers">(.*?)</table>', html, re.S).group(1)
    assert text_of(table) == (
        "# Name Status Coach Berth "
        f"1 Asha Confirmed S1 {asha.seat.number} {asha.seat.get_berth_type_display()} "
        f"2 Ravi Confirmed S1 {ravi.seat.number} {ravi.seat.get_berth_type_display()}"
    )
    assert "Departs Mon 07 Jan 2030, 08:00 IST" in text_of(html)
    assert svgs(html) == []
    assert cancel_url(pnr) not in html and "asha.rao" not in html.lower()


def test_a_wrong_contact_an_unknown_pnr_and_a_malformed_one_get_the_same_answer(known, client):
    real = known.pnr.number
    unknown = "1" + real[1:] if real[0] != "1" else "2" + real[1:]
    assert not Pnr.objects.filter(number=unknown).exists()

    def answer(number, contact):
        response = lookup(client, number, contact)
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
        return response.status_code, html.replace(number, "NUMBER")

    wrong_contact = answer(real, "someone@example.com")
    wrong_phone = answer(real, "+919876543211")
    unknown_pnr = answer(unknown, "asha.rao@example.com")
    malformed = answer("12345abcde", "asha.rao@example.com")
    too_long = answer("9" * 40, "asha.rao@example.com")
    huge_contact = answer(real, "a" * 300 + "@example.com")

    assert wrong_contact == wrong_phone == unknown_pnr == malformed == too_long == huge_contact
    status, html = wrong_contact
    assert status == 404
    assert (
        '<p class="notice notice-error" role="alert" data-testid="lookup-error">No booking '
        "matches this PNR and contact.</p>"
    ) in html
    assert "Asha" not in html and "someone@example.com" not in html
    assert 'value="NUMBER"' in html  # the number is kept to correct, the contact is not


def test_the_status_check_refuses_a_post_without_the_csrf_token(known):
    response = lookup(Client(enforce_csrf_checks=True), known.pnr.number, "asha.rao@example.com")

    assert response.status_code == 403
    assert "Asha" not in response.content.decode()


def test_blank_fields_are_errors_at_the_fields(client):
    response = lookup(client, "", "")

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_pnr_error" role="alert">This field is required.</small>' in html
    assert 'id="id_contact_error" role="alert">This field is required.</small>' in html


def test_failed_lookups_are_throttled_per_client_address(known, client, settings):
    settings.TTMS_PNR_LOOKUP_FAILURE_LIMIT = 3
    pnr = known.pnr
    for _ in range(3):
        assert lookup(client, pnr.number, "guess@example.com").status_code == 404

    throttled = lookup(client, pnr.number, "asha.rao@example.com")  # even the right one

    assert throttled.status_code == 429
    html = throttled.content.decode()
    assert "Too many lookups matched no booking. Try again in 15 minute(s)." in text_of(html)
    assert "Asha" not in html
    other_client = lookup(client, pnr.number, "asha.rao@example.com", REMOTE_ADDR="198.51.100.7")
    assert other_client.status_code == 200
    # Successes do not count: a holder checking often is never throttled.
    for _ in range(5):
        assert (
            lookup(client, pnr.number, "+919876543210", REMOTE_ADDR="198.51.100.8").status_code
            == 200
        )
