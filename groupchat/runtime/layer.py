"""The pub/sub Redis layer with direct receivers, and batched forms of two channel-layer calls.

``FanoutPubSubChannelLayer`` (the default in services mode) is channels_redis' pub/sub layer plus one thing: a
consumer may register a *direct receiver* for its channel. A group message arriving from Redis is then decoded once
and handed to each local member's receiver in the layer's own receive loop, instead of being queued for, decoded by
and dispatched in each member's task; a receiver that declines an event (returns False) gets it on its queue as
before. The chat consumer takes its message frames this way and writes them with ``EagerSender``.

``channels_redis``' pub/sub layer sends one ``PUBLISH`` per ``group_send`` and one ``SUBSCRIBE`` per ``group_add``,
each awaited under the shard's lock. With thousands of sockets in many busy groups, the one-at-a-time publishes fell
behind a busy event loop (deliveries late by seconds while acks stayed fast), and a user in hundreds of groups
connecting to a fresh process waited for as many subscribes. These send many in one round trip: a pipeline of
publishes, one ``SUBSCRIBE`` with many channels. They use the layer's own naming, serializer, shards and lock
(channels_redis 4.3, pinned in constraints.txt; the socket tests go through them), and fall back to the plain API on
any other layer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close, decode_hosts

log = logging.getLogger(__name__)

Receiver = Callable[[dict[str, Any]], bool]


class _DirectShard(RedisSingleShardConnection):
    async def _do_receiving(self) -> None:
        """channels_redis' receive loop, plus getting the subscriptions back after Redis was lost (a restart, a
        failover): the library's loop logs the error and retries on the same pub/sub object, which after a full Redis
        restart could stay unsubscribed, so nothing reached this process's sockets again. Here a lost connection is
        replaced by a new pub/sub connection subscribed to every channel this shard had, retried until Redis answers.
        What was published meanwhile is lost on the wire, never in the database: clients fill the gap by ``resume``."""
        while True:
            try:
                if self._pubsub is not None and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    self._receive_message(message)
                elif self._subscribed_to:
                    await self._resubscribe()
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, TimeoutError, GeneratorExit):
                raise
            except Exception as exc:
                log.warning("channel layer lost Redis (%r); subscribing again", exc)
                await asyncio.sleep(0.5)
                try:
                    await self._resubscribe()
                except Exception as again:  # still down: the loop comes back here
                    log.debug("resubscribe failed: %r", again)

    async def _resubscribe(self) -> None:
        """A new pub/sub connection with every channel of this shard, then the lost one closed (if subscribing
        fails, Redis is still away: the old one stays and the loop tries again)."""
        async with self._lock:
            self._ensure_redis()
            new = self._redis.pubsub()
            try:
                if self._subscribed_to:
                    await new.subscribe(*self._subscribed_to)
            except BaseException:
                await new.aclose()
                raise
            old, self._pubsub = self._pubsub, new
            if old is not None:
                try:
                    await old.aclose()
                except Exception:
                    log.debug("closing the lost pub/sub connection failed", exc_info=True)

    def _receive_message(self, message) -> None:
        layer = self.channel_layer
        if message is None or not layer.direct:
            return super()._receive_message(message)
        name = message["channel"]
        if isinstance(name, bytes):
            name = name.decode()
        members = layer.groups.get(name)
        if members is None or name in layer.channels:
            return super()._receive_message(message)
        data = message["data"]
        event = None
        for channel in tuple(members):
            queue = layer.channels.get(channel)
            receiver = layer.direct.get(channel)
            if receiver is not None:
                if queue is None:  # the consumer is gone (its receive was cancelled)
                    del layer.direct[channel]
                    continue
                if event is None:
                    event = layer.channel_layer.deserialize(data)
                try:
                    if receiver(event):
                        continue
                except Exception:
                    log.exception("direct receiver of %s failed; queueing the event instead", channel)
            if queue is not None:
                queue.put_nowait(data)


class _DirectLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts=None, *args, **kwargs) -> None:
        super().__init__(hosts, *args, **kwargs)
        self._shards = [_DirectShard(host, self) for host in decode_hosts(hosts)]
        self.direct: dict[str, Receiver] = {}


class FanoutPubSubChannelLayer(RedisPubSubChannelLayer):
    """channels_redis' pub/sub layer with direct receivers (module docstring)."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:  # as RedisPubSubChannelLayer._get_layer, with the loop layer above
            layer = self._layers[loop] = _DirectLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer


def direct_receiver_set(layer: Any, channel: str, receiver: Receiver | None) -> bool:
    """Hand group events for ``channel`` (a consumer's own) to ``receiver`` as they arrive, or stop (None).

    ``receiver(event)`` runs in the layer's receive loop and must not block; it returns False to have the event
    queued for the consumer as usual. Returns False when the layer has no direct receivers (other layers)."""
    if not isinstance(layer, FanoutPubSubChannelLayer):
        return False
    impl = layer._get_layer()
    if receiver is None:
        impl.direct.pop(channel, None)
    else:
        impl.direct[channel] = receiver
    return True


def _pubsub(layer: Any):
    """The running loop's pub/sub layer implementation, or None for other layers."""
    return layer._get_layer() if isinstance(layer, RedisPubSubChannelLayer) else None


async def group_send_many(layer: Any, items: Sequence[tuple[Iterable[str], dict[str, Any]]]) -> None:
    """``group_send(name, event)`` for every name of every item, in order, one round trip per shard."""
    impl = _pubsub(layer)
    if impl is None:
        for names, event in items:
            for name in names:
                await layer.group_send(name, event)
        return
    by_shard: dict[Any, list[tuple[str, bytes]]] = defaultdict(list)
    for names, event in items:
        payload = layer.serialize(event)
        for name in names:
            channel = impl._get_group_channel_name(name)
            by_shard[impl._get_shard(channel)].append((channel, payload))
    for shard, publishes in by_shard.items():
        async with shard._lock:
            shard._ensure_redis()
            pipe = shard._redis.pipeline(transaction=False)
            for channel, payload in publishes:
                pipe.publish(channel, payload)
            await pipe.execute()


async def group_add_many(layer: Any, names: Iterable[str], channel: str) -> None:
    """``group_add(name, channel)`` for every name, with one SUBSCRIBE per shard for the groups new to this process."""
    impl = _pubsub(layer)
    if impl is None:
        for name in names:
            await layer.group_add(name, channel)
        return
    if channel not in impl.channels:
        raise RuntimeError("group_add_many() is for channels of this process (self.channel_name)")
    by_shard: dict[Any, list[str]] = defaultdict(list)
    for name in names:
        group_channel = impl._get_group_channel_name(name)
        impl.groups.setdefault(group_channel, set()).add(channel)
        by_shard[impl._get_shard(group_channel)].append(group_channel)
    for shard, group_channels in by_shard.items():
        async with shard._lock:
            new = [c for c in dict.fromkeys(group_channels) if c not in shard._subscribed_to]
            if new:
                shard._ensure_redis()
                shard._ensure_receiver()
                await shard._pubsub.subscribe(*new)
                shard._subscribed_to.update(new)
