"""The Channels tutorial's ChatConsumer, made persistent the way a developer usually does it, plus an ack frame.

Authentication is a single user look-up by the ``?user=<id>`` query parameter (the tutorial relies on the session;
the bench has no browser). That is one query on connect, like groupchat's token look-up.
"""

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import get_user_model

from .models import ChatMessage


@database_sync_to_async
def get_user(user_id):
    return get_user_model().objects.filter(pk=user_id).first()


@database_sync_to_async
def save_message(room, user, body):
    return ChatMessage.objects.create(room=room, user=user, body=body)


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room_name = self.scope["url_route"]["kwargs"]["room_name"]
        self.room_group_name = f"chat_{self.room_name}"
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.user = await get_user(int((query.get("user") or ["0"])[0]))
        if self.user is None:
            await self.close()
            return
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data):
        data = json.loads(text_data)
        message = await save_message(self.room_name, self.user, data["message"])
        await self.channel_layer.group_send(
            self.room_group_name,
            {"type": "chat.message", "id": message.id, "client_id": data.get("client_id"), "message": message.body,
             "user": self.user.pk, "created": message.created.isoformat()},
        )
        await self.send(text_data=json.dumps({"type": "ack", "client_id": data.get("client_id"), "id": message.id}))

    async def chat_message(self, event):
        await self.send(text_data=json.dumps({
            "type": "message", "id": event["id"], "client_id": event["client_id"], "message": event["message"],
            "user": event["user"], "created": event["created"],
        }))
