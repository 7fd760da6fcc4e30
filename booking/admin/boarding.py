"""Boarding: every ticket scan and the conflicts of offline scans, read-only, and each
trip's boarding sheet (who boarded, who did not, the conflicts)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fleet.admin_display import LocalDayFilter
from fleet.admin_scoping import (
    CompanyListFilter,
    ReadOnlyScopedAdmin,
)
from fleet.models import Trip
from fleet.selectors import scope_queryset
from ttms.localtime import local_datetime

from ..boarding.selectors import boarding_sheet, scan_line_of
from ..models import (
    BoardingConflict,
    BoardingScan,
)

# The latest trips the "by trip" filter offers; any other trip's scans are one click away
# from its boarding sheet (`?trip=<id>`).
TRIP_FILTER_CHOICES = 30


class ScanDayFilter(LocalDayFilter):
    title = gettext_lazy("scanned on (operator's local time)")
    parameter_name = "scanned_day"
    moment_field = "scanned_at"
    zone_field = "trip__route__company__time_zone"


class ConflictDayFilter(LocalDayFilter):
    title = gettext_lazy("found on (operator's local time)")
    parameter_name = "found_day"
    moment_field = "created_at"
    zone_field = "trip__route__company__time_zone"


def _company_time(moment, trip) -> str:
    return local_datetime(moment, trip.route.company.time_zone) if moment else "—"


class TripListFilter(admin.SimpleListFilter):
    """ "By trip": the latest trips that have rows in this list and that the user may see."""

    title = gettext_lazy("trip")
    parameter_name = "trip"

    def lookups(self, request, model_admin):
        rows = model_admin.get_queryset(request).order_by().values("trip_id")
        trips = (
            Trip.objects.filter(pk__in=rows)
            .select_related("route__company")
            .order_by("-departure_at", "-pk")[:TRIP_FILTER_CHOICES]
        )
        return [(str(trip.pk), str(trip)) for trip in trips]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(trip_id=int(value)) if value.isdigit() else queryset.none()


def _trip_boarding_link(trip_id: int) -> str:
    return format_html(
        '<a href="{}">{}</a>',
        reverse("admin:booking_boardingscan_trip", args=[trip_id]),
        _("Boarding sheet"),
    )


@admin.register(BoardingScan)
class BoardingScanAdmin(ReadOnlyScopedAdmin):
    """Every ticket scan, online or uploaded from a device's offline queue, with its answer;
    and each trip's boarding sheet (`trip/<id>/`): who boarded, who did not, the
    conflicts, laid out for paper."""

    list_display = [
        "scanned_local",
        "trip",
        "pnr",
        "passenger_name",
        "result",
        "offline",
        "device",
        "scanned_by",
        "station",
        "trip_boarding",
    ]
    list_filter = [CompanyListFilter, TripListFilter, ScanDayFilter, "result", "offline"]
    list_select_related = ["trip__route__company", "passenger__pnr", "scanned_by", "station"]
    search_fields = ["passenger__pnr__number"]
    search_help_text = gettext_lazy("Search by PNR.")
    fields = [
        "trip",
        "passenger",
        "result",
        "reason",
        "scanned_local",
        "received_local",
        "scanned_by",
        "station",
        "device",
        "offline",
        "device_result",
        "nonce",
        "payload_digest",
    ]
    readonly_fields = fields

    @admin.display(
        description=gettext_lazy("scanned (operator's local time)"), ordering="scanned_at"
    )
    def scanned_local(self, scan: BoardingScan) -> str:
        return _company_time(scan.scanned_at, scan.trip)

    @admin.display(description=gettext_lazy("received (operator's local time)"))
    def received_local(self, scan: BoardingScan) -> str:
        return _company_time(scan.received_at, scan.trip)

    @admin.display(description=gettext_lazy("PNR"), ordering="passenger__pnr__number")
    def pnr(self, scan: BoardingScan) -> str:
        return scan.passenger.pnr.number if scan.passenger else "—"

    @admin.display(description=gettext_lazy("passenger"))
    def passenger_name(self, scan: BoardingScan) -> str:
        return scan.passenger.name if scan.passenger else "—"

    @admin.display(description=gettext_lazy("trip boarding"))
    def trip_boarding(self, scan: BoardingScan) -> str:
        return _trip_boarding_link(scan.trip_id)

    def get_urls(self):
        return [
            path(
                "trip/<int:trip_id>/",
                self.admin_site.admin_view(self.trip_view),
                name="booking_boardingscan_trip",
            ),
            *super().get_urls(),
        ]

    def trip_view(self, request, trip_id: int):
        """A trip's boarding sheet; 404 for a trip of a company the user does not work
        for."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        trip = (
            scope_queryset(
                Trip.objects.select_related("route__company"), self._scope(request).visible
            )
            .filter(pk=trip_id)
            .first()
        )
        if trip is None:
            raise Http404(_("No such trip."))
        return TemplateResponse(
            request,
            "admin/booking/boarding/trip.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Boarding of {trip}").format(trip=trip),
                "opts": self.model._meta,
                **boarding_sheet(trip),
            },
        )


@admin.register(BoardingConflict)
class BoardingConflictAdmin(ReadOnlyScopedAdmin):
    """Tickets two devices both let in while offline: the earlier scan boarded the
    passenger, the later one is listed here for the company to look into."""

    list_display = [
        "created_local",
        "trip",
        "pnr",
        "passenger_name",
        "winner_scan",
        "loser_scan",
        "trip_boarding",
    ]
    list_filter = [CompanyListFilter, TripListFilter, ConflictDayFilter]
    list_select_related = [
        "trip__route__company",
        "passenger__pnr__origin",
        "winner__scanned_by",
        "winner__station",
        "loser__scanned_by",
        "loser__station",
    ]
    search_fields = ["passenger__pnr__number"]
    search_help_text = gettext_lazy("Search by PNR.")
    fields = ["trip", "passenger", "winner", "loser", "created_local"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("found (operator's local time)"), ordering="created_at")
    def created_local(self, conflict: BoardingConflict) -> str:
        return _company_time(conflict.created_at, conflict.trip)

    @admin.display(description=gettext_lazy("PNR"), ordering="passenger__pnr__number")
    def pnr(self, conflict: BoardingConflict) -> str:
        return conflict.passenger.pnr.number

    @admin.display(description=gettext_lazy("passenger"))
    def passenger_name(self, conflict: BoardingConflict) -> str:
        return conflict.passenger.name

    @admin.display(description=gettext_lazy("boarded by (the earlier scan)"))
    def winner_scan(self, conflict: BoardingConflict) -> str:
        return str(scan_line_of(conflict.winner, conflict.passenger))

    @admin.display(description=gettext_lazy("also let in by (the later scan)"))
    def loser_scan(self, conflict: BoardingConflict) -> str:
        return str(scan_line_of(conflict.loser, conflict.passenger))

    @admin.display(description=gettext_lazy("trip boarding"))
    def trip_boarding(self, conflict: BoardingConflict) -> str:
        return _trip_boarding_link(conflict.trip_id)
