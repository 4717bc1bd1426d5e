"""Idempotency keys for creates, for every protocol (REST ``Idempotency-Key``, MCP tools).

``service.run_once`` holds the rules; ``models.IdempotencyKey`` the stored outcomes."""
