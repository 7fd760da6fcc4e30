"""Admin of the booking app: fares are configuration (company admins edit them); PNRs,
passengers and inventory are read-only records, changed only through services."""

from django.contrib import admin

from payments.money import format_money
from ttms.admin_scoping import (
    CompanyListFilter,
    CompanyScopedAdmin,
    CompanyScopedInline,
    ReadOnlyInlineMixin,
    ReadOnlyScopedAdmin,
)

from . import selectors
from .models import FareRule, Passenger, Pnr, TripClass


@admin.register(FareRule)
class FareRuleAdmin(CompanyScopedAdmin):
    list_display = ["company", "class_code", "rate_per_km", "minimum_fare", "multipliers_bp"]
    list_filter = [CompanyListFilter, "class_code"]
    list_select_related = ["company"]
    search_fields = ["class_code"]


class PassengerInline(ReadOnlyInlineMixin, CompanyScopedInline, admin.TabularInline):
    model = Passenger
    fields = ["index", "name", "age", "gender", "status", "booking_status", "quota", "seat",
              "half", "fare"]
    readonly_fields = fields


@admin.register(Pnr)
class PnrAdmin(ReadOnlyScopedAdmin):
    list_display = ["number", "user", "schedule", "class_code", "quota", "origin",
                    "destination", "status", "total", "created_at"]
    list_filter = [CompanyListFilter, "class_code", "quota", "created_at"]
    list_select_related = ["user", "schedule__route", "origin", "destination"]
    search_fields = ["number", "user__email", "passengers__name"]
    date_hierarchy = "created_at"
    inlines = [PassengerInline]
    readonly_fields = ["number", "user", "booked_by", "schedule", "trip_class", "class_code",
                       "quota", "origin", "destination", "origin_sequence",
                       "destination_sequence", "departure_at", "arrival_at", "distance_km",
                       "total_fare", "currency", "created_at"]
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

    list_display = ["schedule", "class_code", "seats", "created_at"]
    list_filter = [CompanyListFilter, "class_code"]
    list_select_related = ["schedule__route"]
    readonly_fields = ["schedule", "class_code", "seats", "created_at"]
