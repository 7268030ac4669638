"""The baseline: the plain chat a developer writes from the Channels tutorial, driven by the same load driver.

One model, one AsyncWebsocketConsumer that saves with database_sync_to_async(ORM create), group_sends on channels_redis
and acks the sender. No membership, moderation, network log, seq or rate limit. Its own Django project (settings
``bench.baseline.settings``) and database; scenario 1 runs it beside groupchat for the ratio.
"""
