"""The ledger in the admin: read-only for everyone (money moves only through services).

Company staff see their companies' revenue accounts, the entries on them and the
transactions those belong to; platform admins see everything, including wallets, payments,
webhook events and idempotency records. The settlement report (per company and period, as
a page and as CSV) hangs off the accounts list.
"""

import csv
from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fleet.admin_display import LocalDayFilter, in_zone
from fleet.admin_scoping import CompanyListFilter, ReadOnlyInlineMixin, ReadOnlyScopedAdmin
from fleet.selectors import companies_for_user
from ttms import money

from .ledger import selectors
from .models import Account, Entry, IdempotencyRecord, Payment, Transaction, WebhookEvent


class LedgerReadOnlyAdmin(ReadOnlyScopedAdmin):
    """Read-only, scoped like every operator-facing admin by the model's `company_path`.

    Models without a `company_path` (payments, webhook events, idempotency records) are for
    platform admins only.
    """

    def _platform_only(self) -> bool:
        return not hasattr(self.model, "company_path")

    def get_queryset(self, request):
        if self._platform_only() and not self._scope(request).is_platform:
            return self.model._default_manager.none()
        # Transactions reach their company through several entries.
        return super().get_queryset(request).distinct()

    def has_module_permission(self, request):
        return super().has_module_permission(request) and (
            self._scope(request).is_platform or not self._platform_only()
        )

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and self._can_see(request, obj)


def _money(amount: int, currency: str) -> str:
    return money.format_money(amount, currency)


# Ledger rows happen in their company's zone; rows of the platform's own accounts (wallets,
# commission, clearing) have no operator, hence UTC, named so.
LEDGER_TIME_HEADER = gettext_lazy("when (company's local time; UTC for platform accounts)")


def _company_zone_of_transaction():
    """The time zone of the first company a transaction's entries touch (none for a
    transaction between platform accounts only), as a subquery to annotate with."""
    return Subquery(
        Entry.objects.filter(transaction=OuterRef("pk"), account__company__isnull=False)
        .order_by("pk")
        .values("account__company__time_zone")[:1]
    )


class AccountCreatedDayFilter(LocalDayFilter):
    title = gettext_lazy("opened on (company's local time; UTC for platform accounts)")
    parameter_name = "opened_day"
    moment_field = "created_at"
    zone_field = "company__time_zone"


class TransactionDayFilter(LocalDayFilter):
    """The day of a transaction, in the zone of a company whose account it touches (UTC
    when it touches platform accounts only)."""

    title = gettext_lazy("day (company's local time; UTC for platform accounts)")
    parameter_name = "day"
    moment_field = "created_at"
    zone_field = "entries__account__company__time_zone"


class EntryDayFilter(LocalDayFilter):
    title = gettext_lazy("day (company's local time; UTC for platform accounts)")
    parameter_name = "day"
    moment_field = "transaction__created_at"
    zone_field = "account__company__time_zone"


class EntryInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Entry
    fields = ["account", "amount", "amount_display"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("amount, in its currency"))
    def amount_display(self, entry: Entry) -> str:
        return _money(entry.amount, entry.account.currency)


@admin.register(Account)
class AccountAdmin(LedgerReadOnlyAdmin):
    list_display = ["id", "kind", "owner", "currency", "balance_display", "created_local"]
    list_filter = ["kind", "currency", CompanyListFilter, AccountCreatedDayFilter]
    list_select_related = ["user", "company"]
    search_fields = ["user__email", "user__full_name", "user__phone", "company__name"]
    search_help_text = gettext_lazy("The holder's email, name or phone, or the company's name.")
    # One balance, as money in the account's currency: the stored `balance` column is zero
    # for insert-only accounts and would read as a second, contradictory figure.
    fields = ["kind", "currency", "user", "company", "balance_display", "created_local"]
    readonly_fields = fields
    change_list_template = "admin/payments/account/change_list.html"

    @admin.display(description=gettext_lazy("owner"))
    def owner(self, account: Account) -> str:
        return str(account.user or account.company or _("platform"))

    @admin.display(description=LEDGER_TIME_HEADER, ordering="created_at")
    def created_local(self, account: Account) -> str:
        return in_zone(account.created_at, account.company.time_zone if account.company else None)

    def get_queryset(self, request):
        entries_total = (
            Entry.objects.filter(account=OuterRef("pk"))
            .order_by()
            .values("account")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(entries_total_value=Coalesce(Subquery(entries_total), Value(0)))
        )

    @admin.display(description=gettext_lazy("balance"))
    def balance_display(self, account: Account) -> str:
        """The balance in the account's currency: kept on the row for wallets and drawers,
        the sum of entries (from the account's side) for insert-only accounts."""
        if account.keeps_balance:
            return _money(account.balance, account.currency)
        total = getattr(account, "entries_total_value", None)
        if total is None:
            total = selectors.account_entries_sum(account=account)
        return _money(total * account.normal_sign, account.currency)

    def get_urls(self):
        return [
            path(
                "settlement/",
                self.admin_site.admin_view(self.settlement_view),
                name="payments_settlement",
            ),
            *super().get_urls(),
        ]

    def settlement_view(self, request):
        """Sales, refunds, commission and net per company and period; `?format=csv`."""
        if not self.has_module_permission(request):
            raise PermissionDenied
        form = SettlementForm(request.GET or None, companies=companies_for_user(request.user))
        reports, status = [], 200
        if form.is_bound and not form.is_valid():
            status = 400
        elif form.is_bound:
            company = form.cleaned_data["company"]
            companies = (
                form.fields["company"].queryset.filter(pk=company.pk)
                if company
                else form.fields["company"].queryset
            )
            reports = selectors.settlements(
                companies=companies, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
            )
            if request.GET.get("format") == "csv":
                return _settlement_csv(
                    reports, form.cleaned_data["start"], form.cleaned_data["end"]
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Settlement report"),
            "opts": self.model._meta,
            "form": form,
            "reports": reports,
            "commission_totals": selectors.commission_by_currency(reports),
            "csv_query": request.GET.urlencode() + "&format=csv" if reports else "",
            "changelist_url": reverse("admin:payments_account_changelist"),
        }
        return TemplateResponse(
            request, "admin/payments/settlement_report.html", context, status=status
        )


def _settlement_csv(reports, start: date, end: date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="settlement-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(selectors.Settlement.CSV_HEADER)
    for report in reports:
        writer.writerow(report.csv_row())
    return response


# The days a report may cover: every day of the ledger, with room to spare, and far enough
# from date.min and date.max that a day's bounds in any time zone are still a datetime.
SETTLEMENT_FIRST_DAY, SETTLEMENT_LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


class SettlementForm(forms.Form):
    company = forms.ModelChoiceField(
        queryset=None, required=False, empty_label=gettext_lazy("All my companies")
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        today = timezone.localdate()
        self.fields["start"].initial = today.replace(day=1)
        self.fields["end"].initial = today

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            if data.get(name) and not SETTLEMENT_FIRST_DAY <= data[name] <= SETTLEMENT_LAST_DAY:
                self.add_error(
                    name,
                    _("Choose a day between %(first)s and %(last)s.")
                    % {
                        "first": formats.date_format(SETTLEMENT_FIRST_DAY, "j F Y"),
                        "last": formats.date_format(SETTLEMENT_LAST_DAY, "j F Y"),
                    },
                )
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period starts after it ends."))
        return data


@admin.register(Transaction)
class TransactionAdmin(LedgerReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "reference_type",
        "reference_id",
        "currency",
        "created_by",
        "created_local",
    ]
    list_filter = ["kind", "currency", TransactionDayFilter, CompanyListFilter]
    list_select_related = ["created_by"]
    search_fields = ["reference_id", "description", "created_by__email"]
    search_help_text = gettext_lazy(
        "The reference (a PNR number, a payment id), the description, or who made it."
    )
    fields = [
        "kind",
        "currency",
        "reference_type",
        "reference_id",
        "description",
        "created_by",
        "idempotency_record",
        "created_local",
    ]
    readonly_fields = fields
    inlines = [EntryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(company_zone=_company_zone_of_transaction())

    @admin.display(description=LEDGER_TIME_HEADER, ordering="created_at")
    def created_local(self, transaction: Transaction) -> str:
        return in_zone(transaction.created_at, transaction.company_zone)


@admin.register(Entry)
class EntryAdmin(LedgerReadOnlyAdmin):
    list_display = ["id", "transaction", "account", "amount_display", "when"]
    list_filter = ["account__kind", "transaction__kind", EntryDayFilter, CompanyListFilter]
    list_select_related = ["transaction", "account", "account__user", "account__company"]
    search_fields = ["transaction__reference_id", "account__user__email"]
    search_help_text = gettext_lazy("The transaction's reference, or the account holder's email.")
    fields = ["transaction", "account", "amount_display", "when"]
    readonly_fields = fields

    @admin.display(description=LEDGER_TIME_HEADER, ordering="transaction__created_at")
    def when(self, entry: Entry) -> str:
        company = entry.account.company
        return in_zone(entry.transaction.created_at, company.time_zone if company else None)

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, entry: Entry) -> str:
        return f"{'+' if entry.amount > 0 else ''}{_money(entry.amount, entry.account.currency)}"


def _utc_column(field: str, label):
    """A column of `field` in UTC, named so: payments, provider webhooks and idempotency
    records belong to the platform, which keeps its own clock in UTC."""

    @admin.display(description=label, ordering=field)
    def column(self, obj) -> str:
        moment = getattr(obj, field)
        return in_zone(moment, None) if moment else "—"

    return column


@admin.register(Payment)
class PaymentAdmin(LedgerReadOnlyAdmin):
    list_display = [
        "id",
        "user",
        "provider",
        "amount_display",
        "status",
        "created_utc",
        "completed_utc",
    ]
    list_filter = ["provider", "status", "currency"]
    list_select_related = ["user"]
    search_fields = ["id", "user__email", "provider_reference"]
    readonly_fields = [
        *(f.name for f in Payment._meta.fields if f.name not in ("created_at", "completed_at")),
        "amount_display",
        "created_utc",
        "completed_utc",
    ]

    created_utc = _utc_column("created_at", gettext_lazy("created (UTC)"))
    completed_utc = _utc_column("completed_at", gettext_lazy("completed (UTC)"))

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return _money(payment.amount, payment.currency)


@admin.register(WebhookEvent)
class WebhookEventAdmin(LedgerReadOnlyAdmin):
    list_display = ["event_id", "provider", "event_type", "outcome", "payment", "received_utc"]
    list_filter = ["provider", "outcome"]
    search_fields = ["event_id"]
    readonly_fields = [
        *(f.name for f in WebhookEvent._meta.fields if f.name != "received_at"),
        "received_utc",
    ]

    received_utc = _utc_column("received_at", gettext_lazy("received (UTC)"))


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(LedgerReadOnlyAdmin):
    list_display = ["key", "scope", "user", "response_status", "created_utc", "expires_utc"]
    list_filter = ["scope", "response_status"]
    list_select_related = ["user"]
    search_fields = ["key", "user__email"]
    readonly_fields = [
        *(
            f.name
            for f in IdempotencyRecord._meta.fields
            if f.name not in ("created_at", "expires_at")
        ),
        "created_utc",
        "expires_utc",
    ]

    created_utc = _utc_column("created_at", gettext_lazy("created (UTC)"))
    expires_utc = _utc_column("expires_at", gettext_lazy("expires (UTC)"))
