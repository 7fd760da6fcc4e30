"""A month of Konkan Rail's sales in its time zone (Asia/Kolkata), for the settlement run
tests: each moment is placed with time-machine, so the transactions carry it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from fleet.models import CompanyMembership
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from ..ledger.refunds import booking_refund
from ..ledger.sales import booking_charge, cash_sale
from .factories import CompanyFactory, PassengerFactory, fund_wallet

KOLKATA = ZoneInfo("Asia/Kolkata")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0):
    """time-machine stopped at that local moment in Kolkata."""
    return time_machine.travel(datetime(year, month, day, hour, minute, tzinfo=KOLKATA), tick=False)


def staff_of(company, role=Role.COMPANY_ADMIN):
    user = UserFactory(role=role, is_staff=role in (Role.COMPANY_ADMIN, Role.SCHEDULER))
    CompanyMembership.objects.create(user=user, company=company, role=role)
    return user


def platform_admin():
    return UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)


def march_ledger(company, agent):
    """Konkan Rail (5 %) in March 2026, Kolkata days:

    - 5 March: wallet sales of ₹100.00 (A1) and ₹50.01 (A2), a cash sale of ₹20.00 (A3);
    - 6 March: half of A1 refunded (₹50.00);
    - 31 March 23:30: a wallet sale of ₹40.00 (A4), still March in Kolkata (18:00 UTC);
    - 1 April 00:10: a wallet sale of ₹30.00 (A5), April in Kolkata (31 March in UTC);
    - 5 March: a sale of ₹30.00 by Deccan Bus, another company.

    March: sales 21 001 (4), refunds 5 000 (1), commission 850 − 250 + 200 = 800, net
    15 201. April 1: sales 3 000, commission 150, net 2 850.
    """
    passenger = PassengerFactory()
    other = CompanyFactory(name="Deccan Bus", slug="deccan")
    with at(2026, 3, 1):
        fund_wallet(passenger, 100_000)
    with at(2026, 3, 5):
        for reference, amount in (("A1", 10_000), ("A2", 5_001)):
            booking_charge(
                wallet_owner=passenger,
                company=company,
                amount=amount,
                reference_type="pnr",
                reference_id=reference,
            )
        cash_sale(
            agent=agent, company=company, amount=2_000, reference_type="pnr", reference_id="A3"
        )
        booking_charge(
            wallet_owner=passenger,
            company=other,
            amount=3_000,
            reference_type="pnr",
            reference_id="B1",
        )
    with at(2026, 3, 6):
        booking_refund(reference_type="pnr", reference_id="A1", amount=5_000)
    with at(2026, 3, 31, 23, 30):
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=4_000,
            reference_type="pnr",
            reference_id="A4",
        )
    with at(2026, 4, 1, 0, 10):
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=3_000,
            reference_type="pnr",
            reference_id="A5",
        )
    return {"company": company, "other": other, "passenger": passenger}
