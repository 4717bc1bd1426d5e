"""Idempotency keys for creates, for every protocol (REST ``Idempotency-Key``, MCP tools)."""

from newledger.idempotency.service import (
    KEY_TTL,
    MAX_KEY_LENGTH,
    KeyInProgress,
    KeyReused,
    Outcome,
    fingerprint,
    run_once,
)

__all__ = [
    "KEY_TTL",
    "MAX_KEY_LENGTH",
    "KeyInProgress",
    "KeyReused",
    "Outcome",
    "fingerprint",
    "run_once",
]
