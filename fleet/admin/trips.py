"""Trips in the admin: vehicle and drivers edited, status moved by actions, each through
fleet's services (booking's trip admin extends this one with the workflows that carry
bookings along)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ttms.accounts.models import Role
from ttms.audit.admin import AuditHistoryMixin
from ttms.exceptions import DomainError
from ttms.localtime import local_datetime

from ..admin_display import (
    ARRIVAL_HEADER,
    DEPARTURE_HEADER,
    TripDayFilter,
    trip_arrival,
    trip_departure,
    trip_zones,
)
from ..admin_scoping import (
    CompanyListFilter,
    CompanyScopedAdmin,
    CompanyScopedInline,
    ReadOnlyInlineMixin,
)
from ..conflicts import VEHICLE, assignment_conflicts
from ..exceptions import AssignmentConflict
from ..models import Trip, TripEvent, TripStatus
from ..sales import seats_sold
from ..services import (
    VEHICLE_SWAP_NEEDED,
    trip_delete,
    trip_locked_message,
    trip_transition,
    trip_update,
)
from .trip_conflicts import TripConflictFilter


class TripEventInline(ReadOnlyInlineMixin, CompanyScopedInline, admin.TabularInline):
    model = TripEvent
    fields = ["at_local", "action", "from_status", "to_status", "by", "reason", "details"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("trip__route__company", "by")

    @admin.display(description=gettext_lazy("at (operator's local time)"))
    def at_local(self, event: TripEvent) -> str:
        return local_datetime(event.at, event.trip.route.company.time_zone)


class TripForm(forms.ModelForm):
    class Meta:
        model = Trip
        fields = ["vehicle", "drivers"]

    def clean(self):
        cleaned = super().clean()
        # Re-read the status: the trip may have departed since the page was opened.
        if self.instance.pk and Trip.objects.get(pk=self.instance.pk).is_locked:
            raise ValidationError(_locked_message_for(self.instance.pk))
        if (
            "vehicle" in self.changed_data
            and self.instance.pk
            and seats_sold(trip_id=self.instance.pk)
        ):
            self.add_error("vehicle", VEHICLE_SWAP_NEEDED)
        self._check_assignments(cleaned)
        return cleaned

    def _check_assignments(self, cleaned) -> None:
        """The overlap rule, said on the fields before saving; `trip_update` checks it
        again under the vehicle's and drivers' row locks."""
        trip = self.instance
        if not trip.pk or self.errors:
            return
        vehicle = cleaned.get("vehicle") if "vehicle" in self.changed_data else None
        current = set(trip.drivers.values_list("pk", flat=True))
        added = [d for d in cleaned.get("drivers") or () if d.pk not in current]
        conflicts = assignment_conflicts(
            vehicle=vehicle,
            drivers=added,
            departure_at=trip.departure_at,
            arrival_at=trip.arrival_at,
            exclude_trip_id=trip.pk,
        )
        for conflict in conflicts:
            self.add_error("vehicle" if conflict.kind == VEHICLE else "drivers", conflict.message)


def _locked_message_for(pk: int) -> str:
    return trip_locked_message(Trip.objects.select_related("route__company").get(pk=pk))


@admin.register(Trip)
class TripAdmin(AuditHistoryMixin, CompanyScopedAdmin):
    form = TripForm
    list_display = [
        "route_number",
        "route_name",
        "service_date",
        "departure_local",
        "arrival_local",
        "status",
        "vehicle",
    ]
    list_filter = ["status", TripDayFilter, CompanyListFilter, TripConflictFilter]
    list_select_related = ["route", "route__company", "vehicle"]
    search_fields = ["route__number", "route__name", "vehicle__code"]
    search_help_text = gettext_lazy("The route's number or name, or the vehicle's code.")
    autocomplete_fields = ["vehicle"]
    readonly_fields = [
        "route",
        "service_date",
        "departure_local",
        "arrival_local",
        "status",
        "status_changed_local",
        "created_local",
    ]
    fields = [
        "route",
        "service_date",
        "departure_local",
        "arrival_local",
        "status",
        "status_changed_local",
        "vehicle",
        "drivers",
        "created_local",
    ]
    filter_horizontal = ["drivers"]
    inlines = [TripEventInline]
    # Cancelling and swapping the vehicle carry bookings along: booking's admin adds them.
    actions = ["start_boarding", "depart", "arrive"]
    ordering = ["departure_at"]
    show_full_result_count = False

    @admin.display(description=gettext_lazy("number"), ordering="route__number")
    def route_number(self, trip):
        return trip.route.number

    @admin.display(description=gettext_lazy("name"))
    def route_name(self, trip):
        return trip.route.name

    @admin.display(description=DEPARTURE_HEADER, ordering="departure_at")
    def departure_local(self, trip):
        return trip_departure(trip)

    @admin.display(description=ARRIVAL_HEADER, ordering="arrival_at")
    def arrival_local(self, trip):
        return trip_arrival(trip)

    @admin.display(description=gettext_lazy("status changed (first stop's local time)"))
    def status_changed_local(self, trip):
        return local_datetime(trip.status_changed_at, trip.departure_zone_name) or "—"

    @admin.display(description=gettext_lazy("created (first stop's local time)"))
    def created_local(self, trip):
        return local_datetime(trip.created_at, trip.departure_zone_name)

    def get_queryset(self, request):
        return trip_zones(super().get_queryset(request))

    def has_add_permission(self, request):
        # Trips come from their route's timetable ("Generate trips" on routes).
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_locked:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would bypass the refusal for departed trips; delete one by one.
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_locked:
            return [*self.readonly_fields, "vehicle", "drivers"]
        return self.readonly_fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "drivers":
            field.queryset = field.queryset.filter(memberships__role=Role.DRIVER).distinct()
        return field

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.is_locked:
            message = _locked_message_for(obj.pk)
            if request.method == "POST":
                self.message_user(request, message, messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(request, message, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AssignmentConflict as exc:
            # Another save took the vehicle or a driver after this form was checked: the
            # service refused under their locks and wrote nothing.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request, obj, form, change):
        # Vehicle and drivers are written by the service in save_related, under its lock.
        pass

    def save_related(self, request, form, formsets, change):
        # Only the fields the form shows: a read-only vehicle is not set to nothing.
        changes = {
            name: form.cleaned_data[name]
            for name in ("vehicle", "drivers")
            if name in form.cleaned_data
        }
        trip_update(trip=form.instance, by=request.user, **changes)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        trip_delete(trip=obj, by=request.user)

    def _transition(self, request, queryset, to_status, reason=""):
        done = 0
        for trip in queryset.order_by("pk"):
            try:
                self.transition(trip=trip, to_status=to_status, by=request.user, reason=reason)
                done += 1
            except DomainError as exc:
                self.message_user(
                    request,
                    _("{trip}: {message}").format(trip=trip, message=exc.message),
                    messages.ERROR,
                )
        if done:
            label = TripStatus(to_status).label.lower()
            message = ngettext(
                "{count} trip now {status}.", "{count} trips now {status}.", done
            ).format(count=done, status=label)
            self.message_user(request, message, messages.SUCCESS)

    def transition(self, *, trip, to_status, by, reason=""):
        """The status change the actions make: fleet's status machine here; booking's trip
        admin routes it through booking's `trip_status_change`."""
        trip_transition(trip=trip, to_status=to_status, by=by, reason=reason)

    @admin.action(description=gettext_lazy("Start boarding"), permissions=["change"])
    def start_boarding(self, request, queryset):
        self._transition(request, queryset, TripStatus.BOARDING)

    @admin.action(description=gettext_lazy("Mark departed"), permissions=["change"])
    def depart(self, request, queryset):
        self._transition(request, queryset, TripStatus.DEPARTED)

    @admin.action(description=gettext_lazy("Mark arrived"), permissions=["change"])
    def arrive(self, request, queryset):
        self._transition(request, queryset, TripStatus.ARRIVED)
