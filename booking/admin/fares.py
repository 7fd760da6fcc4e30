"""Stage fares: a change list to find them, and the editor of one route's table per class (a
grid of boarding stop by alighting stop, in major units of the company's currency), with a
CSV upload. Every change goes through the services that audit it."""

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fleet.admin_scoping import CompanyListFilter, CompanyScopedAdmin
from fleet.models import Route, RouteStop
from fleet.selectors import scope_queryset
from ttms.money import format_money, from_major_string, to_major_string

from ..models import StageFare
from ..sales.fares import tariff_get
from ..sales.services.fares import stage_fares_import, stage_fares_save

DEFAULT_CLASS = "STANDARD"


@dataclass
class Cell:
    name: str  # the input's name
    value: str  # as shown (major units) or as typed
    placeholder: str  # the fare by the class's rate, empty: none
    label: str  # "KGL to MUS"
    error: str = ""


@dataclass
class Row:
    station: object
    cells: list  # one per later stop; None below the diagonal


class FareCsvForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))
    dry_run = forms.BooleanField(label=gettext_lazy("Check only"), required=False)


@admin.register(StageFare)
class StageFareAdmin(CompanyScopedAdmin):
    """Stage fares are listed here and edited a route's table at a time (`grid/`)."""

    list_display = ["route", "class_code", "origin", "destination", "fare"]
    list_filter = [CompanyListFilter, "class_code"]
    list_select_related = ["route__company", "origin", "destination"]
    search_fields = ["route__number", "route__code", "origin__code", "destination__code"]
    change_list_template = "admin/booking/stagefare/change_list.html"

    @admin.display(description=gettext_lazy("fare"), ordering="amount")
    def fare(self, stage_fare: StageFare) -> str:
        return format_money(stage_fare.amount, stage_fare.route.company.currency)

    # Rows are written by the grid and the import (audited), never one by one here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "grid/",
                self.admin_site.admin_view(self.routes_view),
                name="booking_stagefare_routes",
            ),
            path(
                "grid/<int:route_id>/",
                self.admin_site.admin_view(self.grid_view),
                name="booking_stagefare_grid",
            ),
            *super().get_urls(),
        ]

    def _route(self, request, route_id: int) -> Route:
        route = (
            scope_queryset(Route.objects.select_related("company"), self._scope(request).visible)
            .filter(pk=route_id)
            .first()
        )
        if route is None:
            raise Http404(_("No such route."))
        return route

    def routes_view(self, request):
        """The routes whose fare tables the user may see, each linking to its grid."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        routes = scope_queryset(
            Route.objects.select_related("company"), self._scope(request).visible
        ).order_by("company__name", "number", "code")
        return TemplateResponse(
            request,
            "admin/booking/stagefare/routes.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Fare tables"),
                "opts": self.model._meta,
                "routes": routes,
                "default_class": DEFAULT_CLASS,
            },
        )

    def grid_view(self, request, route_id: int):
        """The stage fares of one route in one class (`?class=`), boarding stops down,
        alighting stops across; POST saves every cell at once (an empty cell: the class's
        rate), or, with a file, imports a CSV. Errors are shown by cell or by line and
        nothing is saved."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        route = self._route(request, route_id)
        class_code = (request.GET.get("class") or DEFAULT_CLASS).strip().upper()[:12]
        editable = self._can_edit(request, route)
        stations = _route_stations(route)
        currency = route.company.currency
        saved = {
            (f.origin_id, f.destination_id): f.amount
            for f in StageFare.objects.filter(route=route, class_code=class_code)
        }
        typed = request.POST if request.method == "POST" and "save" in request.POST else None
        upload = FareCsvForm()
        errors: dict[tuple[int, int], str] = {}
        import_errors: list[str] = []
        if request.method == "POST":
            if not editable:
                raise PermissionDenied
            if "save" in request.POST:
                fares, errors = _typed_fares(request.POST, stations, currency)
                if not errors:
                    try:
                        result = stage_fares_save(
                            route=route,
                            fares={(o, d, class_code): a for (o, d), a in fares.items()},
                            by=request.user,
                        )
                    except ValidationError as exc:
                        errors = _cell_errors(exc)
                    else:
                        messages.success(
                            request,
                            _(
                                "Fare table saved: {new} new, {changed} changed, {removed} removed."
                            ).format(
                                new=result.created, changed=result.changed, removed=result.deleted
                            ),
                        )
                        return HttpResponseRedirect(request.get_full_path())
            else:
                upload = FareCsvForm(request.POST, request.FILES)
                if upload.is_valid():
                    import_errors = self._import(request, route, upload.cleaned_data)
                    if not import_errors:
                        return HttpResponseRedirect(request.get_full_path())
        tariff = tariff_get(company_id=route.company_id, class_code=class_code)
        rows = []
        for i, (origin, origin_km) in enumerate(stations):
            cells = [None] * (i + 1)
            for destination, destination_km in stations[i + 1 :]:
                key = (origin.pk, destination.pk)
                name = f"fare-{origin.pk}-{destination.pk}"
                by_rate = tariff.fare(distance_km=destination_km - origin_km, quota="GENERAL")
                if typed is not None:
                    value = typed.get(name, "")
                else:
                    value = to_major_string(saved[key], currency) if key in saved else ""
                cells.append(
                    Cell(
                        name,
                        value,
                        "" if by_rate is None else to_major_string(by_rate, currency),
                        _("{origin} to {destination}").format(
                            origin=origin.code, destination=destination.code
                        ),
                        errors.get(key, ""),
                    )
                )
            rows.append(Row(origin, cells[1:]))
        return TemplateResponse(
            request,
            "admin/booking/stagefare/grid.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Fare table of {route}, class {class_code}").format(
                    route=route, class_code=class_code
                ),
                "opts": self.model._meta,
                "route": route,
                "class_code": class_code,
                "currency": currency,
                "stations": [station for station, _km in stations],
                "rows": rows,
                "editable": editable,
                "has_errors": bool(errors),
                "upload": upload,
                "import_errors": import_errors,
            },
        )

    def _import(self, request, route: Route, data: dict) -> list[str]:
        try:
            text = data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            return [_("The file is not UTF-8 text.")]
        try:
            result = stage_fares_import(
                route=route, text=text, by=request.user, dry_run=data["dry_run"]
            )
        except ValidationError as exc:
            return exc.messages
        saved = result.saved
        message = (
            _(
                "Checked {rows} line(s): {new} new, {changed} changed, {removed} removed; "
                "nothing was saved."
            )
            if result.dry_run
            else _("Imported {rows} line(s): {new} new, {changed} changed, {removed} removed.")
        )
        messages.success(
            request,
            message.format(
                rows=result.rows, new=saved.created, changed=saved.changed, removed=saved.deleted
            ),
        )
        return []


def _route_stations(route: Route) -> list:
    """The route's stations in order with their km from the first stop; a station the route
    calls at twice, at its first call."""
    seen, stations = set(), []
    for stop in (
        RouteStop.objects.filter(route=route).select_related("station").order_by("sequence")
    ):
        if stop.station_id not in seen:
            seen.add(stop.station_id)
            stations.append((stop.station, stop.distance_km))
    return stations


def _typed_fares(data, stations, currency: str):
    """The grid's cells as typed: ({(origin id, destination id): minor units or None},
    {(origin id, destination id): error})."""
    fares, errors = {}, {}
    for i, (origin, _km) in enumerate(stations):
        for destination, _dkm in stations[i + 1 :]:
            key = (origin.pk, destination.pk)
            text = data.get(f"fare-{origin.pk}-{destination.pk}", "").strip()
            if not text:
                fares[key] = None
                continue
            try:
                amount = from_major_string(text, currency)
            except ValueError:
                errors[key] = _("Not an amount in {currency}.").format(currency=currency)
                continue
            if amount <= 0:
                errors[key] = _("Give an amount above zero, or leave it empty.")
                continue
            fares[key] = amount
    return fares, errors


def _cell_errors(exc: ValidationError) -> dict[tuple[int, int], str]:
    errors = {}
    for key, messages_ in exc.message_dict.items():
        origin, destination, _class = key.split("-", 2)
        errors[(int(origin), int(destination))] = " ".join(messages_)
    return errors
