"""Collecting what a Redis channel publishes while the code under test runs."""

from __future__ import annotations

import json
import threading

import redis


class ChannelListener:
    """The JSON messages published on `channel`, gathered by a background thread."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        # Held for the listener's life: a client created just for it would, when
        # garbage-collected, disconnect its pool and with it the subscription.
        self.client = client
        self.pubsub = client.pubsub()
        self.pubsub.subscribe(channel)
        self.pubsub.get_message(timeout=2)  # the subscribe confirmation
        self.messages: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            message = self.pubsub.get_message(timeout=0.2)
            if message and message["type"] == "message":
                self.messages.append(json.loads(message["data"]))

    def close(self) -> list[dict]:
        """Stop listening; return everything that arrived."""
        self._stop.set()
        self._thread.join()
        self.pubsub.close()
        return self.messages
