"""Calls of the booking API as a passenger's app makes them: signed in with a bearer token, a
booking of ST1→ST3 in SL under a fresh idempotency key, and passengers to book."""

import uuid

from rest_framework_simplejwt.tokens import RefreshToken


def _client(api_client, user):
    token = RefreshToken.for_user(user).access_token
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


def _book(client, trip, passengers, *, key=None, **extra):
    body = {
        "trip": trip.pk,
        "from": "ST1",
        "to": "ST3",
        "class": "SL",
        "passengers": passengers,
        **extra,
    }
    return client.post(
        "/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())
    )


def _people(n, **fields):
    return [{"name": f"P{i}", "age": 30, "gender": "M", **fields} for i in range(n)]
