"""Fleet's representations in the API, shared with the apps above fleet whose answers embed a
station or a trip (booking's search, PNRs, driver and operator endpoints): one serializer per
shape, so the OpenAPI schema has one component for each."""

from django.utils import timezone
from rest_framework import serializers

from ..models import Station, Trip


def local_iso(moment, station: Station) -> str:
    """An aware moment as ISO 8601 in the station's time zone, offset included."""
    return timezone.localtime(moment, station.tzinfo).isoformat()


class StationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Station
        fields = ["code", "name", "city", "region", "latitude", "longitude", "time_zone"]
        read_only_fields = fields


class TripOutputSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="route.number")
    name = serializers.CharField(source="route.name")
    route = serializers.CharField(source="route.code")
    company = serializers.CharField(source="route.company.slug")
    vehicle = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    drivers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    is_locked = serializers.BooleanField(read_only=True)

    class Meta:
        model = Trip
        fields = [
            "id",
            "number",
            "name",
            "route",
            "company",
            "service_date",
            "departure_at",
            "arrival_at",
            "status",
            "status_changed_at",
            "is_locked",
            "vehicle",
            "drivers",
        ]
        read_only_fields = fields
