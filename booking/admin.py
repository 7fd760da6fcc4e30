"""Admin of the booking app: fares are configuration (company admins edit them); PNRs,
passengers, inventory and charts are read-only records, changed only through services
(charting a trip: an action on its classes); boarding scans and conflicts are read-only too,
with a trip's boarding sheet (who boarded, who did not, the conflicts)."""

from itertools import groupby

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from fleet.admin import TripAdmin as FleetTripAdmin
from fleet.admin_scoping import (
    CompanyListFilter,
    CompanyScopedAdmin,
    CompanyScopedInline,
    ReadOnlyInlineMixin,
    ReadOnlyScopedAdmin,
)
from fleet.models import RouteStop, Trip, TripStatus, Vehicle
from fleet.selectors import scope_queryset
from payments.money import format_money
from ttms.audit.admin import AuditHistoryMixin
from ttms.exceptions import DomainError

from .boarding.selectors import boarding_sheet, scan_line_of
from .lifecycle.services.charting import chart_prepare
from .lifecycle.services.swap import vehicle_swap
from .lifecycle.services.trips import trip_status_change
from .models import (
    BoardingConflict,
    BoardingScan,
    Chart,
    FareRule,
    Passenger,
    Pnr,
    TripClass,
)
from .sales import selectors
from .sales.services.fares import fare_rule_delete, fare_rule_save


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

    @admin.display(description="status")
    def status(self, pnr: Pnr) -> str:
        return selectors.pnr_status(pnr.passengers.all())

    @admin.display(description="total", ordering="total_fare")
    def total(self, pnr: Pnr) -> str:
        return format_money(pnr.total_fare, pnr.currency)


@admin.register(TripClass)
class TripClassAdmin(ReadOnlyScopedAdmin):
    """A trip's classes with inventory (created on their first booking)."""

    list_display = ["trip", "class_code", "seats", "charted", "created_at"]
    list_filter = [CompanyListFilter, "class_code"]
    list_select_related = ["trip__route", "trip__chart"]
    readonly_fields = ["trip", "class_code", "seats", "created_at"]
    actions = ["prepare_charts"]

    @admin.display(description="charted", boolean=True)
    def charted(self, trip_class: TripClass) -> bool:
        return hasattr(trip_class.trip, "chart")

    def has_prepare_chart_permission(self, request) -> bool:
        """Company admins and schedulers (and platform admins) chart trips; drivers and
        agents only look."""
        return self._is_staff(request) and self._can_edit(request, None)

    @admin.action(description="Prepare the chart of these trips", permissions=["prepare_chart"])
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
                self.message_user(request, f"{trip}: you cannot chart this trip.", messages.ERROR)
                continue
            if Chart.objects.filter(trip_id=trip.pk).exists():
                existing += 1
                continue
            try:
                chart_prepare(trip=trip, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{trip}: {exc.message}", messages.ERROR)
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

    list_display = ["trip", "prepared_at", "prepared_by", "passengers", "print_link"]
    list_filter = [CompanyListFilter, "prepared_at"]
    list_select_related = ["trip__route", "prepared_by"]
    search_fields = ["trip__route__number", "trip__route__name"]
    date_hierarchy = "prepared_at"
    fields = ["trip", "prepared_at", "prepared_by", "summary_display"]
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
                "title": f"Chart of {chart.trip}",
                "opts": self.model._meta,
                "chart": chart,
                **chart_sheet(chart),
            },
        )


def chart_sheet(chart: Chart) -> dict:
    """What a chart page shows: the trip's heading (times in its first stop's zone) and the
    rows grouped coach by coach, then the waitlisted passengers of partly confirmed PNRs."""
    trip = chart.trip
    first = (
        RouteStop.objects.filter(route_id=trip.route_id)
        .order_by("sequence")
        .select_related("station")
        .first()
    )
    zone = first.station.tzinfo if first else None
    departure = trip.departure_at.astimezone(zone)
    prepared = chart.prepared_at.astimezone(zone)
    seated = [row for row in chart.rows if row["coach"]]
    coaches = [
        {"coach": coach, "class": rows[0]["class"], "rows": rows}
        for coach, group in groupby(seated, key=lambda row: row["coach"])
        for rows in [list(group)]
    ]
    return {
        "trip_number": trip.route.number,
        "trip_name": trip.route.name,
        "departure": f"{departure:%d %b %Y %H:%M} {departure.tzname()}",
        "prepared": f"{prepared:%d %b %Y %H:%M} {prepared.tzname()}",
        "origin": first.station.name if first else "",
        "coaches": coaches,
        "waitlisted": [row for row in chart.rows if not row["coach"]],
    }


# --- Boarding --------------------------------------------------------------------------------

# The latest trips the "by trip" filter offers; any other trip's scans are one click away
# from its boarding sheet (`?trip=<id>`).
TRIP_FILTER_CHOICES = 30


class TripListFilter(admin.SimpleListFilter):
    """ "By trip": the latest trips that have rows in this list and that the user may see."""

    title = "trip"
    parameter_name = "trip"

    def lookups(self, request, model_admin):
        rows = model_admin.get_queryset(request).order_by().values("trip_id")
        trips = (
            Trip.objects.filter(pk__in=rows)
            .select_related("route")
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
        '<a href="{}">Boarding sheet</a>',
        reverse("admin:booking_boardingscan_trip", args=[trip_id]),
    )


@admin.register(BoardingScan)
class BoardingScanAdmin(ReadOnlyScopedAdmin):
    """Every ticket scan, online or uploaded from a device's offline queue, with its answer;
    and each trip's boarding sheet (`trip/<id>/`): who boarded, who did not, the
    conflicts, laid out for paper."""

    list_display = [
        "scanned_at",
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
    list_filter = [CompanyListFilter, TripListFilter, "result", "offline"]
    list_select_related = ["trip__route", "passenger__pnr", "scanned_by", "station"]
    search_fields = ["passenger__pnr__number"]
    search_help_text = "Search by PNR."
    date_hierarchy = "scanned_at"
    fields = [
        "trip",
        "passenger",
        "result",
        "reason",
        "scanned_at",
        "received_at",
        "scanned_by",
        "station",
        "device",
        "offline",
        "device_result",
        "nonce",
        "payload_digest",
    ]
    readonly_fields = fields

    @admin.display(description="PNR", ordering="passenger__pnr__number")
    def pnr(self, scan: BoardingScan) -> str:
        return scan.passenger.pnr.number if scan.passenger else "—"

    @admin.display(description="passenger")
    def passenger_name(self, scan: BoardingScan) -> str:
        return scan.passenger.name if scan.passenger else "—"

    @admin.display(description="trip boarding")
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
            scope_queryset(Trip.objects.select_related("route"), self._scope(request).visible)
            .filter(pk=trip_id)
            .first()
        )
        if trip is None:
            raise Http404("No such trip.")
        return TemplateResponse(
            request,
            "admin/booking/boarding/trip.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Boarding of {trip}",
                "opts": self.model._meta,
                **boarding_sheet(trip),
            },
        )


@admin.register(BoardingConflict)
class BoardingConflictAdmin(ReadOnlyScopedAdmin):
    """Tickets two devices both let in while offline: the earlier scan boarded the
    passenger, the later one is listed here for the company to look into."""

    list_display = [
        "created_at",
        "trip",
        "pnr",
        "passenger_name",
        "winner_scan",
        "loser_scan",
        "trip_boarding",
    ]
    list_filter = [CompanyListFilter, TripListFilter, "created_at"]
    list_select_related = [
        "trip__route",
        "passenger__pnr__origin",
        "winner__scanned_by",
        "winner__station",
        "loser__scanned_by",
        "loser__station",
    ]
    search_fields = ["passenger__pnr__number"]
    search_help_text = "Search by PNR."
    fields = ["trip", "passenger", "winner", "loser", "created_at"]
    readonly_fields = fields

    @admin.display(description="PNR", ordering="passenger__pnr__number")
    def pnr(self, conflict: BoardingConflict) -> str:
        return conflict.passenger.pnr.number

    @admin.display(description="passenger")
    def passenger_name(self, conflict: BoardingConflict) -> str:
        return conflict.passenger.name

    @admin.display(description="boarded by (the earlier scan)")
    def winner_scan(self, conflict: BoardingConflict) -> str:
        return str(scan_line_of(conflict.winner, conflict.passenger))

    @admin.display(description="also let in by (the later scan)")
    def loser_scan(self, conflict: BoardingConflict) -> str:
        return str(scan_line_of(conflict.loser, conflict.passenger))

    @admin.display(description="trip boarding")
    def trip_boarding(self, conflict: BoardingConflict) -> str:
        return _trip_boarding_link(conflict.trip_id)


# --- Trips: the changes that carry bookings along ------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Passengers are told why.",
    )


class SwapVehicleForm(forms.Form):
    vehicle = forms.ModelChoiceField(
        queryset=Vehicle.objects.none(), help_text="An active vehicle of the trips' company."
    )
    reason = forms.CharField(
        max_length=300, required=False, widget=forms.TextInput(attrs={"size": 60})
    )

    def __init__(self, *args, company_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].queryset = Vehicle.objects.filter(
            company_id__in=company_ids, is_active=True
        ).order_by("code")


admin.site.unregister(Trip)


@admin.register(Trip)
class TripAdmin(FleetTripAdmin):
    """Fleet's trip admin, plus the operations that carry a trip's bookings along:
    cancelling (every booking refunded) and swapping the vehicle (passengers reseated). Every
    status change of its actions goes through `trip_status_change`, as the operator API's."""

    actions = [*FleetTripAdmin.actions, "cancel", "swap_vehicle"]

    def transition(self, *, trip, to_status, by, reason=""):
        trip_status_change(trip=trip, to_status=to_status, by=by, reason=reason)

    def _editable(self, request, queryset):
        """The selected trips the user may change, in pk order; says which are refused."""
        trips = []
        for trip in queryset.select_related("route__company").order_by("pk"):
            if self.has_change_permission(request, trip):
                trips.append(trip)
            else:
                self.message_user(
                    request,
                    f"{trip}: your role in its company does not allow changing trips.",
                    messages.ERROR,
                )
        return trips

    @admin.action(description="Cancel (asks for a reason)", permissions=["change"])
    def cancel(self, request, queryset):
        """Cancel the trips and every booking on them (`trip_status_change`: full refunds,
        passengers told the reason). On a trip already cancelled it finishes cancelling
        bookings left active."""
        form = CancelForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for trip in self._editable(request, queryset):
                try:
                    change = trip_status_change(
                        trip=trip,
                        to_status=TripStatus.CANCELLED,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except DomainError as exc:
                    self.message_user(request, f"{trip}: {exc.message}", messages.ERROR)
                    continue
                self._report_cancel(request, trip, change.cancel)
            return None
        return TemplateResponse(
            request,
            "admin/fleet/trip/cancel.html",
            {
                **self.admin_site.each_context(request),
                "title": "Cancel trips",
                "opts": self.model._meta,
                "trips": queryset,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _report_cancel(self, request, trip, result):
        done = (
            f"{len(result.cancellations)} booking(s) cancelled, "
            f"{format_money(result.refunded)} refunded in full"
        )
        if result.resumed:
            self.message_user(request, f"{trip} was already cancelled; {done}.", messages.SUCCESS)
        else:
            self.message_user(request, f"{trip} cancelled; {done}.", messages.SUCCESS)
        if result.pending:
            self.message_user(
                request,
                f"{trip}: PNR(s) {', '.join(result.pending)} were "
                "busy and are not cancelled yet; cancel the trip again to "
                "finish.",
                messages.WARNING,
            )

    @admin.action(description="Swap vehicle (asks which)", permissions=["change"])
    def swap_vehicle(self, request, queryset):
        """Move the trips to another vehicle of their company, with their passengers
        (`vehicle_swap`): refused, saying why, when the vehicle is too small
        for the seats sold."""
        companies = set(queryset.values_list("route__company_id", flat=True))
        if len(companies) != 1:
            self.message_user(
                request, "Choose trips of one company to swap their vehicle.", messages.ERROR
            )
            return None
        form = SwapVehicleForm(
            request.POST if "vehicle" in request.POST else None, company_ids=companies
        )
        if form.is_bound and form.is_valid():
            vehicle = form.cleaned_data["vehicle"]
            for trip in self._editable(request, queryset):
                try:
                    result = vehicle_swap(
                        trip=trip,
                        vehicle=vehicle,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                except DomainError as exc:
                    self.message_user(request, f"{trip}: {exc.message}", messages.ERROR)
                    continue
                self.message_user(
                    request,
                    f"{trip} now runs with {vehicle.code}: {result.kept} "
                    f"passenger(s) kept their seats, {len(result.reseated)} moved (and told).",
                    messages.SUCCESS,
                )
            return None
        return TemplateResponse(
            request,
            "admin/fleet/trip/swap_vehicle.html",
            {
                **self.admin_site.each_context(request),
                "title": "Swap the vehicle of trips",
                "opts": self.model._meta,
                "trips": queryset.select_related("vehicle"),
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
