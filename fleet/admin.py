"""Admin for operator staff: company-scoped everywhere (fleet.admin_scoping), state changes
through fleet.services."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.utils import timezone

from ttms.accounts.models import Role
from ttms.audit.admin import AuditHistoryMixin
from ttms.exceptions import DomainError

from .admin_scoping import (
    CompanyListFilter,
    CompanyScopedAdmin,
    CompanyScopedInline,
    ReadOnlyInlineMixin,
)
from .layouts import LayoutError, layout_seats
from .models import (
    Coach,
    Company,
    CompanyMembership,
    Route,
    RouteException,
    RouteStop,
    Seat,
    SeatLayout,
    Station,
    StationAlias,
    TravelClass,
    Trip,
    TripEvent,
    TripStatus,
    Vehicle,
    Weekday,
)
from .sales import seats_sold
from .services import (
    VEHICLE_SWAP_NEEDED,
    coach_build_seats,
    company_save,
    route_check_editable,
    route_stops_validate,
    trip_delete,
    trip_locked_message,
    trip_transition,
    trip_update,
    trips_generate,
    vehicle_check_editable,
)

# --- Companies and staff -------------------------------------------------------------------------


@admin.register(Company)
class CompanyAdmin(AuditHistoryMixin, CompanyScopedAdmin):
    # Company settings (commission, refunds, quotas) belong to its company admins only.
    editor_roles = frozenset({Role.COMPANY_ADMIN})
    list_display = [
        "name",
        "slug",
        "kind",
        "time_zone",
        "commission_bp",
        "refund_policy",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self._scope(request).is_platform:
            # The platform's share and the identity of a company are the platform's to set.
            fields += ["slug", "kind", "commission_bp", "is_active"]
        return fields

    def has_add_permission(self, request):
        return self._is_staff(request) and self._scope(request).is_platform

    def has_delete_permission(self, request, obj=None):
        return self._is_staff(request) and self._scope(request).is_platform

    def save_model(self, request, obj, form, change):
        company_save(company=obj, by=request.user)


@admin.register(CompanyMembership)
class CompanyMembershipAdmin(CompanyScopedAdmin):
    editor_roles = frozenset({Role.COMPANY_ADMIN})
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role", CompanyListFilter]
    list_select_related = ["user", "company"]
    search_fields = ["user__email", "user__full_name"]
    # A raw id, not a list of every account on the platform.
    raw_id_fields = ["user"]


# --- Stations -----------------------------------------------------------------------------------


class StationAliasInline(CompanyScopedInline, admin.TabularInline):
    model = StationAlias
    fields = ["name"]
    extra = 1


@admin.register(Station)
class StationAdmin(CompanyScopedAdmin):
    list_display = [
        "code",
        "name",
        "city",
        "region",
        "time_zone",
        "latitude",
        "longitude",
        "company",
    ]
    list_filter = [CompanyListFilter, "time_zone"]
    list_select_related = ["company"]
    search_fields = ["code", "name", "search_name"]
    inlines = [StationAliasInline]
    show_full_result_count = False


# --- Classes, layouts, vehicles -------------------------------------------------------------------


@admin.register(TravelClass)
class TravelClassAdmin(CompanyScopedAdmin):
    list_display = ["code", "name", "is_sleeper", "rank", "company"]
    list_filter = [CompanyListFilter]
    search_fields = ["code", "name"]


@admin.register(SeatLayout)
class SeatLayoutAdmin(CompanyScopedAdmin):
    list_display = ["name", "kind", "rows", "seat_count", "company"]
    list_filter = ["kind", CompanyListFilter]
    search_fields = ["name"]
    readonly_fields = ["plan"]
    fields = ["name", "company", "kind", "rows", "grid", "rac_berths", "plan"]

    @admin.display(description="seats")
    def seat_count(self, layout):
        try:
            return len(layout_seats(layout))
        except LayoutError:
            return "—"

    @admin.display(description="plan (berth types, row by row)")
    def plan(self, layout):
        try:
            seats = layout_seats(layout)
        except LayoutError as exc:
            return str(exc)
        rows: dict[int, list[str]] = {}
        for seat in seats:
            # Two-letter berth codes as they are (LB, SU); seats by initial (W, M, A).
            kind = seat.berth_type if len(seat.berth_type) == 2 else seat.berth_type[0]
            rac = "*" if seat.is_rac else ""
            rows.setdefault(seat.row, []).append(f"{seat.number}{kind}{rac}")
        return " | ".join(" ".join(r) for r in rows.values()) + " (* RAC)"


class CoachFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        rebuilt = [f for f in self.forms if f.has_changed() and "layout" in f.changed_data]
        if rebuilt and self.instance.pk:
            # The check coach_build_seats makes, asked before anything is saved.
            try:
                vehicle_check_editable(vehicle_id=self.instance.pk)
            except DomainError as exc:
                raise ValidationError(exc.message) from exc


class CoachInline(CompanyScopedInline, admin.TabularInline):
    model = Coach
    formset = CoachFormSet
    fields = ["position", "code", "travel_class", "layout", "seat_count"]
    readonly_fields = ["seat_count"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(seats_total=Count("seats"))

    @admin.display(description="seats")
    def seat_count(self, coach):
        return getattr(coach, "seats_total", None)


@admin.register(Vehicle)
class VehicleAdmin(CompanyScopedAdmin):
    list_display = ["code", "name", "kind", "company", "classes", "is_active"]
    list_filter = ["kind", "is_active", CompanyListFilter]
    list_select_related = ["company"]
    search_fields = ["code", "name"]
    inlines = [CoachInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("coaches__travel_class")

    @admin.display(description="coaches")
    def classes(self, vehicle):
        return " ".join(f"{c.code}:{c.travel_class.code}" for c in vehicle.coaches.all())

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not Coach:
            return
        for coach_form in formset.forms:
            coach = coach_form.instance
            if (
                coach.pk
                and coach.layout_id
                and coach_form not in formset.deleted_forms
                and ("layout" in coach_form.changed_data or not coach.seats.exists())
            ):
                seats = coach_build_seats(coach=coach)
                self.message_user(
                    request, f"Coach {coach.code}: {len(seats)} seats built from {coach.layout}."
                )


class SeatInline(CompanyScopedInline, admin.TabularInline):
    model = Seat
    fields = ["number", "berth_type", "is_rac", "row", "column"]
    extra = 0


@admin.register(Coach)
class CoachAdmin(CompanyScopedAdmin):
    list_display = ["__str__", "travel_class", "layout", "position"]
    list_filter = [("travel_class", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["vehicle", "travel_class", "layout"]
    search_fields = ["vehicle__code", "code"]
    autocomplete_fields = ["vehicle"]
    inlines = [SeatInline]
    actions = ["rebuild_seats"]
    show_full_result_count = False

    @admin.action(description="Rebuild the seats from the coach's layout", permissions=["change"])
    def rebuild_seats(self, request, queryset):
        done = 0
        for coach in queryset.select_related("layout"):
            try:
                coach_build_seats(coach=coach)
                done += 1
            except (DomainError, ValidationError) as exc:
                message = exc.message if isinstance(exc, DomainError) else " ".join(exc.messages)
                self.message_user(request, f"{coach}: {message}", messages.ERROR)
        if done:
            self.message_user(request, f"Seats rebuilt for {done} coaches.")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.layout_id and ("layout" in form.changed_data or not obj.seats.exists()):
            coach_build_seats(coach=obj)


# --- Routes ---------------------------------------------------------------------------------------


class RouteForm(forms.ModelForm):
    running_days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Weekdays it leaves its first stop (none: only on the dates added below).",
    )

    class Meta:
        model = Route
        fields = [
            "company",
            "code",
            "number",
            "name",
            "departure_times",
            "running_days",
            "valid_from",
            "valid_to",
            "default_vehicle",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.instance.running_days if self.instance.pk else sum(Weekday.values)
        self.initial["running_days"] = [d.value for d in Weekday if days & d.value]

    def clean_running_days(self):
        return sum(set(self.cleaned_data["running_days"]))


class RouteStopFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        if self.has_changed():
            try:
                route_check_editable(route=self.instance)
            except DomainError as exc:
                raise ValidationError(exc.message) from exc
        stops = sorted(
            (
                form.cleaned_data
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ),
            key=lambda data: data["sequence"],
        )
        sequences = [s["sequence"] for s in stops]
        if len(set(sequences)) != len(sequences):
            raise ValidationError("Two stops have the same sequence number.")
        route_stops_validate(stops)


class RouteStopInline(CompanyScopedInline, admin.TabularInline):
    model = RouteStop
    formset = RouteStopFormSet
    fields = ["sequence", "station", "distance_km", "arrival_offset", "departure_offset"]
    autocomplete_fields = ["station"]
    extra = 0


class RouteExceptionInline(CompanyScopedInline, admin.TabularInline):
    model = RouteException
    fields = ["date", "kind"]
    extra = 0


@admin.register(Route)
class RouteAdmin(CompanyScopedAdmin):
    form = RouteForm
    list_display = [
        "number",
        "name",
        "company",
        "departure_times_short",
        "days",
        "valid_from",
        "valid_to",
        "default_vehicle",
        "is_active",
    ]
    list_filter = ["is_active", CompanyListFilter]
    list_select_related = ["company", "default_vehicle"]
    search_fields = ["number", "name", "code"]
    autocomplete_fields = ["default_vehicle"]
    inlines = [RouteStopInline, RouteExceptionInline]
    actions = ["generate_trips"]
    show_full_result_count = False

    @admin.display(description="departures")
    def departure_times_short(self, route):
        times = route.departure_times.split()
        return " ".join(times[:4]) + (f" … ({len(times)})" if len(times) > 4 else "")

    @admin.display(description="runs")
    def days(self, route):
        return route.running_day_labels()

    @admin.action(description="Generate trips for the next 60 days", permissions=["change"])
    def generate_trips(self, request, queryset):
        today = timezone.localdate()
        report = trips_generate(start=today, end=today + timedelta(days=59), routes=queryset)
        self.message_user(request, f"{today}..{today + timedelta(days=59)}: {report}.")


# --- Trips ----------------------------------------------------------------------------------------


class TripEventInline(ReadOnlyInlineMixin, CompanyScopedInline, admin.TabularInline):
    model = TripEvent
    fields = ["at", "action", "from_status", "to_status", "by", "reason", "details"]
    readonly_fields = fields


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
        return cleaned


def _locked_message_for(pk: int) -> str:
    return trip_locked_message(Trip.objects.select_related("route__company").get(pk=pk))


@admin.register(Trip)
class TripAdmin(AuditHistoryMixin, CompanyScopedAdmin):
    form = TripForm
    list_display = [
        "route_number",
        "route_name",
        "service_date",
        "departure_at",
        "arrival_at",
        "status",
        "vehicle",
    ]
    list_filter = ["status", CompanyListFilter]
    list_select_related = ["route", "route__company", "vehicle"]
    search_fields = ["route__number", "route__name"]
    autocomplete_fields = ["vehicle"]
    readonly_fields = [
        "route",
        "service_date",
        "departure_at",
        "arrival_at",
        "status",
        "status_changed_at",
        "created_at",
    ]
    fields = [
        "route",
        "service_date",
        "departure_at",
        "arrival_at",
        "status",
        "status_changed_at",
        "vehicle",
        "drivers",
        "created_at",
    ]
    filter_horizontal = ["drivers"]
    inlines = [TripEventInline]
    # Cancelling and swapping the vehicle carry bookings along: booking's admin adds them.
    actions = ["start_boarding", "depart", "arrive"]
    ordering = ["departure_at"]
    show_full_result_count = False

    @admin.display(description="number", ordering="route__number")
    def route_number(self, trip):
        return trip.route.number

    @admin.display(description="name")
    def route_name(self, trip):
        return trip.route.name

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
                self.message_user(request, f"{trip}: {exc.message}", messages.ERROR)
        if done:
            label = TripStatus(to_status).label.lower()
            self.message_user(request, f"{done} trip(s) now {label}.", messages.SUCCESS)

    def transition(self, *, trip, to_status, by, reason=""):
        """The status change the actions make: fleet's status machine here; booking's trip
        admin routes it through booking's `trip_status_change`."""
        trip_transition(trip=trip, to_status=to_status, by=by, reason=reason)

    @admin.action(description="Start boarding", permissions=["change"])
    def start_boarding(self, request, queryset):
        self._transition(request, queryset, TripStatus.BOARDING)

    @admin.action(description="Mark departed", permissions=["change"])
    def depart(self, request, queryset):
        self._transition(request, queryset, TripStatus.DEPARTED)

    @admin.action(description="Mark arrived", permissions=["change"])
    def arrive(self, request, queryset):
        self._transition(request, queryset, TripStatus.ARRIVED)
