import pytest
from django.core.exceptions import ValidationError

from ttms.accounts.demo import DEMO_USERS, demo_load
from ttms.accounts.models import Role, User
from ttms.accounts.services import user_create, user_update

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "is_staff"),
    [
        (Role.PASSENGER, False),
        (Role.DRIVER, False),
        (Role.AGENT, False),
        (Role.COMPANY_ADMIN, True),
        (Role.SCHEDULER, True),
        (Role.PLATFORM_ADMIN, True),
    ],
)
def test_user_create_gives_admin_access_to_staff_roles_only(role, is_staff):
    user = user_create(
        email="x@example.com", password="a-long-travel-pass", full_name="X", role=role
    )

    assert user.role == role
    assert user.is_staff is is_staff
    assert user.is_superuser is (role == Role.PLATFORM_ADMIN)


def test_user_create_refuses_unknown_role():
    with pytest.raises(ValidationError) as exc:
        user_create(
            email="x@example.com", password="a-long-travel-pass", full_name="X", role="conductor"
        )

    assert "role" in exc.value.message_dict
    assert User.objects.count() == 0


def test_demo_load_is_idempotent():
    first = demo_load(password="a-long-demo-pass")
    second = demo_load(password="a-long-demo-pass")

    assert sum("created" in line for line in first) == len(DEMO_USERS)
    assert all(line.endswith(": exists") for line in second)
    assert sorted(User.objects.values_list("role", flat=True)) == sorted(
        role for _, _, role in DEMO_USERS
    )


def test_user_update_strips_and_saves_name_and_phone():
    user = UserFactory(full_name="Sam Iyer", phone="")

    returned = user_update(user=user, full_name=" Samira Iyer ", phone=" +14155550123 ")

    assert returned is user
    user.refresh_from_db()
    assert (user.full_name, user.phone) == ("Samira Iyer", "+14155550123")


def test_user_update_refuses_bad_values_and_leaves_the_user_untouched():
    user = UserFactory(full_name="Sam Iyer", phone="+919876543210")

    with pytest.raises(ValidationError) as exc:
        user_update(user=user, full_name="   ", phone="020 79")

    assert exc.value.message_dict == {
        "full_name": ["This field cannot be blank."],
        "phone": [
            "Enter a valid phone number, e.g. +91 81234 56789 (a number in India may "
            "leave out +91)."
        ],
    }
    assert (user.full_name, user.phone) == ("Sam Iyer", "+919876543210")
    user.refresh_from_db()
    assert (user.full_name, user.phone) == ("Sam Iyer", "+919876543210")
