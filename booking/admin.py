"""Admin of the booking app: fares are configuration (company admins edit them); PNRs,
passengers, inventory and charts are read-only records, changed only through services
(charting a trip: an action on its classes)."""

from itertools import groupby

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from fleet.models import RouteStop
from payments.money import format_money
from ttms.admin_scoping import (
    CompanyListFilter,
    CompanyScopedAdmin,
    CompanyScopedInline,
    ReadOnlyInlineMixin,
    ReadOnlyScopedAdmin,
)
from ttms.exceptions import DomainError

from . import selectors
from .models import Chart, FareRule, Passenger, Pnr, TripClass
from .services import chart_prepare


@admin.register(FareRule)
class FareRuleAdmin(CompanyScopedAdmin):
    list_display = ["company", "class_code", "rate_per_km", "minimum_fare", "multipliers_bp"]
    list_filter = [CompanyListFilter, "class_code"]
    list_select_related = ["company"]
    search_fields = ["class_code"]


class PassengerInline(ReadOnlyInlineMixin, CompanyScopedInline, admin.TabularInline):
    model = Passenger
    fields = [
        "index",
        "name",
        "age",
        "gender",
        "status",
        "booking_status",
        "quota",
        "seat",
        "half",
        "fare",
    ]
    readonly_fields = fields


@admin.register(Pnr)
class PnrAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "number",
        "user",
        "schedule",
        "class_code",
        "quota",
        "origin",
        "destination",
        "status",
        "total",
        "created_at",
    ]
    list_filter = [CompanyListFilter, "class_code", "quota", "created_at"]
    list_select_related = ["user", "schedule__route", "origin", "destination"]
    search_fields = ["number", "user__email", "passengers__name"]
    date_hierarchy = "created_at"
    inlines = [PassengerInline]
    readonly_fields = [
        "number",
        "user",
        "booked_by",
        "schedule",
        "trip_class",
        "class_code",
        "quota",
        "origin",
        "destination",
        "origin_sequence",
        "destination_sequence",
        "departure_at",
        "arrival_at",
        "distance_km",
        "total_fare",
        "currency",
        "created_at",
    ]
    exclude = ["legs_low", "legs_high"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("passengers")

    @admin.display(description="status")
    def status(self, pnr: Pnr) -> str:
        return selectors.pnr_status(pnr.passengers.all())

    @admin.display(description="total", ordering="total_fare")
    def total(self, pnr: Pnr) -> str:
        return format_money(pnr.total_fare, pnr.currency)


@admin.register(TripClass)
class TripClassAdmin(ReadOnlyScopedAdmin):
    """A trip's classes with inventory (created on their first booking)."""

    list_display = ["schedule", "class_code", "seats", "charted", "created_at"]
    list_filter = [CompanyListFilter, "class_code"]
    list_select_related = ["schedule__route", "schedule__chart"]
    readonly_fields = ["schedule", "class_code", "seats", "created_at"]
    actions = ["prepare_charts"]

    @admin.display(description="charted", boolean=True)
    def charted(self, trip_class: TripClass) -> bool:
        return hasattr(trip_class.schedule, "chart")

    def has_prepare_chart_permission(self, request) -> bool:
        """Company admins and schedulers (and platform admins) chart trips; drivers and
        agents only look."""
        return self._is_staff(request) and self._can_edit(request, None)

    @admin.action(description="Prepare the chart of these trips", permissions=["prepare_chart"])
    def prepare_charts(self, request, queryset):
        """Chart each selected class's trip once (`booking.services.chart_prepare`); a trip
        already charted keeps its chart; a refusal is reported for its trip, the others go
        on."""
        prepared = existing = 0
        schedules = {
            tc.schedule_id: tc
            for tc in queryset.select_related("schedule__route").order_by(
                "schedule__departure_at", "schedule_id"
            )
        }
        for trip_class in schedules.values():
            schedule = trip_class.schedule
            if not self._can_edit(request, trip_class):
                self.message_user(
                    request, f"{schedule}: you cannot chart this trip.", messages.ERROR
                )
                continue
            if Chart.objects.filter(schedule_id=schedule.pk).exists():
                existing += 1
                continue
            try:
                chart_prepare(schedule=schedule, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{schedule}: {exc.message}", messages.ERROR)
            else:
                prepared += 1
        if prepared:
            self.message_user(request, f"Chart prepared for {prepared} trip(s).", messages.SUCCESS)
        if existing:
            self.message_user(
                request,
                f"{existing} trip(s) were already charted; their charts are unchanged.",
                messages.INFO,
            )


@admin.register(Chart)
class ChartAdmin(ReadOnlyScopedAdmin):
    """A trip's chart as prepared (frozen): its summary here, its passengers on the change
    page and on a printable page (`print/`), coach by coach, berth by berth."""

    list_display = ["schedule", "prepared_at", "prepared_by", "passengers", "print_link"]
    list_filter = [CompanyListFilter, "prepared_at"]
    list_select_related = ["schedule__route", "prepared_by"]
    search_fields = ["schedule__route__number", "schedule__route__name"]
    date_hierarchy = "prepared_at"
    fields = ["schedule", "prepared_at", "prepared_by", "summary_display"]
    readonly_fields = fields
    change_form_template = "admin/booking/chart/change_form.html"

    @admin.display(description="passengers")
    def passengers(self, chart: Chart) -> int:
        return len(chart.rows)

    @admin.display(description="print")
    def print_link(self, chart: Chart) -> str:
        return format_html(
            '<a href="{}">Print</a>', reverse("admin:booking_chart_print", args=[chart.pk])
        )

    @admin.display(description="what charting did")
    def summary_display(self, chart: Chart) -> str:
        s = chart.summary
        return (
            f"{s.get('released_to_women', 0)} LADIES berth(s) to waitlisted women, "
            f"{s.get('released_to_seniors', 0)} to seniors; {s.get('promoted', 0)} "
            f"other promotion(s); {s.get('pnrs_cancelled', 0)} waitlisted PNR(s) "
            f"cancelled, {format_money(s.get('refunded', 0))} refunded. On the chart: "
            f"{s.get('confirmed', 0)} CNF, {s.get('rac', 0)} RAC, "
            f"{s.get('waitlisted', 0)} WL."
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/print/",
                self.admin_site.admin_view(self.print_view),
                name="booking_chart_print",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        chart = self.get_object(request, object_id)
        if chart is not None and self.has_view_permission(request, chart):
            extra_context = {**(extra_context or {}), **chart_sheet(chart)}
        return super().change_view(request, object_id, form_url, extra_context)

    def print_view(self, request, object_id):
        """The chart alone, laid out for paper."""
        chart = self.get_object(request, object_id)
        if chart is None:
            raise Http404("No such chart.")
        if not self.has_view_permission(request, chart):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/booking/chart/print.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Chart of {chart.schedule}",
                "opts": self.model._meta,
                "chart": chart,
                **chart_sheet(chart),
            },
        )


def chart_sheet(chart: Chart) -> dict:
    """What a chart page shows: the trip's heading (times in its first stop's zone) and the
    rows grouped coach by coach, then the waitlisted passengers of partly confirmed PNRs."""
    schedule = chart.schedule
    first = (
        RouteStop.objects.filter(route_id=schedule.route_id)
        .order_by("sequence")
        .select_related("station")
        .first()
    )
    zone = first.station.tzinfo if first else None
    departure = schedule.departure_at.astimezone(zone)
    prepared = chart.prepared_at.astimezone(zone)
    seated = [row for row in chart.rows if row["coach"]]
    coaches = [
        {"coach": coach, "class": rows[0]["class"], "rows": rows}
        for coach, group in groupby(seated, key=lambda row: row["coach"])
        for rows in [list(group)]
    ]
    return {
        "trip_number": schedule.route.number,
        "trip_name": schedule.route.name,
        "departure": f"{departure:%d %b %Y %H:%M} {departure.tzname()}",
        "prepared": f"{prepared:%d %b %Y %H:%M} {prepared.tzname()}",
        "origin": first.station.name if first else "",
        "coaches": coaches,
        "waitlisted": [row for row in chart.rows if not row["coach"]],
    }
