"""`/gtfs-rt/vehicle-positions.pb` and `/gtfs-rt/trip-updates.pb`: GTFS-Realtime feeds of the
trips being tracked, public for operators whose positions are public, and every trip of
its own company for its staff (session or JWT). `?company=SLUG` keeps one operator's trips;
`?format=json` gives the same message as JSON (protobuf's JSON mapping) for people."""

import json

from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from google.protobuf import json_format
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from fleet.models import Company
from fleet.selectors import company_ids_for_user

from .build import feed_trips, trip_updates_feed, vehicle_positions_feed

CACHE_SECONDS = 5
PROTOBUF_CONTENT_TYPE = "application/x-protobuf"


class _FeedView(APIView):
    permission_classes = [AllowAny]
    # Not part of the JSON API: GTFS-Realtime is its own published standard.
    schema = None
    build = None

    def get(self, request):
        company = None
        slug = request.query_params.get("company")
        if slug:
            company = Company.objects.filter(slug=slug).first()
            visible = company_ids_for_user(request.user)
            if company is None or not (
                company.positions_public or visible is None or company.pk in visible
            ):
                # One answer for "no such operator" and "not yours to see".
                return _error(404, "not_found", _("No operator with a public feed has this slug."))
        message = type(self).build(feed_trips(user=request.user, company=company))
        if request.query_params.get("format") == "json":
            response = HttpResponse(
                json_format.MessageToJson(message), content_type="application/json"
            )
        else:
            response = HttpResponse(message.SerializeToString(), content_type=PROTOBUF_CONTENT_TYPE)
        patch_cache_control(
            response,
            max_age=CACHE_SECONDS,
            **({"private": True} if request.user.is_authenticated else {"public": True}),
        )
        patch_vary_headers(response, ["Cookie", "Authorization"])
        return response


def _error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(
        json.dumps({"error": {"code": code, "message": message, "fields": {}}}),
        status=status,
        content_type="application/json",
    )


class VehiclePositionsView(_FeedView):
    build = staticmethod(vehicle_positions_feed)


class TripUpdatesView(_FeedView):
    build = staticmethod(trip_updates_feed)
