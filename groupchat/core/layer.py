"""Batched forms of two channel-layer calls, for the pub/sub Redis layer (the default in services mode).

``channels_redis``' pub/sub layer sends one ``PUBLISH`` per ``group_send`` and one ``SUBSCRIBE`` per ``group_add``,
each awaited under the shard's lock. Measured with 3,000 sockets in 100 busy groups, the one-at-a-time publishes fell
behind a busy event loop (deliveries up to 2 s late while acks stayed fast), and a user in 500 groups connecting to a
fresh process paid 500 subscribes (150-250 ms). These send many in one round trip: a pipeline of publishes, one
``SUBSCRIBE`` with many channels. They use the layer's own naming, serializer, shards and lock (channels_redis 4.3,
pinned in constraints.txt; the socket tests go through them), and fall back to the plain API on any other layer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer


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
