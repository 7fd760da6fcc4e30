"""PNRs and their passengers: read-only records, changed only through services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from fleet.admin_display import LocalDayFilter
from fleet.admin_scoping import (
    CompanyListFilter,
    CompanyScopedInline,
    ReadOnlyInlineMixin,
    ReadOnlyScopedAdmin,
)
from ttms.audit.admin import AuditHistoryMixin
from ttms.localtime import local_datetime
from ttms.money import format_money

from ..models import (
    Passenger,
    Pnr,
)
from ..sales.selectors.pnrs import pnr_status


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


class JourneyDayFilter(LocalDayFilter):
    """The day the journey starts, in the boarding station's zone."""

    title = gettext_lazy("journey day (boarding stop's local time)")
    parameter_name = "journey_day"
    moment_field = "departure_at"
    zone_field = "origin__time_zone"


class BookedDayFilter(LocalDayFilter):
    """The day the PNR was booked, in its operator's zone."""

    title = gettext_lazy("booked on (operator's local time)")
    parameter_name = "booked_day"
    moment_field = "created_at"
    zone_field = "trip__route__company__time_zone"


@admin.register(Pnr)
class PnrAdmin(AuditHistoryMixin, ReadOnlyScopedAdmin):
    list_display = [
        "number",
        "user",
        "trip",
        "class_code",
        "quota",
        "origin",
        "destination",
        "departure_local",
        "status",
        "total",
        "booked_local",
    ]
    list_filter = [JourneyDayFilter, BookedDayFilter, CompanyListFilter, "class_code", "quota"]
    list_select_related = ["user", "trip__route__company", "origin", "destination"]
    search_fields = ["number", "user__email", "user__phone", "passengers__name"]
    search_help_text = gettext_lazy("PNR number, the buyer's email or phone, a passenger's name.")
    inlines = [PassengerInline]
    fields = [
        "number",
        "user",
        "booked_by",
        "trip",
        "trip_class",
        "class_code",
        "quota",
        "origin",
        "destination",
        "origin_sequence",
        "destination_sequence",
        "departure_local",
        "arrival_local",
        "distance_km",
        "total",
        "booked_local",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("passengers")

    @admin.display(
        description=gettext_lazy("departs (boarding stop's local time)"), ordering="departure_at"
    )
    def departure_local(self, pnr: Pnr) -> str:
        return local_datetime(pnr.departure_at, pnr.origin.time_zone)

    @admin.display(description=gettext_lazy("arrives (alighting stop's local time)"))
    def arrival_local(self, pnr: Pnr) -> str:
        return local_datetime(pnr.arrival_at, pnr.destination.time_zone)

    @admin.display(
        description=gettext_lazy("booked (operator's local time)"), ordering="created_at"
    )
    def booked_local(self, pnr: Pnr) -> str:
        return local_datetime(pnr.created_at, pnr.trip.route.company.time_zone)

    @admin.display(description=gettext_lazy("status"))
    def status(self, pnr: Pnr) -> str:
        return pnr_status(pnr.passengers.all())

    @admin.display(description=gettext_lazy("total"), ordering="total_fare")
    def total(self, pnr: Pnr) -> str:
        return format_money(pnr.total_fare, pnr.currency)
