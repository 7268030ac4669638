"""The one WebSocket per browser tab (DESIGN §4), multiplexed over all the user's groups.

Thin: frames are dispatched to services; channel-layer events are formatted and sent. The layer is at-most-once, so
clients keep a per-group cursor and ``resume`` from the database after a reconnect or a gap in ``seq``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError

from groupchat.core.broadcast import group_channel_group, user_channel_group
from groupchat.core.errors import ApplicationError, unavailable
from groupchat.core.origin import Origin
from groupchat.runtime.batcher import batcher_of_loop
from groupchat.runtime.eager import EagerSender
from groupchat.runtime.fanout import register_server_loop
from groupchat.runtime.layer import direct_receiver_set, group_add_many
from groupchat.runtime.threads import database_thread

from . import selectors, services
from .codes import is_well_formed
from .payloads import messages_frame, page_payload
from .services.messages import Held, SendRequest, message_batch_check, message_batch_store
from .services.sockets import socket_closed, socket_opened

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4408  # the client did not read its frames; it reconnects and resumes from the database
SEQ_MAX = 2**63 - 1  # seq is a bigint: a larger cursor is a bad frame, not a database error

# The send batcher of this event loop: the domain's two halves, run on the runtime's two database threads.
_batcher = batcher_of_loop(message_batch_check, message_batch_store)


def _frame_error(code: str, reason: str) -> ApplicationError:
    return ApplicationError(code, params={"reason": reason})


@database_thread
def _resume_page(user, code: str, after: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    group = selectors.group_of_member(user=user, code=code)
    rows = selectors.message_page(group=group, after=after, limit=limit)
    return page_payload(rows, group_code=group.code), group.last_seq


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept, then close with a code the client can read (a refused handshake is an opaque 403).
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        register_server_loop(asyncio.get_running_loop())
        self.user = user
        self.language = user.language
        self.origin = Origin.from_scope(self.scope)
        self.codes: set[str] = set(await database_thread(socket_opened)(user=user, origin=self.origin))
        # Subscribe before accepting, so nothing committed after the client's first resume can slip past it.
        await group_add_many(self.channel_layer, [user_channel_group(user.pk), *map(group_channel_group, self.codes)],
                             self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": {"id": user.pk, "nickname": user.nickname},
                              "groups": sorted(self.codes)})
        # From here on, message frames are written from the layer's receive loop (docs/performance.md, fan-out);
        # any that arrived during the connect are still on this consumer's queue and follow.
        self.eager = EagerSender(self.base_send, max_backlog=settings.GROUPCHAT["SOCKET_BACKLOG_FRAMES"],
                                 on_overflow=self._too_slow)
        direct_receiver_set(self.channel_layer, self.channel_name, self._receive_direct)

    def _receive_direct(self, event: dict[str, Any]) -> bool:
        """Message frames straight to the socket, in the layer's receive loop; every other event is queued."""
        if event.get("type") != "message.batch":
            return False
        self.eager.write({"type": "websocket.send", "text": event["frame"]})
        return True

    def _too_slow(self) -> None:
        direct_receiver_set(self.channel_layer, self.channel_name, None)
        # Kept on the consumer: the loop holds only a weak reference to a task.
        self.closing = asyncio.get_running_loop().create_task(self.close(code=CLOSE_TOO_SLOW))

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' own dispatch first runs ``close_old_connections`` in the database thread for *every* event, so
        each delivery of a message to each socket would queue behind the writes in that one thread. Our database
        work all goes through ``database_thread``, which looks after its connection itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        if hasattr(self, "eager"):
            direct_receiver_set(self.channel_layer, self.channel_name, None)
            self.eager.close()
        await self.channel_layer.group_discard(user_channel_group(self.user.pk), self.channel_name)
        for group_code in self.codes:
            await self.channel_layer.group_discard(group_channel_group(group_code), self.channel_name)
        try:
            await database_thread(socket_closed)(user=self.user, origin=self.origin, code=code)
        except Exception:  # the database may be what went away; the socket still has to be let go
            log.warning("socket.disconnect of user %s not recorded", self.user.pk, exc_info=True)

    # --- JSON with orjson (the hot path encodes every delivery) -------------------------------------------------
    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        return orjson.loads(text_data)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return orjson.dumps(content).decode()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            content = await self.decode_json(text_data or bytes_data or b"")
        except orjson.JSONDecodeError:
            await self.send_error(_frame_error("bad_frame", "not JSON"))
            return
        if not isinstance(content, dict):
            await self.send_error(_frame_error("bad_frame", "a frame is a JSON object"))
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs) -> None:
        kind = content.get("type")
        handler = self._handlers.get(kind) if isinstance(kind, str) else None  # a list or object is no type
        client_id = content.get("client_id") if isinstance(content.get("client_id"), str) else None
        if handler is None:
            shown = kind if isinstance(kind, str) and len(kind) <= 40 else type(kind).__name__
            await self.send_error(_frame_error("bad_frame", f"unknown type {shown!r}"), client_id)
            return
        try:
            await handler(self, content)
        except ApplicationError as exc:
            await self.send_error(exc, client_id, group=content.get("group"))
        except (OperationalError, InterfaceError):  # the database is unreachable: the client retries, nothing lost
            log.warning("%s refused: database unreachable", kind)
            await self.send_error(unavailable(), client_id, group=content.get("group"))
        except OSError:  # the client went away while we answered (e.g. mid-resume): nothing to tell it
            log.debug("socket closed during %s", content.get("type"))
        except Exception:
            log.exception("frame %s failed", content.get("type"))
            await self.send_error(ApplicationError("server_error"), client_id)

    async def send_error(self, error: ApplicationError, client_id: str | None = None, group: Any = None) -> None:
        frame = {"type": "error", **error.as_dict(self.language)}
        if client_id:
            frame["client_id"] = client_id
        if isinstance(group, str):
            frame["group"] = group
        await self.send_json(frame)

    # --- client -> server ---------------------------------------------------------------------------------------
    async def on_send(self, content: dict[str, Any]) -> None:
        group = content.get("group")
        if not isinstance(group, str):
            raise _frame_error("bad_frame", "group must be a group code")
        result = await _batcher().submit(SendRequest(sender=self.user, group_code=group, body=content.get("body"),
                                                     client_id=content.get("client_id"), origin=self.origin))
        if isinstance(result, Held):
            await self.send_json({"type": "held", **result.as_dict(self.language)})
            return
        await self.send_json({"type": "ack", "client_id": result.message.client_id, "message": result.payload,
                              "duplicate": not result.created})

    async def on_resume(self, content: dict[str, Any]) -> None:
        cursors = content.get("cursors")
        if not isinstance(cursors, dict):
            raise _frame_error("bad_frame", "cursors must be an object {group_code: last_seq}")
        batch = settings.GROUPCHAT["RESUME_BATCH"]
        for code, after in cursors.items():
            if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= SEQ_MAX:
                raise _frame_error("bad_frame", "a cursor is a non-negative integer")
            if not is_well_formed(code):
                await self.send_error(ApplicationError("group_not_found"), group=code)
                continue
            try:
                while True:
                    page, last_seq = await _resume_page(self.user, code, after, batch)
                    if page:  # a page is one frame: a reconnect after a long absence is a few frames, not thousands
                        await self.send_json(messages_frame(code, page, replay=True))
                        after = page[-1]["seq"]
                    if len(page) < batch or after >= last_seq:
                        break
            except ApplicationError as exc:
                await self.send_error(exc, group=code)
                continue
            await self.send_json({"type": "resumed", "group": code, "last_seq": after})

    async def on_read(self, content: dict[str, Any]) -> None:
        group, seq = content.get("group"), content.get("seq")
        if not isinstance(group, str) or not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= SEQ_MAX:
            raise _frame_error("bad_frame", "read needs group and seq")
        if group in self.codes:
            await database_thread(services.read_mark)(user=self.user, group_code=group, seq=seq)

    async def on_typing(self, content: dict[str, Any]) -> None:
        group = content.get("group")
        if isinstance(group, str) and group in self.codes:
            await self.channel_layer.group_send(group_channel_group(group), {
                "type": "typing.event", "group": group, "user": {"id": self.user.pk, "nickname": self.user.nickname},
            })

    async def on_ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    _handlers = {"send": on_send, "resume": on_resume, "read": on_read, "typing": on_typing, "ping": on_ping}

    # --- channel-layer events -> server frames ------------------------------------------------------------------
    async def message_batch(self, event: dict[str, Any]) -> None:
        """One channel-layer event carries every message a batch stored in this group, in seq order, as one frame
        already encoded (``message`` or ``messages``)."""
        await self.send(text_data=event["frame"])

    async def message_removed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message_removed", "group": event["group"], "message_id": event["message_id"],
                              "seq": event["seq"], "reason": event.get("reason", "")})

    async def group_status(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "group_status", **{k: v for k, v in event.items() if k != "type"}})

    async def group_updated(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "group", "group": event["group"]})

    async def typing_event(self, event: dict[str, Any]) -> None:
        if event["user"]["id"] != self.user.pk:
            await self.send_json({"type": "typing", "group": event["group"], "user": event["user"]})

    async def membership_changed(self, event: dict[str, Any]) -> None:
        """Subscribe to a group joined (or unsubscribe from one left) while this socket is open, then tell it."""
        code, role = event["group"], event.get("role")
        name = group_channel_group(code)
        # An invitation or an ownership offer reaches a user without changing what they are in the group.
        left = role is None and "invitation" not in event and "transfer_offered" not in event
        if role and code not in self.codes:
            self.codes.add(code)
            await self.channel_layer.group_add(name, self.channel_name)
        elif left and code in self.codes:
            self.codes.discard(code)
            await self.channel_layer.group_discard(name, self.channel_name)
        frame = {"type": "membership", **{k: v for k, v in event.items() if k != "type"}}
        if left:
            frame["removed"] = True
        await self.send_json(frame)

    async def user_notice(self, event: dict[str, Any]) -> None:
        frame = {"type": "notice", "level": event.get("level", "info"), "text": event["text"]}
        if "measure" in event:  # a platform measure's notice: the client reloads what the measure changes
            frame["measure"] = event["measure"]
        await self.send_json(frame)

    async def user_close(self, event: dict[str, Any]) -> None:
        """A measure (later issues) may force this user's sockets closed."""
        await self.close(code=event.get("code", 4403))
