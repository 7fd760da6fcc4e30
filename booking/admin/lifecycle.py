"""What happens to a trip's bookings after the sale: its chart as prepared (frozen, with a
printable page), and the trip admin's actions that carry the bookings along: cancelling a
trip and swapping its vehicle."""

from itertools import groupby

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fleet.admin.trips import TripAdmin as FleetTripAdmin
from fleet.admin_display import TripDayFilter
from fleet.admin_scoping import (
    CompanyListFilter,
    ReadOnlyScopedAdmin,
)
from fleet.models import RouteStop, Trip, TripStatus, Vehicle
from ttms.exceptions import DomainError
from ttms.localtime import local_datetime
from ttms.money import format_money

from ..lifecycle.services.swap import vehicle_swap
from ..lifecycle.services.trips import trip_status_change
from ..models import (
    Chart,
)


class ChartDayFilter(TripDayFilter):
    """Charts by their trip's day of the timetable."""

    day_field = "trip__service_date"
    zone_field = "trip__route__company__time_zone"


@admin.register(Chart)
class ChartAdmin(ReadOnlyScopedAdmin):
    """A trip's chart as prepared (frozen): its summary here, its passengers on the change
    page and on a printable page (`print/`), coach by coach, berth by berth."""

    list_display = ["trip", "prepared_local", "prepared_by", "passengers", "print_link"]
    list_filter = [ChartDayFilter, CompanyListFilter]
    list_select_related = ["trip__route__company", "prepared_by"]
    search_fields = ["trip__route__number", "trip__route__name"]
    search_help_text = gettext_lazy("The trip's number or name.")
    fields = ["trip", "prepared_local", "prepared_by", "summary_display"]
    readonly_fields = fields

    @admin.display(
        description=gettext_lazy("prepared (operator's local time)"), ordering="prepared_at"
    )
    def prepared_local(self, chart: Chart) -> str:
        return local_datetime(chart.prepared_at, chart.trip.route.company.time_zone)

    change_form_template = "admin/booking/chart/change_form.html"

    @admin.display(description=gettext_lazy("passengers"))
    def passengers(self, chart: Chart) -> int:
        return len(chart.rows)

    @admin.display(description=gettext_lazy("print"))
    def print_link(self, chart: Chart) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:booking_chart_print", args=[chart.pk]), _("Print")
        )

    @admin.display(description=gettext_lazy("what charting did"))
    def summary_display(self, chart: Chart) -> str:
        s = chart.summary
        return _(
            "{women} LADIES berth(s) to waitlisted women, {seniors} to seniors; {promoted} "
            "other promotion(s); {cancelled} waitlisted PNR(s) cancelled, {refunded} refunded. "
            "On the chart: {confirmed} CNF, {rac} RAC, {waitlisted} WL."
        ).format(
            women=s.get("released_to_women", 0),
            seniors=s.get("released_to_seniors", 0),
            promoted=s.get("promoted", 0),
            cancelled=s.get("pnrs_cancelled", 0),
            refunded=format_money(s.get("refunded", 0), chart.trip.route.company.currency),
            confirmed=s.get("confirmed", 0),
            rac=s.get("rac", 0),
            waitlisted=s.get("waitlisted", 0),
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
            raise Http404(_("No such chart."))
        if not self.has_view_permission(request, chart):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/booking/chart/print.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Chart of {trip}").format(trip=chart.trip),
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
    zone_name = first.station.time_zone if first else trip.route.company.time_zone
    seated = [row for row in chart.rows if row["coach"]]
    coaches = [
        {"coach": coach, "class": rows[0]["class"], "rows": rows}
        for coach, group in groupby(seated, key=lambda row: row["coach"])
        for rows in [list(group)]
    ]
    return {
        "trip_number": trip.route.number,
        "trip_name": trip.route.name,
        "departure": local_datetime(trip.departure_at, zone_name),
        "prepared": local_datetime(chart.prepared_at, zone_name),
        "origin": first.station.name if first else "",
        "coaches": coaches,
        "waitlisted": [row for row in chart.rows if not row["coach"]],
    }


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.TextInput(attrs={"size": 60}),
        label=gettext_lazy("Reason"),
        help_text=gettext_lazy("Passengers are told why."),
    )


class SwapVehicleForm(forms.Form):
    vehicle = forms.ModelChoiceField(
        queryset=Vehicle.objects.none(),
        label=gettext_lazy("Vehicle"),
        help_text=gettext_lazy("An active vehicle of the trips' company."),
    )
    reason = forms.CharField(
        max_length=300,
        required=False,
        label=gettext_lazy("Reason"),
        widget=forms.TextInput(attrs={"size": 60}),
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
                    _("{trip}: your role in its company does not allow changing trips.").format(
                        trip=trip
                    ),
                    messages.ERROR,
                )
        return trips

    @admin.action(description=gettext_lazy("Cancel (asks for a reason)"), permissions=["change"])
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
                    self.message_user(
                        request,
                        _("{trip}: {message}").format(trip=trip, message=exc.message),
                        messages.ERROR,
                    )
                    continue
                self._report_cancel(request, trip, change.cancel)
            return None
        return TemplateResponse(
            request,
            "admin/fleet/trip/cancel.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Cancel trips"),
                "opts": self.model._meta,
                "trips": queryset,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _report_cancel(self, request, trip, result):
        if result.resumed:
            done = _(
                "{trip} was already cancelled; {count} booking(s) cancelled, {refunded} "
                "refunded in full."
            )
        else:
            done = _("{trip} cancelled; {count} booking(s) cancelled, {refunded} refunded in full.")
        self.message_user(
            request,
            done.format(
                trip=trip,
                count=len(result.cancellations),
                refunded=format_money(result.refunded, trip.route.company.currency),
            ),
            messages.SUCCESS,
        )
        if result.pending:
            self.message_user(
                request,
                _(
                    "{trip}: PNR(s) {numbers} were busy and are not cancelled yet; cancel the "
                    "trip again to finish."
                ).format(trip=trip, numbers=", ".join(result.pending)),
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Swap vehicle (asks which)"), permissions=["change"])
    def swap_vehicle(self, request, queryset):
        """Move the trips to another vehicle of their company, with their passengers
        (`vehicle_swap`): refused, saying why, when the vehicle is too small for the
        seats sold or lacks a class sold (unless the operator upgrades, which it reports)."""
        companies = set(queryset.values_list("route__company_id", flat=True))
        if len(companies) != 1:
            self.message_user(
                request, _("Choose trips of one company to swap their vehicle."), messages.ERROR
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
                    self.message_user(
                        request,
                        _("{trip}: {message}").format(trip=trip, message=exc.message),
                        messages.ERROR,
                    )
                    continue
                done = _(
                    "{trip} now runs with {vehicle}: {kept} passenger(s) kept their seats, "
                    "{moved} moved (and told)."
                ).format(
                    trip=trip,
                    vehicle=vehicle.code,
                    kept=result.kept,
                    moved=len(result.reseated),
                )
                for lacking, given in result.upgrades.items():
                    done += " " + _(
                        "{vehicle} has no {lacking} seats: those passengers were upgraded to "
                        "{given} at the fare they paid."
                    ).format(vehicle=vehicle.code, lacking=lacking, given=given)
                self.message_user(request, done, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/fleet/trip/swap_vehicle.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Swap the vehicle of trips"),
                "opts": self.model._meta,
                "trips": queryset.select_related("vehicle"),
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
