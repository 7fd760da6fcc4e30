import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from ttms.accounts.models import Role
from ttms.channels_auth import ws_subprotocol
from ttms.jsonlimits import JSONTooDeep, json_loads_limited

from .positions import position_parse

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
# A GPS fix is about 150 characters; anything far larger is a mistake or an attack, refused
# before it is parsed.
MAX_MESSAGE_CHARS = 8192
# A position is a flat object; the limit leaves room for a field holding a small object.
MAX_JSON_DEPTH = 8


def trip_group(trip_id: int) -> str:
    return f"trip.{trip_id}.positions"


class MessageRefused(Exception):
    """A frame that is not a message at all (too large, not JSON, nested too deep)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _refuse_constant(name: str):
    # NaN and ±Infinity are not JSON, though Python's json reads them by default.
    raise ValueError(f"{name} is not JSON")


def message_decode(text: str | None):
    """The JSON value of a text frame; raises MessageRefused when the frame is over
    MAX_MESSAGE_CHARS, is not strict JSON (NaN, Infinity, bad syntax, no text) or nests
    deeper than MAX_JSON_DEPTH. Never raises anything else, RecursionError included."""
    if text is not None and len(text) > MAX_MESSAGE_CHARS:
        raise MessageRefused(
            "too_large",
            _("A message is at most %(limit)d characters.") % {"limit": MAX_MESSAGE_CHARS},
        )
    not_json = MessageRefused(
        "parse_error", _("Send each position as one JSON object in a text frame.")
    )
    if not text:
        raise not_json
    try:
        return json_loads_limited(text, max_depth=MAX_JSON_DEPTH, parse_constant=_refuse_constant)
    except JSONTooDeep as exc:
        raise MessageRefused("parse_error", str(exc)) from None
    except ValueError:  # UnicodeDecodeError is a ValueError
        raise not_json from None


class TripPositionsConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/trips/{id}/positions/`: drivers publish GPS fixes, everyone signed in subscribes.

    Messages out: {"type": "position", ...} to every subscriber; {"type": "error", "code",
    "message", "fields"} to a sender whose message was refused. No message, however bad,
    ends the connection.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.trip_id = int(self.scope["url_route"]["kwargs"]["trip_id"])
        self.group = trip_group(self.trip_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=ws_subprotocol(self.scope))

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Error frames in the sender's own language, as the API's errors are.
        language = getattr(self.scope["user"], "language", "") or settings.LANGUAGE_CODE
        with translation.override(language):
            await self._handle(text_data)

    async def _handle(self, text: str | None):
        try:
            await self._receive(text)
        except Exception:
            # A fault in handling one message must not end a driver's connection, which
            # the app would have to notice and reopen: it is logged and answered instead.
            logger.exception("trip %s: a positions message could not be handled", self.trip_id)
            await self._error(
                "server_error", _("This message could not be handled; send the next one.")
            )

    async def _receive(self, text: str | None):
        if self.scope["user"].role != Role.DRIVER:
            await self._error("permission_denied", _("Only drivers publish positions."))
            return
        try:
            content = message_decode(text)  # a binary frame has no text: refused
        except MessageRefused as exc:
            await self._error(exc.code, exc.message)
            return
        try:
            position = position_parse(trip_id=self.trip_id, data=content)
        except ValidationError as exc:
            fields = exc.message_dict if hasattr(exc, "error_dict") else {}
            await self._error("invalid", exc.messages[0], fields)
            return
        await self.channel_layer.group_send(
            self.group, {"type": "position.message", "position": position.as_message()}
        )

    async def position_message(self, event):
        await self.send_json({"type": "position", **event["position"]})

    async def _error(self, code: str, message: str, fields: dict | None = None):
        await self.send_json(
            {"type": "error", "code": code, "message": message, "fields": fields or {}}
        )
