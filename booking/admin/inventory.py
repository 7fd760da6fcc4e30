"""Fares and inventory: fare rules are configuration (company admins edit them, through the
service that audits them); a trip's classes are read-only, charted by an action."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fleet.admin_display import TripDayFilter
from fleet.admin_scoping import (
    CompanyListFilter,
    CompanyScopedAdmin,
    ReadOnlyScopedAdmin,
)
from ttms.exceptions import DomainError
from ttms.localtime import local_datetime

from ..lifecycle.services.charting import chart_prepare
from ..models import (
    Chart,
    FareRule,
    TripClass,
)
from ..sales.services.fares import fare_rule_delete, fare_rule_save


@admin.register(FareRule)
class FareRuleAdmin(CompanyScopedAdmin):
    list_display = ["company", "class_code", "rate_per_km", "minimum_fare", "multipliers_bp"]
    list_filter = [CompanyListFilter, "class_code"]
    list_select_related = ["company"]
    search_fields = ["class_code"]

    # Fare changes go through the service, which audits them.
    def save_model(self, request, obj, form, change):
        fare_rule_save(fare_rule=obj, by=request.user)

    def delete_model(self, request, obj):
        fare_rule_delete(fare_rule=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for fare_rule in queryset.order_by("pk"):
            fare_rule_delete(fare_rule=fare_rule, by=request.user)


class TripClassDayFilter(TripDayFilter):
    day_field = "trip__service_date"
    zone_field = "trip__route__company__time_zone"


@admin.register(TripClass)
class TripClassAdmin(ReadOnlyScopedAdmin):
    """A trip's classes with inventory (created on their first booking)."""

    list_display = ["trip", "class_code", "seats", "charted"]
    list_filter = [TripClassDayFilter, CompanyListFilter, "class_code"]
    list_select_related = ["trip__route__company", "trip__chart"]
    search_fields = ["trip__route__number", "trip__route__name"]
    search_help_text = gettext_lazy("The trip's number or name.")
    fields = ["trip", "class_code", "seats", "created_local"]
    readonly_fields = fields
    actions = ["prepare_charts"]

    @admin.display(description=gettext_lazy("first booked (operator's local time)"))
    def created_local(self, trip_class: TripClass) -> str:
        return local_datetime(trip_class.created_at, trip_class.trip.route.company.time_zone)

    @admin.display(description=gettext_lazy("charted"), boolean=True)
    def charted(self, trip_class: TripClass) -> bool:
        return hasattr(trip_class.trip, "chart")

    def has_prepare_chart_permission(self, request) -> bool:
        """Company admins and schedulers (and platform admins) chart trips; drivers and
        agents only look."""
        return self._is_staff(request) and self._can_edit(request, None)

    @admin.action(
        description=gettext_lazy("Prepare the chart of these trips"), permissions=["prepare_chart"]
    )
    def prepare_charts(self, request, queryset):
        """Chart each selected class's trip once
        (`booking.lifecycle.services.charting.chart_prepare`); a trip already charted keeps its
        chart; a refusal is reported for its trip, the others go on."""
        prepared = existing = 0
        trips = {
            tc.trip_id: tc
            for tc in queryset.select_related("trip__route").order_by(
                "trip__departure_at", "trip_id"
            )
        }
        for trip_class in trips.values():
            trip = trip_class.trip
            if not self._can_edit(request, trip_class):
                self.message_user(
                    request,
                    _("{trip}: you cannot chart this trip.").format(trip=trip),
                    messages.ERROR,
                )
                continue
            if Chart.objects.filter(trip_id=trip.pk).exists():
                existing += 1
                continue
            try:
                chart_prepare(trip=trip, by=request.user)
            except DomainError as exc:
                self.message_user(
                    request,
                    _("{trip}: {message}").format(trip=trip, message=exc.message),
                    messages.ERROR,
                )
            else:
                prepared += 1
        if prepared:
            self.message_user(
                request,
                _("Chart prepared for {count} trip(s).").format(count=prepared),
                messages.SUCCESS,
            )
        if existing:
            self.message_user(
                request,
                _("{count} trip(s) were already charted; their charts are unchanged.").format(
                    count=existing
                ),
                messages.INFO,
            )
