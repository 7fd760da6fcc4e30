"""The point-of-sale API of station agents' devices (online): a cash sale with the change due,
cancelling a cash sale with the refund handed back from the drawer, and the catalogue of
the trips to sell. Views validate, call a service or selector, serialize. docs/pos.md."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fleet.api.serializers import local_iso
from fleet.models import CompanyMembership
from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from ttms import money
from ttms.accounts.models import Role, phone_validator
from ttms.api.schema import error_response
from ttms.exceptions import DomainError

from .. import rules
from ..lifecycle.services.cancellation import booking_cancel
from ..models import BOOKABLE_QUOTA_CHOICES, SEATED_STATUSES, Pnr, Quota
from ..pos.selectors import Catalog, pos_catalog
from ..pos.services.sales import pos_cancel_check, pos_sale_create
from ..sales.selectors.pnrs import new_pnr_positions, passengers_with_positions
from .cancellation import CancellationSerializer, PassengerIdsSerializer
from .serializers import (
    PassengerInputSerializer,
    PnrOutputSerializer,
    _passengers,
    passengers_in,
)

MAX_CATALOG_HOURS = 48


class CashNotEnough(DomainError):
    """The cash given does not cover the fare: nothing is sold."""

    code = "insufficient_cash"
    status_code = 400
    default_message = _("The cash given does not cover the fare.")


class IsStationAgent(permissions.BasePermission):
    message = _("Only station agents use the point of sale.")

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user.is_authenticated
            and user.role == Role.AGENT
            and CompanyMembership.objects.filter(user=user, role=Role.AGENT).exists()
        )


class PosView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsStationAgent]


def _tickets(request, pnr: Pnr, passengers) -> list[dict]:
    return [
        {
            "passenger": p.pk,
            "png": request.build_absolute_uri(reverse("ticket-qr-png", args=[pnr.number, p.pk])),
            "svg": request.build_absolute_uri(reverse("ticket-qr-svg", args=[pnr.number, p.pk])),
        }
        for p in passengers
        if p.status in SEATED_STATUSES
    ]


TicketLinksSerializer = inline_serializer(
    "PosTicketLinks",
    {
        "passenger": serializers.IntegerField(),
        "png": serializers.URLField(),
        "svg": serializers.URLField(),
    },
    many=True,
)


@extend_schema_serializer(component_name="PosSale")
class PosSaleOutputSerializer(PnrOutputSerializer):
    buyer = serializers.SerializerMethodField()
    cash_given = serializers.SerializerMethodField(help_text="Minor units.")
    change_due = serializers.SerializerMethodField(help_text="Minor units: cash_given - total.")
    change_due_text = serializers.SerializerMethodField(help_text="The change, formatted.")
    tickets = serializers.SerializerMethodField(
        help_text="QR images of each confirmed or RAC passenger's ticket."
    )

    class Meta(PnrOutputSerializer.Meta):
        fields = [
            *PnrOutputSerializer.Meta.fields,
            "buyer",
            "cash_given",
            "change_due",
            "change_due_text",
            "tickets",
        ]
        read_only_fields = fields

    @extend_schema_field(
        inline_serializer(
            "PosBuyer", {"name": serializers.CharField(), "phone": serializers.CharField()}
        )
    )
    def get_buyer(self, pnr) -> dict:
        return {"name": pnr.buyer_name, "phone": pnr.buyer_phone}

    def get_cash_given(self, pnr) -> int:
        return self.context["cash_given"]

    def get_change_due(self, pnr) -> int:
        return self.context["cash_given"] - pnr.total_fare

    def get_change_due_text(self, pnr) -> str:
        return money.format_money(self.context["cash_given"] - pnr.total_fare, pnr.currency)

    @extend_schema_field(TicketLinksSerializer)
    def get_tickets(self, pnr) -> list[dict]:
        return _tickets(self.context["request"], pnr, _passengers(pnr))


class PosSaleView(PosView):
    """Sell a journey for cash at the counter (station agents of the trip's operator): a
    booking like any other (rules, allocation, signed tickets) held by the agent, for a
    buyer named with a phone for the SMS ticket, paid into the agent's drawer. Refused
    whole with 400 `insufficient_cash` when `cash_given` does not cover the fare. A retry
    with the same Idempotency-Key replays the answer; the sale is made once."""

    throttle_scope = "booking"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema_serializer(component_name="PosSaleRequest")
    class InputSerializer(serializers.Serializer):
        trip = serializers.IntegerField(min_value=1)
        vars()["from"] = serializers.CharField(
            max_length=64, source="origin", help_text="Boarding station code."
        )
        vars()["to"] = serializers.CharField(
            max_length=64, source="destination", help_text="Alighting station code."
        )
        vars()["class"] = serializers.CharField(
            max_length=12, source="class_code", help_text="Class code, e.g. SL."
        )
        quota = serializers.ChoiceField(choices=BOOKABLE_QUOTA_CHOICES, default=Quota.GENERAL)
        passengers = PassengerInputSerializer(
            many=True, allow_empty=False, max_length=rules.MAX_PASSENGERS
        )
        buyer = inline_serializer(
            "PosBuyerRequest",
            {
                "name": serializers.CharField(max_length=120),
                "phone": serializers.CharField(
                    max_length=16,
                    validators=[phone_validator],
                    help_text="E.164, e.g. +919876543210: the SMS ticket goes there.",
                ),
            },
        )
        cash_given = serializers.IntegerField(
            min_value=0, max_value=10**12, help_text="Cash taken from the buyer, minor units."
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=InputSerializer,
        responses={
            201: PosSaleOutputSerializer,
            400: error_response("Invalid request, or the cash does not cover the fare"),
            403: error_response("Not a station agent of the trip's operator"),
            409: error_response("Refused by a rule"),
            503: error_response("Busy: retry with the same key"),
        },
    )
    @idempotent(scope="pos.sale")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pnr = pos_sale_create(
            agent=request.user,
            trip_id=values["trip"],
            origin_code=values["origin"],
            destination_code=values["destination"],
            class_code=values["class_code"],
            quota=values["quota"],
            passengers=passengers_in(values["passengers"]),
            buyer_name=values["buyer"]["name"],
            buyer_phone=values["buyer"]["phone"],
            idempotency_record=self.idempotency_record,
        )
        given = values["cash_given"]
        if given < pnr.total_fare:
            # Raised inside the request's savepoint: the booking and its cash are undone.
            message = gettext("The cash given ({given}) does not cover the fare ({total}).").format(
                given=money.format_money(given, pnr.currency),
                total=money.format_money(pnr.total_fare, pnr.currency),
            )
            raise CashNotEnough(message, fields={"cash_given": [message]})
        new_pnr_positions(pnr)
        return Response(
            PosSaleOutputSerializer(pnr, context={"cash_given": given, "request": request}).data,
            status=status.HTTP_201_CREATED,
        )


def _cash_pnr(number: str) -> Pnr:
    """Any PNR by number: who may act on it is `pos_cancel_check`'s to say (403)."""
    found = (
        Pnr.objects.select_related("trip__route__company", "origin", "destination")
        .filter(number=number)
        .first()
    )
    if found is None:
        raise NotFound(gettext("No PNR has this number."))
    return found


@extend_schema_serializer(component_name="PosCancellation")
class PosCancellationSerializer(CancellationSerializer):
    refund_text = serializers.SerializerMethodField(
        help_text="The cash to hand back to the buyer, formatted."
    )

    class Meta(CancellationSerializer.Meta):
        fields = [*CancellationSerializer.Meta.fields, "refund_text"]
        read_only_fields = fields

    def get_refund_text(self, cancellation) -> str:
        return money.format_money(cancellation.refund, cancellation.pnr.currency)


class PosSaleCancelView(PosView):
    """Cancel passengers of a cash sale (`passengers`: ids; leave out for all) by the
    company's refund policy: `refund` is the cash to hand back, paid from the cancelling
    agent's drawer (409 insufficient_cash when the drawer holds less). Station agents of
    the trip's operator only; a PNR paid from a wallet is refused (403). A retry with the
    same Idempotency-Key replays the answer; the refund is paid once."""

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=PassengerIdsSerializer,
        responses={
            200: PosCancellationSerializer,
            400: error_response("Invalid request"),
            403: error_response("Not a cash sale of the agent's company"),
            404: error_response("No such PNR"),
            409: error_response("Already cancelled, not allowed now, or not enough cash"),
            503: error_response("Busy: retry with the same key"),
        },
    )
    @idempotent(scope="pos.cancel")
    def post(self, request, pnr: str):
        found = _cash_pnr(pnr)
        data = PassengerIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pos_cancel_check(agent=request.user, pnr=found)
        cancellation = booking_cancel(
            pnr=found,
            by=request.user,
            passenger_ids=data.validated_data.get("passengers"),
            idempotency_record=self.idempotency_record,
            cash_agent=request.user,
        )
        fresh = (
            Pnr.objects.select_related("trip__route__company", "origin", "destination")
            .prefetch_related("passengers")
            .get(pk=found.pk)
        )
        fresh.passenger_list = list(passengers_with_positions().filter(pnr=fresh))
        return Response(PosCancellationSerializer(cancellation, context={"pnr": fresh}).data)


CatalogClassesSerializer = inline_serializer(
    "PosCatalogClass",
    {
        "class": serializers.CharField(),
        "class_name": serializers.CharField(),
        "status": serializers.CharField(),
        "free": serializers.DictField(child=serializers.IntegerField()),
        "rac_free": serializers.IntegerField(),
        "rac": serializers.IntegerField(),
        "waitlist": serializers.IntegerField(),
        "fares": serializers.DictField(child=serializers.IntegerField()),
    },
    many=True,
)


class PosCatalogSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(help_text="UTC: when the snapshot was counted.")
    hours = serializers.IntegerField()
    trips = serializers.SerializerMethodField()

    @extend_schema_field(
        inline_serializer(
            "PosCatalogTrip",
            {
                "id": serializers.IntegerField(),
                "route": serializers.CharField(),
                "name": serializers.CharField(),
                "company": serializers.CharField(),
                "service_date": serializers.DateField(),
                "currency": serializers.CharField(),
                "classes": serializers.ListField(child=serializers.CharField()),
                "stops": serializers.ListField(
                    child=inline_serializer(
                        "PosCatalogStop",
                        {
                            "code": serializers.CharField(),
                            "name": serializers.CharField(),
                            "time_zone": serializers.CharField(),
                            "arrival": serializers.CharField(allow_null=True),
                            "departure": serializers.CharField(allow_null=True),
                        },
                    )
                ),
                "journeys": serializers.ListField(
                    child=inline_serializer(
                        "PosCatalogJourney",
                        {
                            "from": serializers.CharField(),
                            "to": serializers.CharField(),
                            "departure": serializers.CharField(),
                            "arrival": serializers.CharField(),
                            "refusal": serializers.CharField(),
                            "classes": CatalogClassesSerializer,
                        },
                    )
                ),
            },
            many=True,
        )
    )
    def get_trips(self, catalog: Catalog) -> list[dict]:
        return [
            {
                "id": entry.trip.pk,
                "route": entry.trip.route.number,
                "name": entry.trip.route.name,
                "company": entry.trip.route.company.name,
                "service_date": entry.trip.service_date.isoformat(),
                "currency": entry.trip.route.company.currency,
                "classes": entry.classes,
                "stops": [
                    {
                        "code": stop.station.code,
                        "name": stop.station.name,
                        "time_zone": stop.station.time_zone,
                        "arrival": local_iso(stop.arrival_at, stop.station)
                        if stop.arrival_at
                        else None,
                        "departure": local_iso(stop.departure_at, stop.station)
                        if stop.departure_at
                        else None,
                    }
                    for stop in entry.stops
                ],
                "journeys": [
                    {
                        "from": journey.origin.code,
                        "to": journey.destination.code,
                        "departure": local_iso(journey.departure_at, journey.origin),
                        "arrival": local_iso(journey.arrival_at, journey.destination),
                        "refusal": journey.refusal,
                        "classes": [
                            {
                                "class": item.class_code,
                                "class_name": item.class_name,
                                "status": item.status,
                                "free": item.free,
                                "rac_free": item.rac_free,
                                "rac": item.rac,
                                "waitlist": item.waitlist,
                                "fares": item.fares,
                            }
                            for item in journey.classes
                        ],
                    }
                    for journey in entry.journeys
                ],
            }
            for entry in catalog.trips
        ]


class PosCatalogView(PosView):
    """The trips of the agent's companies leaving in the next `hours` (default
    TTMS_POS_CATALOG_HOURS), soonest first: stops with local times (zone named), classes,
    and per journey the device may sell (from the agent's home station when set, else
    every pair of stops not yet left) each class's fares by quota and an availability
    snapshot counted at `as_of`, as trip search counts it."""

    @extend_schema(
        operation_id="pos_catalog",
        parameters=[
            OpenApiParameter(
                "hours",
                OpenApiTypes.INT,
                required=False,
                description=f"1 to {MAX_CATALOG_HOURS}.",
            )
        ],
        responses={
            200: PosCatalogSerializer,
            400: error_response("Invalid hours"),
            403: error_response("Not a station agent"),
        },
    )
    def get(self, request):
        data = self.HoursSerializer(
            data={"hours": request.query_params.get("hours", settings.TTMS_POS_CATALOG_HOURS)}
        )
        data.is_valid(raise_exception=True)
        catalog = pos_catalog(agent=request.user, hours=data.validated_data["hours"])
        return Response(PosCatalogSerializer(catalog).data)

    class HoursSerializer(serializers.Serializer):
        hours = serializers.IntegerField(min_value=1, max_value=MAX_CATALOG_HOURS)
