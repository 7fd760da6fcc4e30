import functools

import factory
from django.contrib.auth.hashers import make_password

from ttms.accounts.models import Role, User

PASSWORD = "correct-horse-battery"


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once.
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.PASSENGER
    password = factory.LazyFunction(_password_hash)
