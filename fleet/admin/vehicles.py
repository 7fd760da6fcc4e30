"""Travel classes, seat layouts, vehicles, their coaches and seats in the admin; seats are
built from a coach's layout by fleet's service."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ttms.audit.admin import AuditHistoryMixin
from ttms.audit.admin_saves import AuditSavesMixin
from ttms.exceptions import DomainError

from ..admin_scoping import CompanyListFilter, CompanyScopedAdmin, CompanyScopedInline
from ..layouts import LayoutError, layout_seats
from ..models import Coach, Seat, SeatLayout, TravelClass, Vehicle
from ..services import coach_build_seats, vehicle_check_editable


@admin.register(TravelClass)
class TravelClassAdmin(AuditSavesMixin, AuditHistoryMixin, CompanyScopedAdmin):
    audit_name = "travel_class"
    list_display = ["code", "name", "is_sleeper", "rank", "company"]
    list_filter = [CompanyListFilter]
    search_fields = ["code", "name"]


@admin.register(SeatLayout)
class SeatLayoutAdmin(AuditSavesMixin, AuditHistoryMixin, CompanyScopedAdmin):
    audit_name = "seat_layout"
    list_display = ["name", "kind", "rows", "seat_count", "company"]
    list_filter = ["kind", CompanyListFilter]
    search_fields = ["name"]
    readonly_fields = ["plan"]
    fields = ["name", "company", "kind", "rows", "grid", "rac_berths", "plan"]

    @admin.display(description=gettext_lazy("seats"))
    def seat_count(self, layout):
        try:
            return len(layout_seats(layout))
        except LayoutError:
            return "—"

    @admin.display(description=gettext_lazy("plan (berth types, row by row)"))
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
        return " | ".join(" ".join(r) for r in rows.values()) + str(_(" (* RAC)"))


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

    @admin.display(description=gettext_lazy("seats"))
    def seat_count(self, coach):
        return getattr(coach, "seats_total", None)


@admin.register(Vehicle)
class VehicleAdmin(AuditSavesMixin, AuditHistoryMixin, CompanyScopedAdmin):
    audit_name = "vehicle"
    list_display = ["code", "name", "kind", "company", "classes", "is_active"]
    list_filter = ["kind", "is_active", CompanyListFilter]
    search_help_text = gettext_lazy("Registration or rake code, or name.")
    list_select_related = ["company"]
    search_fields = ["code", "name"]
    inlines = [CoachInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("coaches__travel_class")

    @admin.display(description=gettext_lazy("coaches"))
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
                message = ngettext(
                    "Coach {coach}: {count} seat built from {layout}.",
                    "Coach {coach}: {count} seats built from {layout}.",
                    len(seats),
                ).format(coach=coach.code, count=len(seats), layout=coach.layout)
                self.message_user(request, message)


class SeatInline(CompanyScopedInline, admin.TabularInline):
    model = Seat
    fields = ["number", "berth_type", "is_rac", "row", "column"]
    extra = 0


@admin.register(Coach)
class CoachAdmin(AuditSavesMixin, AuditHistoryMixin, CompanyScopedAdmin):
    audit_name = "coach"
    list_display = ["__str__", "travel_class", "layout", "position"]
    list_filter = [("travel_class", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["vehicle", "travel_class", "layout"]
    search_fields = ["vehicle__code", "code"]
    autocomplete_fields = ["vehicle"]
    inlines = [SeatInline]
    actions = ["rebuild_seats"]
    show_full_result_count = False

    @admin.action(
        description=gettext_lazy("Rebuild the seats from the coach's layout"),
        permissions=["change"],
    )
    def rebuild_seats(self, request, queryset):
        done = 0
        for coach in queryset.select_related("layout"):
            try:
                coach_build_seats(coach=coach)
                done += 1
            except (DomainError, ValidationError) as exc:
                message = exc.message if isinstance(exc, DomainError) else " ".join(exc.messages)
                self.message_user(
                    request,
                    _("{coach}: {message}").format(coach=coach, message=message),
                    messages.ERROR,
                )
        if done:
            self.message_user(
                request,
                ngettext(
                    "Seats rebuilt for {count} coach.", "Seats rebuilt for {count} coaches.", done
                ).format(count=done),
            )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.layout_id and ("layout" in form.changed_data or not obj.seats.exists()):
            coach_build_seats(coach=obj)
