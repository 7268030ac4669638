"""The baseline: the plain chat a developer writes from the Channels tutorial, driven by the same load driver.

One model (ChatMessage), one AsyncWebsocketConsumer that saves with database_sync_to_async(ORM create), group_sends
on channels_redis' RedisChannelLayer and acks the sender. No membership, moderation, network log, seq or rate limit.
"""
