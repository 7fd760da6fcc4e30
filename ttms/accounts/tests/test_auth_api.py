import pytest
from django.test import override_settings

from ttms.accounts.models import Role, User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
ME = "/api/v1/auth/me/"


def test_register_creates_passenger_with_argon2_hash_and_returns_working_tokens(api_client):
    response = api_client.post(
        REGISTER,
        {
            "email": "Meera@Example.com",
            "password": "a-long-travel-pass",
            "full_name": "Meera Rao",
            "phone": "+919876543210",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["email"] == "meera@example.com"
    assert body["user"]["role"] == "passenger"
    user = User.objects.get(email="meera@example.com")
    assert user.password.startswith("argon2$")
    assert user.phone == "+919876543210"
    assert not user.is_staff

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api_client.get(ME)
    assert me.status_code == 200
    assert me.json()["email"] == "meera@example.com"


def test_register_with_bad_input_gives_400_in_error_shape_and_writes_nothing(api_client):
    response = api_client.post(
        REGISTER, {"email": "not-an-email", "password": "123", "full_name": ""}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"email", "full_name"}
    assert User.objects.count() == 0


def test_register_refuses_weak_password_and_bad_phone_with_field_messages(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "a@example.com", "password": "12345678", "full_name": "A B", "phone": "98765"},
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"password", "phone"}
    assert fields["phone"] == [
        "Enter a valid phone number, e.g. +91 81234 56789 (a number in India may leave out +91)."
    ]
    assert User.objects.count() == 0


def test_register_refuses_an_email_already_taken_in_any_case(api_client):
    UserFactory(email="taken@example.com")

    response = api_client.post(
        REGISTER,
        {"email": "TAKEN@example.com", "password": "a-long-travel-pass", "full_name": "X Y"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "email": ["An account with this email address already exists."]
    }
    assert User.objects.count() == 1


def test_register_is_throttled_per_address(api_client):
    for n in range(10):
        ok = api_client.post(
            REGISTER,
            {"email": f"p{n}@example.com", "password": "a-long-travel-pass", "full_name": "P"},
        )
        assert ok.status_code == 201

    response = api_client.post(
        REGISTER, {"email": "p10@example.com", "password": "a-long-travel-pass", "full_name": "P"}
    )

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert User.objects.count() == 10


def test_token_obtain_and_refresh_then_call_an_authenticated_endpoint(api_client):
    user = UserFactory(email="ravi@example.com", role=Role.DRIVER)

    pair = api_client.post(TOKEN, {"email": "Ravi@example.com", "password": PASSWORD})
    assert pair.status_code == 200
    refreshed = api_client.post(REFRESH, {"refresh": pair.json()["refresh"]})
    assert refreshed.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    me = api_client.get(ME)

    assert me.status_code == 200
    assert me.json() == {
        "id": user.id,
        "email": "ravi@example.com",
        "full_name": user.full_name,
        "phone": "",
        "role": "driver",
        "language": "",
        "date_joined": me.json()["date_joined"],
    }


def test_authenticated_endpoint_without_token_gives_401_in_error_shape(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"]


def test_garbage_bearer_token_gives_401_in_error_shape(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_wrong_refresh_token_gives_401_in_error_shape(api_client):
    response = api_client.post(REFRESH, {"refresh": "nonsense"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_token_with_missing_fields_gives_400_in_error_shape(api_client):
    response = api_client.post(TOKEN, {"email": "x@example.com"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"password": ["This field is required."]}


@override_settings(TTMS_LOGIN_FAILURE_LIMIT=5)
def test_login_is_throttled_after_repeated_failures_even_with_the_right_password(api_client):
    UserFactory(email="target@example.com")
    for _ in range(5):
        wrong = api_client.post(TOKEN, {"email": "target@example.com", "password": "guess"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "no_active_account"

    blocked = api_client.post(TOKEN, {"email": "target@example.com", "password": PASSWORD})

    assert blocked.status_code == 429
    error = blocked.json()["error"]
    assert error["code"] == "throttled"
    assert 0 < error["retry_after"] <= 15 * 60
    assert int(blocked["Retry-After"]) == error["retry_after"]


@override_settings(TTMS_LOGIN_FAILURE_LIMIT=3)
def test_failures_for_one_account_do_not_block_another_from_a_different_address(api_client):
    UserFactory(email="target@example.com")
    UserFactory(email="other@example.com")
    for _ in range(3):
        api_client.post(
            TOKEN, {"email": "target@example.com", "password": "guess"}, REMOTE_ADDR="10.0.0.1"
        )

    other = api_client.post(
        TOKEN, {"email": "other@example.com", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    target = api_client.post(
        TOKEN, {"email": "target@example.com", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )

    assert other.status_code == 200
    assert target.status_code == 429


@override_settings(TTMS_LOGIN_FAILURE_LIMIT=3)
def test_a_successful_login_clears_the_account_counter(api_client):
    UserFactory(email="typo@example.com")
    for address in ("10.0.0.1", "10.0.0.2"):
        api_client.post(
            TOKEN, {"email": "typo@example.com", "password": "guess"}, REMOTE_ADDR=address
        )
    assert (
        api_client.post(
            TOKEN, {"email": "typo@example.com", "password": PASSWORD}, REMOTE_ADDR="10.0.0.3"
        ).status_code
        == 200
    )

    for address in ("10.0.0.4", "10.0.0.5"):
        api_client.post(
            TOKEN, {"email": "typo@example.com", "password": "guess"}, REMOTE_ADDR=address
        )
    after = api_client.post(
        TOKEN, {"email": "typo@example.com", "password": PASSWORD}, REMOTE_ADDR="10.0.0.6"
    )

    assert after.status_code == 200
