"""Phone numbers are taken as people write them and kept in E.164, wherever one is typed:
sign-up page, account page, the registration API, the admin."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ttms.accounts.models import Role, User
from ttms.accounts.phones import phone_normalize
from ttms.accounts.services import user_create, user_update

from .factories import UserFactory

pytestmark = pytest.mark.django_db

INVALID_IN = (
    "Enter a valid phone number, e.g. +91 81234 56789 (a number in India may leave out +91)."
)
INVALID_RW = (
    "Enter a valid phone number, e.g. +250 720 123 456 (a number in Rwanda may leave out +250)."
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+91 98765 43210", "+919876543210"),
        ("+919876543210", "+919876543210"),
        ("98765 43210", "+919876543210"),
        ("098765-43210", "+919876543210"),
        ("0091 98765 43210", "+919876543210"),
        ("(+91) 98765.43210", "+919876543210"),
        (" +1 (415) 555-0123 ", "+14155550123"),
        ("+44 20 7946 0000", "+442079460000"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_phone_normalize_reads_numbers_as_people_write_them(typed, stored):
    assert phone_normalize(typed) == stored


@pytest.mark.parametrize(
    "typed", ["98765", "+91 12345", "call me", "+999 123 4567", "9" * 300, "+91 98765 43210 ext"]
)
def test_phone_normalize_refuses_what_is_no_number(typed):
    with pytest.raises(ValidationError) as exc:
        phone_normalize(typed)

    assert exc.value.messages == [INVALID_IN]


def test_the_region_of_numbers_without_a_country_code_is_a_setting(settings):
    settings.TTMS_PHONE_REGION = "RW"

    assert phone_normalize("0788 123 456") == "+250788123456"
    assert phone_normalize("+91 98765 43210") == "+919876543210"
    with pytest.raises(ValidationError) as exc:
        phone_normalize("98765 43210")
    assert exc.value.messages == [INVALID_RW]


def test_signup_page_accepts_a_phone_with_spaces_and_stores_e164(client):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Leela Nair",
            "email": "leela@example.com",
            "phone": "+91 98765 43210",
            "password": "a-long-travel-pass",
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/")
    assert User.objects.get(email="leela@example.com").phone == "+919876543210"


def test_signup_page_refuses_a_bad_phone_next_to_the_field_and_writes_nothing(client):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Leela Nair",
            "email": "leela@example.com",
            "phone": "98765",
            "password": "a-long-travel-pass",
        },
    )

    assert response.status_code == 400
    assert (
        f'<small class="field-error" id="id_phone_error" role="alert">{INVALID_IN}'
        in response.content.decode()
    )
    assert not User.objects.exists()


def test_account_page_stores_a_national_number_in_e164(client):
    user = UserFactory(full_name="Sam Iyer", phone="")
    client.force_login(user)

    response = client.post("/accounts/", {"full_name": "Sam Iyer", "phone": "098765 43210"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.phone == "+919876543210"


def test_register_api_accepts_a_phone_as_written_and_answers_it_in_e164(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {
            "email": "meera@example.com",
            "password": "a-long-travel-pass",
            "full_name": "Meera Rao",
            "phone": "+1 (415) 555-0123",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["user"]["phone"] == "+14155550123"
    assert User.objects.get().phone == "+14155550123"


def test_register_api_refuses_a_bad_phone_with_its_field_and_writes_nothing(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {
            "email": "meera@example.com",
            "password": "a-long-travel-pass",
            "full_name": "Meera Rao",
            "phone": "+91 12345",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Some fields are not valid.",
            "fields": {"phone": [INVALID_IN]},
        }
    }
    assert not User.objects.exists()


def test_services_store_e164_and_refuse_bad_numbers_without_writing():
    user = user_create(email="a@example.com", password=None, full_name="A B", phone="98765 43210")
    assert User.objects.get(pk=user.pk).phone == "+919876543210"

    user_update(user=user, full_name="A B", phone="+44 20 7946 0000")
    assert User.objects.get(pk=user.pk).phone == "+442079460000"

    with pytest.raises(ValidationError) as exc:
        user_update(user=user, full_name="A C", phone="12")
    assert exc.value.message_dict == {"phone": [INVALID_IN]}
    assert (user.full_name, user.phone) == ("A B", "+442079460000")
    assert User.objects.filter(pk=user.pk, full_name="A B", phone="+442079460000").exists()


def test_the_admin_stores_a_phone_typed_with_spaces_in_e164(client):
    owner = UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)
    user = UserFactory(email="ravi@example.com", full_name="Ravi Kumar", phone="")
    client.force_login(owner)

    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "email": "ravi@example.com",
            "full_name": "Ravi Kumar",
            "phone": "+1 (415) 555-0123",
            "role": Role.PASSENGER,
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.phone == "+14155550123"
