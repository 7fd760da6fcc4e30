"""The trip list's "assignment conflict" filter: trips sharing their vehicle or a driver with
another trip at an overlapping time (`fleet.conflicts`), for staff to give one another."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _

from ..conflicts import DRIVER, VEHICLE, trips_in_conflict

ANY = "any"


class TripConflictFilter(admin.SimpleListFilter):
    title = _("assignment conflict")
    parameter_name = "conflict"

    def lookups(self, request, model_admin):
        return [
            (ANY, _("Vehicle or driver on another trip at the time")),
            (VEHICLE, _("Vehicle on another trip at the time")),
            (DRIVER, _("Driver on another trip at the time")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in (ANY, VEHICLE, DRIVER):
            raise IncorrectLookupParameters(f"{value!r} is not a conflict filter.")
        return trips_in_conflict(queryset, kind=None if value == ANY else value)
