"""Agents' shifts at the counter, read-only (opened and closed only by the agents, through
the POS API), and the shift report: per agent and shift, and per station and day, with a
CSV export. Company staff see their companies' shifts; platform admins every one."""

from datetime import date, timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fleet.admin_display import LocalDayFilter
from fleet.admin_scoping import CompanyListFilter, ReadOnlyScopedAdmin
from fleet.selectors import companies_for_user
from ttms.localtime import local_time
from ttms.money import format_money

from ..models import Shift
from ..pos import reports

# The longest period one report covers.
REPORT_MAX_DAYS = 366


def _zone(shift: Shift) -> str:
    return shift.station.time_zone if shift.station else shift.company.time_zone


class ShiftDayFilter(LocalDayFilter):
    """The day a shift opened, in its company's zone."""

    title = gettext_lazy("opened on (local time)")
    parameter_name = "opened_day"
    moment_field = "opened_at"
    zone_field = "company__time_zone"


@admin.register(Shift)
class ShiftAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "opened_local",
        "agent",
        "station",
        "closed_local",
        "float_display",
        "expected_display",
        "counted_display",
        "difference_display",
        "flagged",
    ]
    list_filter = [
        CompanyListFilter,
        ShiftDayFilter,
        "flagged",
        ("closed_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["company", "agent", "station"]
    search_fields = ["agent__email", "agent__full_name", "station__code"]
    search_help_text = gettext_lazy("Search by agent or station code.")
    fields = [
        "company",
        "agent",
        "station",
        "currency",
        "opened_local",
        "float_amount",
        "closed_local",
        "expected",
        "counted",
        "difference",
        "flagged",
    ]
    readonly_fields = fields

    def _money(self, shift: Shift, amount: int | None) -> str:
        return "—" if amount is None else format_money(amount, shift.currency)

    @admin.display(description=gettext_lazy("opened"), ordering="opened_at")
    def opened_local(self, shift: Shift) -> str:
        return local_time(shift.opened_at, _zone(shift))

    @admin.display(description=gettext_lazy("closed"), ordering="closed_at")
    def closed_local(self, shift: Shift) -> str:
        return local_time(shift.closed_at, _zone(shift)) or _("open")

    @admin.display(description=gettext_lazy("float"))
    def float_display(self, shift: Shift) -> str:
        return self._money(shift, shift.float_amount)

    @admin.display(description=gettext_lazy("expected"))
    def expected_display(self, shift: Shift) -> str:
        return self._money(shift, shift.expected)

    @admin.display(description=gettext_lazy("counted"))
    def counted_display(self, shift: Shift) -> str:
        return self._money(shift, shift.counted)

    @admin.display(description=gettext_lazy("difference"), ordering="difference")
    def difference_display(self, shift: Shift) -> str:
        return self._money(shift, shift.difference)

    def get_urls(self):
        return [
            path(
                "report/",
                self.admin_site.admin_view(self.report_view),
                name="booking_shift_report",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"shift_report_url": reverse("admin:booking_shift_report")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def report_view(self, request):
        """Per agent and shift and per station and day over a period (each shift's day in
        its station's time zone); `?format=csv&by=shift` or `by=station_day`."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ShiftReportForm(request.GET or None, companies=companies_for_user(request.user))
        lines, days, status = [], [], 200
        if form.is_bound and not form.is_valid():
            status = 400
        elif form.is_bound:
            data = form.cleaned_data
            shifts = reports.shifts_between(
                reports.shifts_for_user(request.user), data["start"], data["end"]
            )
            if data["company"]:
                shifts = shifts.filter(company=data["company"])
            if data["flagged_only"]:
                shifts = shifts.filter(flagged=True)
            lines = reports.shift_lines(shifts, start=data["start"], end=data["end"])
            days = reports.station_days(lines)
            by = request.GET.get("by")
            if request.GET.get("format") == "csv" and by in ("shift", "station_day"):
                return _csv(lines if by == "shift" else days, by, data["start"], data["end"])
        query = request.GET.urlencode()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Shift report"),
            "opts": self.model._meta,
            "form": form,
            "lines": lines,
            "days": days,
            "csv_shift_query": f"{query}&format=csv&by=shift" if lines else "",
            "csv_day_query": f"{query}&format=csv&by=station_day" if lines else "",
            "changelist_url": reverse("admin:booking_shift_changelist"),
        }
        return TemplateResponse(request, "admin/booking/shift/report.html", context, status=status)


def _csv(rows, by: str, start: date, end: date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="shifts-{by}-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    header = reports.ShiftLine.CSV_HEADER if by == "shift" else reports.StationDay.CSV_HEADER
    reports.write_csv(response, rows, header)
    return response


class ShiftReportForm(forms.Form):
    company = forms.ModelChoiceField(
        queryset=None, required=False, empty_label=gettext_lazy("All my companies")
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    flagged_only = forms.BooleanField(required=False, label=gettext_lazy("Flagged only"))

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
        today = timezone.localdate()
        self.fields["start"].initial = today - timedelta(days=6)
        self.fields["end"].initial = today

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period starts after it ends."))
            if (end - start).days >= REPORT_MAX_DAYS or start.year < 2000 or end.year > 2999:
                raise forms.ValidationError(
                    _("Choose at most %(days)s days between 2000 and 2999.")
                    % {"days": REPORT_MAX_DAYS}
                )
        return data
