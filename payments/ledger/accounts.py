"""The ledger's accounts: each created on first use, one per (kind, owner, currency).

A company's revenue is in its own currency (`Company.currency`); a passenger holds one
wallet per currency they have used, an agent one drawer per currency they have taken, and
the platform one commission and clearing account per currency.
"""

from django.db import IntegrityError
from django.utils.translation import gettext as _

from fleet.models import Company
from ttms import money
from ttms.accounts.models import Role, User

from ..exceptions import NotAnAgent
from ..locks import bounded_lock_wait
from ..models import Account

Kind = Account.Kind


def _account_get_or_create(
    *, kind: str, currency: str, user: User | None = None, company: Company | None = None
) -> Account:
    if not money.is_known_currency(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    lookup = {"kind": kind, "user": user, "company": company, "currency": currency}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        # A concurrent creator makes this insert wait on the unique index: bounded, too.
        with bounded_lock_wait():
            return Account.objects.create(**lookup)
    except IntegrityError:
        return Account.objects.get(**lookup)


def wallet_get_or_create(*, user: User, currency: str) -> Account:
    """The user's wallet in `currency`, created empty on first use."""
    return _account_get_or_create(kind=Kind.WALLET, user=user, currency=currency)


def drawer_get_or_create(*, agent: User, currency: str) -> Account:
    """The station agent's cash drawer in `currency`, created empty on first use. Raises
    NotAnAgent."""
    if agent.role != Role.AGENT:
        raise NotAnAgent(
            _("%(user)s is not a station agent, so holds no cash drawer.") % {"user": agent}
        )
    return _account_get_or_create(kind=Kind.DRAWER, user=agent, currency=currency)


def revenue_account_get_or_create(*, company: Company) -> Account:
    """The company's revenue account in its currency, created on first use."""
    return _account_get_or_create(kind=Kind.REVENUE, company=company, currency=company.currency)


def platform_account_get_or_create(*, kind: str, currency: str) -> Account:
    """The commission, provider clearing or payout clearing account of `currency`."""
    if kind not in Account.SINGLETON_KINDS:
        raise ValueError(f"{kind!r} is not a platform account kind")
    return _account_get_or_create(kind=kind, currency=currency)


def company_cash_account_get_or_create(*, company: Company) -> Account:
    """The company's cash office in its currency (where shift floats come from and shift
    takings go), created on first use."""
    return _account_get_or_create(
        kind=Kind.COMPANY_CASH, company=company, currency=company.currency
    )
