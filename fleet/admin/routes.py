"""Routes, their stops and exceptions in the admin, and the trips generated from them."""

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ttms.audit.admin import AuditHistoryMixin
from ttms.audit.admin_saves import AuditSavesMixin
from ttms.exceptions import DomainError

from ..admin_scoping import CompanyListFilter, CompanyScopedAdmin, CompanyScopedInline
from ..models import Route, RouteException, RouteStop, Weekday
from ..services import route_check_editable, route_stops_validate, trips_generate


class RouteForm(forms.ModelForm):
    running_days = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Weekdays it leaves its first stop (none: only on the dates added below)."
        ),
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
            raise ValidationError(_("Two stops have the same sequence number."))
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
class RouteAdmin(AuditSavesMixin, AuditHistoryMixin, CompanyScopedAdmin):
    audit_name = "route"
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
    search_fields = ["number", "name", "code", "stops__station__code", "stops__station__name"]
    search_help_text = gettext_lazy("Number, name or code, or a station it calls at.")
    autocomplete_fields = ["default_vehicle"]
    inlines = [RouteStopInline, RouteExceptionInline]
    actions = ["generate_trips"]
    show_full_result_count = False

    @admin.display(description=gettext_lazy("departures"))
    def departure_times_short(self, route):
        times = route.departure_times.split()
        return " ".join(times[:4]) + (f" … ({len(times)})" if len(times) > 4 else "")

    @admin.display(description=gettext_lazy("runs"))
    def days(self, route):
        return route.running_day_labels()

    @admin.action(
        description=gettext_lazy("Generate trips for the next 60 days"), permissions=["change"]
    )
    def generate_trips(self, request, queryset):
        today = timezone.localdate()
        report = trips_generate(start=today, end=today + timedelta(days=59), routes=queryset)
        self.message_user(
            request,
            _("{start}..{end}: {report}.").format(
                start=today, end=today + timedelta(days=59), report=report
            ),
        )
