"""Tickets API: a PNR's signed tickets (QR text), their QR images, and the public keys
that verify them offline."""

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import permissions, renderers, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ttms.api.schema import error_response

from ..boarding import ticket_keys
from ..boarding.qr import ticket_png, ticket_svg
from ..boarding.selectors import pnr_get_for_ticket
from ..boarding.services.issue import Ticket, ticket_get, tickets_issue
from ..models import Passenger, Pnr


class _ImageRenderer(renderers.BaseRenderer):
    """Renders the image bytes a view answers; an error (a dict) stays JSON, in the one
    error shape, whatever the client accepts."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data.encode() if isinstance(data, str) else data
        if renderer_context and "response" in renderer_context:
            renderer_context["response"]["Content-Type"] = "application/json"
        return renderers.JSONRenderer().render(data)


class PngRenderer(_ImageRenderer):
    media_type = "image/png"
    format = "png"
    charset = None


class SvgRenderer(_ImageRenderer):
    media_type = "image/svg+xml"
    format = "svg"
    charset = "utf-8"


def _pnr(request, number: str) -> Pnr:
    try:
        return pnr_get_for_ticket(request.user, number)
    except Pnr.DoesNotExist:
        raise NotFound(gettext("You have no PNR with this number.")) from None


def _ticket(request, pnr: str, passenger: int) -> Ticket:
    found = _pnr(request, pnr)
    try:
        return ticket_get(found, passenger)
    except Passenger.DoesNotExist:
        raise NotFound(
            gettext("PNR {number} has no passenger {passenger}.").format(
                number=found.number, passenger=passenger
            )
        ) from None


@extend_schema_serializer(component_name="Ticket")
class TicketSerializer(serializers.Serializer):
    passenger = serializers.IntegerField(source="passenger.pk")
    index = serializers.IntegerField(source="passenger.index")
    name = serializers.CharField(source="passenger.name")
    status = serializers.CharField(source="passenger.status", help_text="CNF or RAC.")
    coach = serializers.CharField(source="body.coach")
    seat = serializers.CharField(source="body.seat")
    valid_from = serializers.DateTimeField(source="body.valid_from")
    valid_until = serializers.DateTimeField(source="body.valid_until")
    qr = serializers.CharField(
        source="token", help_text="The signed ticket: the QR's text (docs/tickets.md)."
    )
    kid = serializers.CharField(help_text="The id of the key that signed it.")


class TicketListView(APIView):
    """The tickets of a PNR: one per confirmed or RAC passenger, each with its QR text
    (signed; show it as a QR, or fetch `qr.png` / `qr.svg`). For the PNR's holder, the
    company's admins, schedulers and agents, and the trip's drivers."""

    @extend_schema(responses={200: TicketSerializer(many=True), 404: error_response("No such PNR")})
    def get(self, request, pnr: str):
        found = _pnr(request, pnr)
        passengers = found.passengers.select_related("seat__coach").order_by("index")
        return Response(TicketSerializer(tickets_issue(found, passengers), many=True).data)


class _QrView(APIView):
    render_image = staticmethod(ticket_png)

    def get(self, request, pnr: str, passenger: int):
        ticket = _ticket(request, pnr, passenger)
        response = Response(self.render_image(ticket.token))
        # A bearer credential: kept out of shared caches.
        response["Cache-Control"] = "private, no-store"
        return response


_QR_ERRORS = {
    404: error_response("No such PNR or passenger"),
    409: error_response("The passenger has no ticket (waitlisted or cancelled)"),
}


class TicketPngView(_QrView):
    """A passenger's ticket as a QR image (PNG)."""

    renderer_classes = [PngRenderer]

    @extend_schema(
        responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY), **_QR_ERRORS}
    )
    def get(self, request, pnr: str, passenger: int):
        return super().get(request, pnr, passenger)


class TicketSvgView(_QrView):
    """A passenger's ticket as a QR image (SVG, for print)."""

    renderer_classes = [SvgRenderer]
    render_image = staticmethod(ticket_svg)

    @extend_schema(
        responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.STR), **_QR_ERRORS}
    )
    def get(self, request, pnr: str, passenger: int):
        return super().get(request, pnr, passenger)


@extend_schema_serializer(component_name="TicketPublicKey")
class PublicKeySerializer(serializers.Serializer):
    kid = serializers.CharField(help_text="Key id, as in the ticket's second part.")
    algorithm = serializers.CharField(help_text="Ed25519.")
    public_key = serializers.CharField(help_text="Base64url of the 32-byte public key.")
    signing = serializers.BooleanField(help_text="Signs the tickets issued now.")


class TicketKeysView(APIView):
    """The public keys that verify tickets offline (Ed25519): every key a valid ticket may
    carry, the one signing now first. Scanners refresh them with each manifest."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: PublicKeySerializer(many=True)})
    def get(self, request):
        return Response(PublicKeySerializer(ticket_keys.public_keys(), many=True).data)
