"""The data the benchmarks book on, built through the project's own services (fleet's station,
route and vehicle services, the ledger's top-up path), never through the test suite's
factories: a benchmark measures what an operator's setup gives, and stays apart from the
tests.

Not a benchmark itself: `python -m bench` skips modules whose name starts with an
underscore. Call these after `django.setup()`.
"""

import uuid
from datetime import datetime, timedelta

# Kinds of fleet.layouts a class's coaches are built from.
LAYOUTS = {"SL": "SL", "3A": "3A", "2A": "2A48", "1A": "1A", "CC": "CC"}
MINUTES_PER_LEG = 65  # an hour's run and a five-minute halt at each stop
KM_PER_LEG = 100


def rail_company(*, name: str, slug: str, quota_distribution: dict | None = None):
    """A rail operator with the railway's defaults (tiered refunds, the default quota
    distribution unless `quota_distribution` says otherwise: {} earmarks only RAC berths);
    created once, found again by its slug."""
    from fleet.models import Company

    defaults = {"name": name, "kind": Company.Kind.RAIL, "time_zone": "Asia/Kolkata"}
    if quota_distribution is not None:
        defaults["quota_distribution"] = quota_distribution
    company, _ = Company.objects.get_or_create(slug=slug, defaults=defaults)
    return company


def rail_trip(
    *,
    company,
    coaches: tuple[tuple[str, str], ...],
    stops: int,
    departure: datetime,
    code_prefix: str,
):
    """A trip leaving at `departure` on a new route of `stops` stations (codes
    `code_prefix`1, 2, ...), KM_PER_LEG apart, MINUTES_PER_LEG between departures, by a new
    rake of `coaches` (code, class code) of the standard layouts. Returns the Trip."""
    from fleet.models import Trip
    from fleet.services import (
        route_create,
        standard_layout,
        station_upsert,
        travel_class_standard,
        vehicle_create,
    )

    stations = [
        station_upsert(
            code=f"{code_prefix}{i}",
            name=f"Station {code_prefix}{i}",
            time_zone="Asia/Kolkata",
            latitude=20.0 + i / 10,
            longitude=78.0,
        )
        for i in range(1, stops + 1)
    ]
    route = route_create(
        company=company,
        code=f"R-{code_prefix}",
        number=code_prefix[:20],
        name=f"{stations[0].name} - {stations[-1].name}",
        departure_times=departure.strftime("%H:%M"),
        stops=[
            (
                station,
                i * KM_PER_LEG,
                None if i == 0 else i * MINUTES_PER_LEG - 5,
                None if i == stops - 1 else i * MINUTES_PER_LEG,
            )
            for i, station in enumerate(stations)
        ],
    )
    vehicle = vehicle_create(
        company=company,
        code=f"RAKE-{code_prefix}",
        kind="train",
        coaches=[
            (code, travel_class_standard(code=cls), standard_layout(kind=LAYOUTS[cls]))
            for code, cls in coaches
        ],
    )
    return Trip.objects.create(
        route=route,
        service_date=departure.date(),
        departure_at=departure,
        arrival_at=departure + timedelta(minutes=(stops - 1) * MINUTES_PER_LEG),
        vehicle=vehicle,
    )


def wallet_fund(*, user, amount: int) -> None:
    """Credit `user`'s wallet through the ledger's top-up path: a sandbox payment that the
    provider's event (applied as a verified webhook would be) marks succeeded."""
    from payments.models import Payment
    from payments.topups.providers.base import SUCCEEDED, ProviderEvent
    from payments.topups.webhooks import provider_event_apply
    from ttms import money

    payment = Payment.objects.create(
        user=user, provider="sandbox", amount=amount, currency=money.default_currency()
    )
    provider_event_apply(
        provider="sandbox",
        event=ProviderEvent(
            event_id=f"evt_{uuid.uuid4().hex}",
            event_type="payment.succeeded",
            status=SUCCEEDED,
            payment_id=str(payment.pk),
            amount=amount,
            currency=payment.currency,
        ),
    )


def passengers(count: int, *, prefix: str) -> list:
    """`count` users who can book (passwords unusable: nobody signs in), in one insert."""
    from django.contrib.auth.hashers import make_password

    from ttms.accounts.models import Role, User

    unusable = make_password(None)
    return User.objects.bulk_create(
        [
            User(
                email=f"{prefix}-{i}@bench.invalid",
                full_name=f"Bench Passenger {prefix} {i}",
                password=unusable,
                role=Role.PASSENGER,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
