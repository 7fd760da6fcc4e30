from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError

from ttms.accounts.models import Role
from ttms.channels_auth import ws_subprotocol

from .positions import position_parse

CLOSE_UNAUTHENTICATED = 4401


def trip_group(trip_id: int) -> str:
    return f"trip.{trip_id}.positions"


class TripPositionsConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/trips/{id}/positions/`: drivers publish GPS fixes, everyone signed in subscribes.

    Messages out: {"type": "position", ...} to every subscriber; {"type": "error", "code",
    "message", "fields"} to a sender whose message was refused.
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

    async def receive_json(self, content, **kwargs):
        if self.scope["user"].role != Role.DRIVER:
            await self._error("permission_denied", "Only drivers publish positions.")
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

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None
