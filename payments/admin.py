"""The ledger in the admin: read-only for everyone (money moves only through services).

Company staff see their companies' revenue accounts, the entries on them and the
transactions those belong to; platform admins see everything, including wallets, payments,
webhook events and idempotency records. The settlement report (per company and period, as
a page and as CSV) hangs off the accounts list.

Settlement runs are made by platform admins; a company's admins read their own runs'
statements (page, CSV, PDF), and anyone else's are not found.
"""

import csv
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fleet.admin_display import LocalDayFilter, in_zone
from fleet.admin_scoping import CompanyListFilter, ReadOnlyInlineMixin, ReadOnlyScopedAdmin
from fleet.models import Company
from fleet.selectors import companies_for_user
from ttms import localtime, money
from ttms.accounts.models import Role

from . import statements
from .exceptions import Busy, PayoutNotAllowed, SettlementNotAllowed
from .ledger import selectors
from .ledger.settlements import settlement_run
from .models import (
    Account,
    Entry,
    IdempotencyRecord,
    Payment,
    SettlementRun,
    Transaction,
    WebhookEvent,
)


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
        *(
            f.name
            for f in Payment._meta.fields
            if f.name not in ("created_at", "completed_at", "updated_at")
        ),
        "amount_display",
        "created_utc",
        "updated_utc",
        "completed_utc",
    ]
    fields = readonly_fields

    created_utc = _utc_column("created_at", gettext_lazy("created (UTC)"))
    updated_utc = _utc_column("updated_at", gettext_lazy("updated (UTC)"))
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
    fields = readonly_fields

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
    fields = readonly_fields

    created_utc = _utc_column("created_at", gettext_lazy("created (UTC)"))
    expires_utc = _utc_column("expires_at", gettext_lazy("expires (UTC)"))


class SettlementRunForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.order_by("name"))
    period_start = forms.DateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("Last day"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        for name in ("period_start", "period_end"):
            if data.get(name) and not SETTLEMENT_FIRST_DAY <= data[name] <= SETTLEMENT_LAST_DAY:
                self.add_error(
                    name,
                    _("Choose a day between %(first)s and %(last)s.")
                    % {
                        "first": formats.date_format(SETTLEMENT_FIRST_DAY, "j F Y"),
                        "last": formats.date_format(SETTLEMENT_LAST_DAY, "j F Y"),
                    },
                )
        return data


@admin.register(SettlementRun)
class SettlementRunAdmin(ReadOnlyScopedAdmin):
    """The runs, each opening on its statement. Only a company's admins (not its
    schedulers, drivers or agents) read its runs; only platform admins make them."""

    editor_roles = frozenset({Role.COMPANY_ADMIN})
    list_display = [
        "reference",
        "company",
        "period",
        "net_display",
        "paid_display",
        "created_display",
    ]
    list_filter = [CompanyListFilter]
    list_select_related = ["company"]
    search_fields = ["reference", "company__name"]
    # Each run opens on its statement (change_view), never on a model form.
    exclude = ["created_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = self._scope(request)
        if scope.is_platform:
            return queryset
        return queryset.filter(company__in=scope.editable or set())

    def has_module_permission(self, request):
        if not self._is_staff(request):
            return False
        scope = self._scope(request)
        return scope.is_platform or bool(scope.editable)

    def has_view_permission(self, request, obj=None):
        if not self.has_module_permission(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request, obj=None):
        return self._is_staff(request) and self._scope(request).is_platform

    @admin.display(description=gettext_lazy("period"), ordering="period_start")
    def period(self, run: SettlementRun) -> str:
        return statements.period_text(run)

    @admin.display(description=gettext_lazy("net"))
    def net_display(self, run: SettlementRun) -> str:
        return _money(run.net, run.currency)

    @admin.display(description=gettext_lazy("paid out"))
    def paid_display(self, run: SettlementRun) -> str:
        return _money(run.payout_amount, run.currency)

    @admin.display(description=gettext_lazy("made at"), ordering="created_at")
    def created_display(self, run: SettlementRun) -> str:
        return localtime.local_datetime(run.created_at, run.time_zone)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/statement.csv",
                view(self.statement_csv_view),
                name="payments_settlementrun_csv",
            ),
            path(
                "<path:object_id>/statement.pdf",
                view(self.statement_pdf_view),
                name="payments_settlementrun_pdf",
            ),
            *super().get_urls(),
        ]

    def _run_for(self, request, object_id) -> SettlementRun:
        """The run, if the user may read it: PermissionDenied without statements at all,
        404 for a run that is not there or not theirs."""
        if not self.has_module_permission(request):
            raise PermissionDenied
        if not (str(object_id).isascii() and str(object_id).isdigit()):
            raise Http404
        run = (
            self.get_queryset(request)
            .select_related("company", "payout", "created_by")
            .filter(pk=int(object_id))
            .first()
        )
        if run is None:
            raise Http404
        return run

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The statement of the run."""
        run = self._run_for(request, object_id)
        opts = self.model._meta
        days = [
            {
                **day,
                "day": formats.date_format(date.fromisoformat(day["day"]), "D j M Y"),
                "sales_text": _money(day["sales"], run.currency),
                "refunds_text": _money(day["refunds"], run.currency),
                "commission_text": _money(day["commission"], run.currency),
                "net_text": _money(day["net"], run.currency),
            }
            for day in run.days
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Settlement statement %(reference)s") % {"reference": run.reference},
            "opts": opts,
            "run": run,
            "period": statements.period_text(run),
            "lines": [
                {
                    "label": line.label,
                    "count": line.count,
                    "amount": _money(line.amount, run.currency),
                    "strong": line.strong,
                }
                for line in statements.statement_lines(run)
            ],
            "payout": statements.payout_text(run),
            "created": localtime.local_datetime(run.created_at, run.time_zone),
            "days": days,
            "csv_url": reverse("admin:payments_settlementrun_csv", args=[run.pk]),
            "pdf_url": reverse("admin:payments_settlementrun_pdf", args=[run.pk]),
            "changelist_url": reverse("admin:payments_settlementrun_changelist"),
        }
        return TemplateResponse(request, "admin/payments/settlementrun/statement.html", context)

    def statement_csv_view(self, request, object_id):
        run = self._run_for(request, object_id)
        response = HttpResponse(
            statements.statement_csv(run), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{run.reference}.csv"'
        return response

    def statement_pdf_view(self, request, object_id):
        run = self._run_for(request, object_id)
        response = HttpResponse(statements.statement_pdf(run), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{run.reference}.pdf"'
        return response

    def add_view(self, request, form_url="", extra_context=None):
        """A new run: the company and its period (by default from the day after its last
        run up to yesterday, in its zone); made through `settlement_run`."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            form = SettlementRunForm(request.POST)
            if form.is_valid():
                try:
                    run = settlement_run(
                        company=form.cleaned_data["company"],
                        period_start=form.cleaned_data["period_start"],
                        period_end=form.cleaned_data["period_end"],
                        by=request.user,
                    )
                except (SettlementNotAllowed, PayoutNotAllowed, Busy) as exc:
                    form.add_error(None, exc.message)
                    status = exc.status_code
                else:
                    messages.success(
                        request,
                        _("Settlement run %(reference)s: %(paid)s paid out.")
                        % {
                            "reference": run.reference,
                            "paid": _money(run.payout_amount, run.currency),
                        },
                    )
                    return HttpResponseRedirect(
                        reverse("admin:payments_settlementrun_change", args=[run.pk])
                    )
            else:
                status = 400
        else:
            form = SettlementRunForm(initial=self._initial(request))
        context = {
            **self.admin_site.each_context(request),
            "title": _("New settlement run"),
            "opts": self.model._meta,
            "form": form,
            "changelist_url": reverse("admin:payments_settlementrun_changelist"),
        }
        return TemplateResponse(
            request, "admin/payments/settlementrun/add_form.html", context, status=status
        )

    def _initial(self, request) -> dict:
        value = request.GET.get("company", "")
        company = (
            Company.objects.filter(pk=int(value)).first()
            if value.isascii() and value.isdigit() and len(value) < 10
            else None
        )
        if company is None:
            return {}
        start, end = selectors.settlement_run_default_period(company=company)
        return {"company": company, "period_start": start, "period_end": end}
