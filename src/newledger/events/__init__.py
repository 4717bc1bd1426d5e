"""Changes and events: the change feed with tombstones, and webhooks from a durable outbox."""
