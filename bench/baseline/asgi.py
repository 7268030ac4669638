"""The Channels tutorial's ChatConsumer, persistent the way a developer usually makes it, plus an ack frame.

It authenticates by ``?user=<id>`` (one query on connect, like groupchat's token look-up; the bench has no browser).
"""

import json
import os
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application
from django.urls import re_path

django_asgi_app = get_asgi_application()

from django.contrib.auth import get_user_model  # noqa: E402

from bench.baseline.models import ChatMessage  # noqa: E402


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room = self.scope["url_route"]["kwargs"]["room"]
        user_id = int((parse_qs(self.scope["query_string"].decode()).get("user") or ["0"])[0])
        self.user = await database_sync_to_async(get_user_model().objects.filter(pk=user_id).first)()
        if self.user is None:
            await self.close()
            return
        await self.channel_layer.group_add(f"chat_{self.room}", self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(f"chat_{self.room}", self.channel_name)

    async def receive(self, text_data):
        data = json.loads(text_data)
        message = await database_sync_to_async(ChatMessage.objects.create)(room=self.room, user=self.user,
                                                                            body=data["message"])
        await self.channel_layer.group_send(f"chat_{self.room}", {
            "type": "chat.message", "id": message.id, "client_id": data.get("client_id"), "message": message.body,
            "user": self.user.pk, "created": message.created.isoformat()})
        await self.send(text_data=json.dumps({"type": "ack", "client_id": data.get("client_id"), "id": message.id}))

    async def chat_message(self, event):
        await self.send(text_data=json.dumps({"type": "message", **{k: v for k, v in event.items() if k != "type"}}))


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": AllowedHostsOriginValidator(
    URLRouter([re_path(r"ws/chat/(?P<room>\w+)/$", ChatConsumer.as_asgi())]))})
