"""The trip cancellation tests' amounts and readings: the holders' funds, the fare of a whole
ride, the operator's reason, a wallet's balance and a PNR's passengers' statuses."""

from payments.models import Account

from ...models import Passenger

FUNDS = 10_000_000
FARE = 20_000  # 200 km of STANDARD at 100 paise a km
REASON = "Landslide near Station ST2"


def balance(user) -> int:
    return Account.objects.get(user=user, kind="wallet").balance


def statuses(pnr) -> list[str]:
    return list(
        Passenger.objects.filter(pnr=pnr).order_by("index").values_list("status", flat=True)
    )
