"""PNRs and their passengers: read-only records, changed only through services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from fleet.admin_scoping import (
    CompanyListFilter,
    CompanyScopedInline,
    ReadOnlyInlineMixin,
    ReadOnlyScopedAdmin,
)
from ttms.audit.admin import AuditHistoryMixin
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
        "status",
        "total",
        "created_at",
    ]
    list_filter = [CompanyListFilter, "class_code", "quota", "created_at"]
    list_select_related = ["user", "trip__route", "origin", "destination"]
    search_fields = ["number", "user__email", "passengers__name"]
    date_hierarchy = "created_at"
    inlines = [PassengerInline]
    readonly_fields = [
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

    @admin.display(description=gettext_lazy("status"))
    def status(self, pnr: Pnr) -> str:
        return pnr_status(pnr.passengers.all())

    @admin.display(description=gettext_lazy("total"), ordering="total_fare")
    def total(self, pnr: Pnr) -> str:
        return format_money(pnr.total_fare, pnr.currency)
