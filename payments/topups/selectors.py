"""Reads of top-ups: a user's payments, those waiting or stopped, the overdue ones."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fleet.models import Company
from ttms import money
from ttms.accounts.models import User

from ..models import Payment


def payment_get_for_user(*, payment_id, user: User) -> Payment:
    """The user's own payment; anyone else's (or an unknown id) is a 404."""
    try:
        return Payment.objects.get(pk=payment_id, user=user)
    except (Payment.DoesNotExist, ValidationError) as exc:  # a malformed id: ValidationError
        raise Http404(_("No such payment.")) from exc


def payments_for_user(*, user: User) -> QuerySet[Payment]:
    return Payment.objects.filter(user=user).order_by("-created_at")


# How long the wallet page keeps showing a top-up that stopped without money.
TOPUP_STOPPED_SHOWN_FOR = timedelta(days=7)


def payments_pending_cutoff(*, now: datetime | None = None) -> datetime:
    """Payments still pending that were created before this are overdue: abandoned."""
    return (now or timezone.now()) - timedelta(hours=settings.TTMS_PAYMENT_PENDING_HOURS)


def payments_overdue(*, now: datetime | None = None) -> QuerySet[Payment]:
    """Pending payments past TTMS_PAYMENT_PENDING_HOURS, which the expiry task fails."""
    return Payment.objects.filter(
        status=Payment.Status.PENDING, created_at__lt=payments_pending_cutoff(now=now)
    )


def topups_waiting_for_user(*, user: User, now: datetime | None = None) -> QuerySet[Payment]:
    """The user's top-ups still waiting for payment (pending, not overdue), newest first."""
    return payments_for_user(user=user).filter(
        status=Payment.Status.PENDING, created_at__gte=payments_pending_cutoff(now=now)
    )


def topups_stopped_for_user(*, user: User, now: datetime | None = None) -> QuerySet[Payment]:
    """The user's recent top-ups that ended without money, newest first: failed ones, and
    overdue ones the expiry task has not reached yet (shown as expired: a page never waits
    for the beat, which the embedded mode does not run)."""
    now = now or timezone.now()
    return payments_for_user(user=user).filter(
        Q(status=Payment.Status.FAILED)
        | Q(status=Payment.Status.PENDING, created_at__lt=payments_pending_cutoff(now=now)),
        created_at__gte=now - TOPUP_STOPPED_SHOWN_FOR,
    )


def topup_currencies() -> list[str]:
    """The currencies a wallet may be topped up in, sorted: those the active operators sell
    (a wallet of any other could never be spent), or the default currency while no
    operator is active yet."""
    sold = sorted(set(Company.objects.filter(is_active=True).values_list("currency", flat=True)))
    return sold or [money.default_currency()]
