"""`{% load tracking_live %}`: whether a trip is worth a live map (the PNR page's link)."""

from django import template

from ..views import trip_is_live as _trip_is_live

register = template.Library()


@register.filter
def trip_is_live(trip) -> bool:
    """Boarding, under way, or leaving within a few hours (tracking.views.LIVE_AHEAD)."""
    return _trip_is_live(trip)
