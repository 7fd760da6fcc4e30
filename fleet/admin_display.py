"""Times in the admin: every moment in the zone of the place it happens, with the zone named,
and "today", "tomorrow", "the next 7 days" filters that count days in that zone.

A trip leaves at its first stop's local time and arrives at its last stop's; a booking at
its origin's and destination's; a ledger row or an audit entry happens in its company's zone
(the operator's `Company.time_zone`), or in UTC, labelled so, when no company owns it. The
zones reach a change list as annotations (`trip_zones`), so no row costs a query.
"""

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from ttms import localtime

from .models import RouteStop

# Column headers: the zone rule named once, in the header, not on every row.
DEPARTURE_HEADER = _("departure (first stop's local time)")
ARRIVAL_HEADER = _("arrival (last stop's local time)")
LOCAL_HEADER = _("when (operator's local time; UTC without one)")


def trip_zones(queryset: QuerySet, prefix: str = "") -> QuerySet:
    """`queryset` (of trips, or of rows reaching a trip through `prefix`, e.g. "trip__")
    annotated with `departure_zone` and `arrival_zone`: the time zones of the trip's first
    and last stops' stations, else its operator's."""
    route = OuterRef(f"{prefix}route")
    stops = RouteStop.objects.filter(route=route).values("station__time_zone")
    company_zone = F(f"{prefix}route__company__time_zone")
    return queryset.annotate(
        departure_zone=Coalesce(Subquery(stops.order_by("sequence")[:1]), company_zone),
        arrival_zone=Coalesce(Subquery(stops.order_by("-sequence")[:1]), company_zone),
    )


def trip_departure(trip) -> str:
    """ "04 Dec 2026 06:00 CAT": the trip's departure in its first stop's zone."""
    return localtime.local_datetime(trip.departure_at, trip.departure_zone_name)


def trip_arrival(trip) -> str:
    """The trip's arrival in its last stop's zone."""
    return localtime.local_datetime(trip.arrival_at, trip.arrival_zone_name)


def in_zone(moment, zone_name: str | None) -> str:
    """`moment` in the zone `zone_name`, or in UTC (named so) without one: a row no
    operator owns (a platform account, a platform-wide audit entry) has no local day."""
    return localtime.local_datetime(moment, zone_name or "UTC")


class LocalDayFilter(admin.SimpleListFilter):
    """Today, tomorrow, the next or the past 7 days, each row's day counted in its own zone.

    A subclass names either `day_field` (a date that is already local, such as a trip's
    `service_date`) or `moment_field` (an aware datetime), and `zone_field`, the lookup to the
    time-zone name that counts the day (rows with none count in UTC). The query is one OR'd
    condition per zone among the rows: a handful, whatever the number of rows.
    """

    title = _("day")
    parameter_name = "day"
    day_field: str | None = None
    moment_field: str | None = None
    zone_field: str = ""

    # (first day, last day) relative to today, both included.
    SPANS = {
        "today": (0, 0),
        "tomorrow": (1, 1),
        "next7": (0, 6),
        "past7": (-6, 0),
    }

    def lookups(self, request, model_admin):
        return [
            ("today", _("Today")),
            ("tomorrow", _("Tomorrow")),
            ("next7", _("Next 7 days")),
            ("past7", _("Past 7 days")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in self.SPANS:
            raise IncorrectLookupParameters(f"{value!r} is not a day choice.")
        first, last = self.SPANS[value]
        zones = set(queryset.order_by().values_list(self.zone_field, flat=True).distinct())
        condition = Q(pk__in=[])
        for zone_name in zones:
            today = localtime.today(zone_name or "UTC")
            start_day, end_day = today + timedelta(days=first), today + timedelta(days=last)
            in_zone_q = (
                Q(**{f"{self.zone_field}__isnull": True})
                if zone_name is None
                else Q(**{self.zone_field: zone_name})
            )
            if self.day_field:
                span = Q(**{f"{self.day_field}__range": (start_day, end_day)})
            else:
                start, _end = localtime.day_bounds(start_day, zone_name or "UTC")
                _start, end = localtime.day_bounds(end_day, zone_name or "UTC")
                span = Q(**{f"{self.moment_field}__gte": start, f"{self.moment_field}__lt": end})
            condition |= in_zone_q & span
        return queryset.filter(condition)


class TripDayFilter(LocalDayFilter):
    """A trip's day of the timetable (its first stop's local date) in its operator's zone."""

    title = _("departure day (local)")
    parameter_name = "departure_day"
    day_field = "service_date"
    zone_field = "route__company__time_zone"
