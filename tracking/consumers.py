"""The live positions WebSocket, `/ws/trips/{id}/positions/` (docs/tracking.md).

The trip's assigned driver publishes fixes; its watchers (`tracking.access`) receive them.
Refusals at the handshake are a close with a code and a reason, after the handshake is
accepted so that every client can read them: 4404 no such trip, 4401 sign in first, 4403
not allowed. Once connected, no message however bad ends the connection: it is answered
with {"type": "error", "code", "message", "fields"}.
"""

import asyncio
import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from ttms.channels_auth import ws_subprotocol
from ttms.jsonlimits import JSONTooDeep, json_loads_limited

from .access import FORBIDDEN, NO_TRIP, PUBLISH, SIGN_IN, trip_access
from .exceptions import FixRefused
from .fixes import fix_parse
from .services.publish import (
    Published,
    fix_broadcast,
    fix_publish_async,
    trip_group,
    trip_info_get,
    trip_state_load,
)
from .store import async_position_store

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# A publisher's view of its trip (status, vehicle) is read again this often.
TRIP_INFO_MAX_AGE_S = 60
# A GPS fix is about 150 characters; anything far larger is a mistake or an attack, refused
# before it is parsed.
MAX_MESSAGE_CHARS = 8192
# A position is a flat object; the limit leaves room for a field holding a small object.
MAX_JSON_DEPTH = 8


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


class TokenBucket:
    """`rate` messages a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.at = float(burst), clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _refusal(refusal: str) -> tuple[int, str]:
    if refusal == NO_TRIP:
        return CLOSE_NOT_FOUND, _("There is no such trip.")
    if refusal == SIGN_IN:
        return CLOSE_UNAUTHENTICATED, _("Sign in to follow this trip.")
    assert refusal == FORBIDDEN
    return CLOSE_FORBIDDEN, _("Only this trip's driver, passengers and staff follow it.")


class TripPositionsConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/trips/{id}/positions/`: the assigned driver publishes GPS fixes, the trip's
    watchers receive them.

    Messages out: {"type": "position", ...fix, "status"} to everyone on the trip (the
    latest one right after connecting, when there is one); {"type": "ping"} every
    TTMS_WS_PING_SECONDS; {"type": "pong"} to a client's {"type": "ping"}; {"type":
    "error", "code", "message", "fields"} to a sender whose message was refused.
    """

    trip_info = None
    trip_info_at = 0.0
    pinger = None
    # The device time (epoch seconds) of the last fix sent to this client.
    last_sent_ts = float("-inf")

    async def dispatch(self, message):
        """As channels' own, without a hop to the database thread before every message
        (channels closes that thread's old connections there, once per frame and per
        delivery): the handlers that read the database do it through
        database_sync_to_async, which closes them itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.trip_id = int(self.scope["url_route"]["kwargs"]["trip_id"])
        user = self.scope.get("user")
        access = await database_sync_to_async(trip_access)(user, self.trip_id)
        # Accepted first, then closed: a close before the handshake is an HTTP 403 that
        # tells the client nothing.
        await self.accept(subprotocol=ws_subprotocol(self.scope))
        if access.role is None:
            code, reason = _refusal(access.refusal)
            await self.close(code=code, reason=reason)
            return
        self.role = access.role
        if self.role == PUBLISH:
            # Before the first fix, which then goes at once.
            await self._trip_info_read()
            await trip_state_load(self.trip_id)
        self.bucket = TokenBucket(settings.TTMS_WS_RATE_PER_SECOND, settings.TTMS_WS_RATE_BURST)
        self.group = trip_group(self.trip_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.pinger = asyncio.get_running_loop().create_task(self._ping())
        state = await async_position_store().state(self.trip_id)
        if state.latest is not None:
            await self.position_message(Published(state.latest, state.status).event())

    async def _ping(self):
        while True:
            await asyncio.sleep(settings.TTMS_WS_PING_SECONDS)
            await self.send_json({"type": "ping"})

    async def disconnect(self, code):
        if self.pinger is not None:
            self.pinger.cancel()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if not hasattr(self, "group"):
            return  # refused at the handshake; the close is on its way
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
        if not self.bucket.take():
            await self._error(
                "rate_limited",
                _("Too many messages: at most %(rate)s a second. This one was dropped.")
                % {"rate": settings.TTMS_WS_RATE_PER_SECOND},
            )
            return
        try:
            content = message_decode(text)  # a binary frame has no text: refused
        except MessageRefused as exc:
            await self._error(exc.code, exc.message)
            return
        if isinstance(content, dict) and content.get("type") in ("ping", "pong"):
            if content["type"] == "ping":
                await self.send_json({"type": "pong"})
            return
        if self.role != PUBLISH:
            await self._error(
                "permission_denied", _("Only the trip's driver publishes its positions.")
            )
            return
        try:
            fix = fix_parse(trip_id=self.trip_id, data=content)
        except ValidationError as exc:
            fields = exc.message_dict if hasattr(exc, "error_dict") else {}
            await self._error("invalid", exc.messages[0], fields)
            return
        try:
            published = await self._publish(fix)
        except FixRefused as exc:
            await self._error(exc.code, exc.message, exc.fields)
            return
        await fix_broadcast(published)

    async def _publish(self, fix) -> Published:
        if time.monotonic() - self.trip_info_at > TRIP_INFO_MAX_AGE_S:
            await self._trip_info_read()
        try:
            return await fix_publish_async(trip=self.trip_info, fix=fix)
        except FixRefused as exc:
            # The trip may have started boarding since it was read.
            if exc.code != "trip_not_running" or time.monotonic() - self.trip_info_at < 5:
                raise
        await self._trip_info_read()
        return await fix_publish_async(trip=self.trip_info, fix=fix)

    async def _trip_info_read(self):
        self.trip_info = await database_sync_to_async(trip_info_get)(self.trip_id)
        self.trip_info_at = time.monotonic()

    async def position_message(self, event):
        """A published fix (`Published.event`), sent each once and in order: the latest
        sent on connecting may also arrive through the group, and two publishers'
        broadcasts may cross."""
        if event["recorded_ts"] <= self.last_sent_ts:
            return
        self.last_sent_ts = event["recorded_ts"]
        await self.send(text_data=event["text"])

    async def _error(self, code: str, message: str, fields: dict | None = None):
        await self.send_json(
            {"type": "error", "code": code, "message": message, "fields": fields or {}}
        )
