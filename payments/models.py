"""The ledger (Account, Transaction, Entry) and what feeds it (Payment, WebhookEvent,
IdempotencyRecord).

Amounts are integers of the currency's minor unit. An entry's amount is signed: positive
credits the account (the platform owes its holder more, or has earned more), negative
debits it. The entries of a transaction sum to zero.
"""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleet.models import Company


def _default_currency() -> str:
    return settings.TTMS_CURRENCY


class Account(models.Model):
    """A ledger account. Wallets and drawers keep their balance on the row (for the
    overdraft check under a row lock); the other kinds are insert-only: their balance is the
    sum of their entries, so a rush of bookings never queues on one hot row."""

    # The lookup to the owning Company, for company-scoped admin (fleet.admin_scoping).
    company_path = "company"

    class Kind(models.TextChoices):
        WALLET = "wallet", _("Passenger wallet")
        DRAWER = "drawer", _("Agent cash drawer")
        REVENUE = "revenue", _("Company revenue")
        COMMISSION = "commission", _("Platform commission")
        PROVIDER_CLEARING = "provider_clearing", _("Payment provider clearing")
        PAYOUT_CLEARING = "payout_clearing", _("Company payouts")
        # The cash a company's office holds: shift floats go out of it into agents'
        # drawers, shift takings come back into it (insert-only, debit-normal like a drawer).
        COMPANY_CASH = "company_cash", _("Company cash office")

    # Kinds whose balance is kept on the row and must never be negative.
    BALANCE_KINDS = (Kind.WALLET, Kind.DRAWER)
    # Kinds of which there is one account per currency.
    SINGLETON_KINDS = (Kind.COMMISSION, Kind.PROVIDER_CLEARING, Kind.PAYOUT_CLEARING)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3, default=_default_currency)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    # Wallets: credits minus debits (what the passenger may spend). Drawers: debits minus
    # credits (the cash the agent holds). Zero for insert-only kinds.
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="payments_account_owner_matches_kind",
                condition=(
                    Q(kind__in=["wallet", "drawer"], user__isnull=False, company__isnull=True)
                    | Q(
                        kind__in=["revenue", "company_cash"],
                        user__isnull=True,
                        company__isnull=False,
                    )
                    | Q(
                        kind__in=["commission", "provider_clearing", "payout_clearing"],
                        user__isnull=True,
                        company__isnull=True,
                    )
                ),
            ),
            models.CheckConstraint(
                name="payments_account_balance_never_negative",
                condition=Q(kind__in=["wallet", "drawer"], balance__gte=0)
                | (~Q(kind__in=["wallet", "drawer"]) & Q(balance=0)),
            ),
            models.UniqueConstraint(
                fields=["kind", "user", "currency"],
                condition=Q(user__isnull=False),
                name="payments_account_one_per_user_kind_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "company", "currency"],
                condition=Q(company__isnull=False),
                name="payments_account_one_per_company_kind_currency",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(kind__in=["commission", "provider_clearing", "payout_clearing"]),
                name="payments_account_singleton_per_currency",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user or self.company or "platform"
        return f"{self.get_kind_display()} · {owner} · {self.currency}"

    @property
    def keeps_balance(self) -> bool:
        return self.kind in self.BALANCE_KINDS

    @property
    def normal_sign(self) -> int:
        """+1 when the balance is credits minus debits, -1 when debits minus credits.

        A drawer or a company's cash office holds cash (an asset, debit-normal); every other
        kind is something the platform owes or has earned (credit-normal).
        """
        return -1 if self.kind in (self.Kind.DRAWER, self.Kind.COMPANY_CASH) else 1


class Transaction(models.Model):
    """One movement of money: its entries sum to zero and are written together."""

    company_path = "entries__account__company"

    class Kind(models.TextChoices):
        TOPUP = "topup", _("Wallet top-up")
        BOOKING_CHARGE = "booking_charge", _("Booking charge")
        BOOKING_REFUND = "booking_refund", _("Booking refund")
        CASH_SALE = "cash_sale", _("Cash sale")
        CASH_REFUND = "cash_refund", _("Cash refund")
        PAYOUT = "payout", _("Company payout")
        CASH_FLOAT = "cash_float", _("Cash float to a drawer")
        CASH_HANDOVER = "cash_handover", _("Cash handed over from a drawer")

    SALE_KINDS = (Kind.BOOKING_CHARGE, Kind.CASH_SALE)
    REFUND_KINDS = (Kind.BOOKING_REFUND, Kind.CASH_REFUND)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3, default=_default_currency)
    # What caused it, as the caller names it: ("payment", <uuid>), ("pnr", "4521987630"), ...
    reference_type = models.CharField(max_length=40)
    reference_id = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_record = models.OneToOneField(
        "IdempotencyRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ledger_transaction",
        help_text=_("The API request that moved this money (kept 24 h)."),
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(
                fields=["reference_type", "reference_id"], name="payments_txn_reference_idx"
            ),
        ]
        constraints = [
            # A payment credits a wallet once; a payout is recorded once.
            models.UniqueConstraint(
                fields=["kind", "reference_type", "reference_id"],
                condition=Q(kind__in=["topup", "payout"]),
                name="payments_txn_topup_payout_once",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.reference_type}:{self.reference_id}"


class Entry(models.Model):
    """One leg of a transaction: a signed amount on one account (positive credits it)."""

    company_path = "account__company"

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = _("entries")
        indexes = [models.Index(fields=["account", "-id"], name="payments_entry_account_idx")]
        constraints = [
            models.CheckConstraint(name="payments_entry_amount_not_zero", condition=~Q(amount=0)),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} on {self.account}"


class IdempotencyRecord(models.Model):
    """The first response to a money-moving request, kept so a retry gets it again.

    Written in the same database transaction as the money the request moved; expired
    (deleted) 24 h after creation by a periodic task.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and canonical body: "the same request".
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"],
                name="payments_idempotency_key_unique_per_user_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} ({self.user_id})"


class Payment(models.Model):
    """Money coming in through a payment provider (a wallet top-up)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    FINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED)

    class FailureCode(models.TextChoices):
        """Who ended a failed payment: the provider, or TTMS without word from it."""

        DECLINED = "declined", _("Declined")
        REFUSED = "refused", _("Refused by the provider")
        NOT_RECEIVED = "not_received", _("Never reached the provider")
        EXPIRED = "expired", _("Expired")
        DISMISSED = "dismissed", _("Dismissed")

    # Failures TTMS decided alone: the payer may still have paid at the provider, so a
    # success the provider reports later is credited (never lost).
    GAVE_UP_CODES = (FailureCode.NOT_RECEIVED, FailureCode.EXPIRED, FailureCode.DISMISSED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(max_length=32)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default=_default_currency)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The provider's id for this payment (for the mobile-money API: the X-Reference-Id).
    provider_reference = models.CharField(max_length=64, blank=True)
    # Who pays at the provider, e.g. a mobile-money phone number.
    payer = models.CharField(max_length=32, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    failure_code = models.CharField(max_length=12, choices=FailureCode.choices, blank=True)
    request_attempts = models.PositiveSmallIntegerField(default=0)
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    idempotency_record = models.OneToOneField(
        IdempotencyRecord,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payment",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["status", "provider", "created_at"], name="payments_payment_pending_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                name="payments_payment_amount_positive", condition=Q(amount__gt=0)
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="payments_payment_provider_reference_unique",
            ),
            models.CheckConstraint(
                name="payments_payment_succeeded_has_transaction",
                condition=~Q(status="succeeded") | Q(transaction__isnull=False),
            ),
            models.CheckConstraint(
                name="payments_payment_failure_code_iff_failed",
                condition=(Q(status="failed") & ~Q(failure_code=""))
                | (~Q(status="failed") & Q(failure_code="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.currency} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES


class WebhookEvent(models.Model):
    """A provider callback, recorded once per (provider, event id) in the same transaction
    that applies it, so a redelivery is recognised and applied no second time."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        IGNORED = "ignored", _("Ignored (stale or already final)")
        REJECTED = "rejected", _("Rejected (does not match the payment)")

    provider = models.CharField(max_length=32)
    # The provider's id, whole: its length is the provider's business.
    event_id = models.TextField()
    # SHA-256 (hex) of event_id: the fixed-size key an event is recognised by.
    event_key = models.CharField(max_length=64, editable=False)
    event_type = models.CharField(max_length=40)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="webhook_events"
    )
    payload = models.JSONField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_key"], name="payments_webhook_event_key_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.event_type} ({self.outcome})"

    @staticmethod
    def key_for(event_id: str) -> str:
        """The event_key of a provider's event id."""
        return hashlib.sha256(event_id.encode()).hexdigest()


class SettlementRun(models.Model):
    """What a company earned over a closed period of its local days, frozen when the run
    was made, and the payout that paid it.

    Runs of one company never overlap (the service checks it under the revenue account's
    lock; the database refuses two runs starting the same day). `brought_forward` is what
    earlier runs left unpaid (negative: the company owed the platform); the payout is the
    net plus that, never below zero nor above the revenue account's balance, and what it
    could not pay is carried to the next run.
    """

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="settlement_runs")
    # Local dates of the company's time zone, both included.
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3)
    time_zone = models.CharField(max_length=64)
    sales = models.BigIntegerField()
    sales_count = models.PositiveIntegerField()
    refunds = models.BigIntegerField()
    refunds_count = models.PositiveIntegerField()
    commission = models.BigIntegerField()
    # The company's commission rate when the run was made, in basis points (500 = 5 %).
    rate_bp = models.PositiveIntegerField()
    net = models.BigIntegerField()
    brought_forward = models.BigIntegerField(default=0)
    payout_amount = models.BigIntegerField(default=0)
    payout = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlement_run",
    )
    # One line per local day with money: {"day", "sales", "sales_count", "refunds",
    # "refunds_count", "commission", "net"}, amounts in minor units.
    days = models.JSONField(default=list)
    reference = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "company_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "period_start"], name="payments_settlement_run_start_once"
            ),
            models.CheckConstraint(
                name="payments_settlement_run_period_ordered",
                condition=Q(period_end__gte=models.F("period_start")),
            ),
            models.CheckConstraint(
                name="payments_settlement_run_payout_not_negative",
                condition=Q(payout_amount__gte=0),
            ),
            models.CheckConstraint(
                name="payments_settlement_run_payout_iff_amount",
                condition=Q(payout__isnull=True, payout_amount=0)
                | Q(payout__isnull=False, payout_amount__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def payable(self) -> int:
        """The net plus what earlier runs left unpaid."""
        return self.net + self.brought_forward

    @property
    def carried_forward(self) -> int:
        """What this run left unpaid (negative: what the company owes), for the next run."""
        return self.payable - self.payout_amount
