"""trytond's bus without replays for new sessions ([bus] class).

trytond hands a subscriber that has no last message the oldest cached message
of its channels (up to [bus] cache_timeout old): a browser that logs in or
reloads would open the screen pop of a call that rang minutes ago. Here a
fresh subscriber starts after the newest cached message of its channels, so
it only gets what is published from now on; a subscriber that names its last
message is served exactly as by trytond.
"""
from trytond.bus import LongPollingBus


class FreshBus(LongPollingBus):

    @classmethod
    def subscribe(cls, database, channels, last_message=None):
        if last_message is None:
            last_message = cls.newest_message_id(database, channels)
        return super().subscribe(database, channels, last_message)

    @classmethod
    def newest_message_id(cls, database, channels):
        queue = cls._messages.get(database)
        for message in reversed(list(queue._messages) if queue else []):
            if message.channel in channels:
                return message.content['message_id']
        return None
